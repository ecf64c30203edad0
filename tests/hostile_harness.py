"""Support for the hostile-web suites (tests/test_hostile_*.py): settings with low limits, an
event loop of its own for a browser shared by a module, process and memory readings, and the
check every hostile test ends with: no refused destination was reached."""

from __future__ import annotations

import asyncio
import os
import resource
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bench.e2e.procs import descendants
from prospector.config import Settings, load_settings
from tests.hostile_catalogue import PAGES
from tests.hostile_web import HostilePage, HostileWeb

ROOT = Path(__file__).resolve().parents[1]
FETCH_TIMEOUT_S = 2.0
CONNECT_TIMEOUT_S = 2.0
NAVIGATION_TIMEOUT_S = 4.0
MAX_BODY = 4_000_000
MAX_DECODED = 8_000_000
RSS_LIMIT_MB = 1500  # this process, whatever a page sends (the bombs alone expand to 1 GiB)
T = TypeVar("T")


def hostile_settings(web: HostileWeb, tmp_path: Path, **sections: dict[str, Any]) -> Settings:
    """Settings that reach the hostile web by name, with low timeouts and size caps."""
    overrides: dict[str, Any] = {
        "database": str(tmp_path / "prospector.db"),
        "campaigns_dir": str(tmp_path / "campaigns"),
        "templates_dir": str(ROOT / "templates"),
        "network": {"resolve": web.resolve_map()},
        "fetch": {
            "timeout_s": FETCH_TIMEOUT_S,
            "connect_timeout_s": CONNECT_TIMEOUT_S,
            "min_host_gap_s": 0.0,
            "max_body_bytes": MAX_BODY,
            "max_decompressed_bytes": MAX_DECODED,
            "retries": 1,
        },
        "browser": {"navigation_timeout_s": NAVIGATION_TIMEOUT_S, "contexts": 2},
        "wayback": {"enabled": False},
    }
    for key, value in sections.items():
        overrides.setdefault(key, {}).update(value)
    return load_settings(None, env={}, overrides=overrides)


def fetch_budget_s(settings: Settings) -> float:
    """The longest one fetch may take: every attempt timing out, the retry pause, robots."""
    conf = settings.fetch
    return (conf.retries + 2) * (conf.timeout_s + conf.connect_timeout_s) + 2.0


def page_named(name: str) -> HostilePage:
    return next(page for page in PAGES if page.name == name)


def names() -> list[str]:
    return [page.name for page in PAGES]


class LoopThread:
    """An asyncio loop in a thread of its own: a browser lives across a module's tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hostile-browser")
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``work`` there; a hang past ``timeout`` fails the test instead of the suite."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


def browser_processes(kind: str = "") -> list[int]:
    """Chromium processes started by this test process (``kind``: "renderer", ...)."""
    found = []
    for child in descendants(os.getpid()):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"chrom" in argv[0] and (not kind or f"--type={kind}".encode() in argv):
            found.append(child)
    return found


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def assert_untouched(web: HostileWeb, label: str) -> None:
    trips = web.tripped()
    assert not trips, f"{label}: refused destinations were reached: {trips[:5]}"


@pytest.fixture(scope="module")
def hostile_web() -> Iterator[HostileWeb]:
    """The hostile web for one module; at its end, nothing refused was ever reached."""
    with HostileWeb(PAGES) as web:
        yield web
        time.sleep(1.0)  # anything late would have landed by now
        assert_untouched(web, "the whole module")
