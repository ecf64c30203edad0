"""The hostile web met as a user meets it: a whole ``prospector run`` whose crawl walks every
hostile page (and checks every hostile link), ``prospector check`` over every hostile URL, and
``prospector inspect page`` on the worst pages. Each finishes in bounded time with a clean exit
or one readable line, leaves no Chromium behind, and reaches no refused destination."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from prospector.config import Settings
from tests.cli_helpers import prospector
from tests.hostile_catalogue import PAGES
from tests.hostile_harness import assert_untouched, hostile_settings, hostile_web, page_named
from tests.hostile_pages import malformed_hrefs
from tests.hostile_web import LINKS_HOST, HostileWeb, forbidden_targets

pytestmark = [pytest.mark.integration, pytest.mark.browser]
__all__ = ["hostile_web"]  # the fixture, for pytest

CAMPAIGN = """
name = "hostile"
description = "A crawl of the hostile web."
keywords = ["composting", "compost bin", "garden soil"]
opportunity_types = ["broken_link", "resource_page", "guest_post"]

[[targets]]
url = "https://soilsmith.example/guides/hot-composting"
title = "The complete guide to hot composting"
summary = "How to build, turn and troubleshoot a hot compost pile."

[seeds]
urls = ["http://{links}/links-to-everything"]
sites = ["http://hostile.example/"]

[limits]
max_pages_per_site = 100
max_depth = 1
"""


@pytest.fixture(autouse=True)
def untouched(hostile_web: HostileWeb, request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    assert_untouched(hostile_web, request.node.name)


def workdir(web: HostileWeb, tmp_path: Path) -> tuple[Path, Settings]:
    settings = hostile_settings(web, tmp_path)
    config = tmp_path / "prospector.toml"
    config.write_text(tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True)))
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir()
    (campaigns / "hostile.toml").write_text(CAMPAIGN.format(links=LINKS_HOST))
    return config, settings


def run(config: Path, *args: str, timeout: float) -> tuple[Any, float, str]:
    """``prospector --config CONFIG ARGS``, marked so that anything it leaves running is found."""
    mark = f"hostile-{uuid.uuid4().hex}"
    started = time.monotonic()
    done = prospector(
        "--config", str(config), *args, env={"HOSTILE_RUN_MARK": mark}, timeout=timeout
    )
    return done, time.monotonic() - started, mark


def survivors(mark: str) -> list[int]:
    """Processes still alive that were started by a run carrying ``mark``."""
    deadline = time.monotonic() + 10
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if f"HOSTILE_RUN_MARK={mark}".encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def assert_clean_exit(done: Any) -> None:
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_whole_run_crawls_every_hostile_page_and_link_and_finishes(
    hostile_web: HostileWeb, tmp_path: Path
) -> None:
    config, settings = workdir(hostile_web, tmp_path)
    done, elapsed, mark = run(config, "run", "hostile", "--json", timeout=400)
    assert_clean_exit(done)
    assert survivors(mark) == []
    [summary] = json.loads(done.stdout)
    assert summary["pages"] + summary["failed"] >= len(PAGES) // 2
    assert summary["links_checked"] >= 80
    assert elapsed < 300, elapsed
    db = sqlite3.connect(settings.database)
    crawled = {url for (url,) in db.execute("SELECT url FROM candidates WHERE state != 'new'")}
    assert page_named("regex-bomb").url in crawled
    assert page_named("js-loop-after-load").url in crawled
    checks = dict(db.execute("SELECT url, status FROM url_checks"))
    for label, url in forbidden_targets(hostile_web).items():
        if url in checks:
            assert checks[url] == "forbidden_address", label
    assert checks[forbidden_targets(hostile_web)["metadata"]] == "forbidden_address"
    # a script redirect is seen when the browser gets to run the page: on a machine this busy
    # it may not within its deadline, and then the link is unknown, never "ok"
    assert checks[page_named("js-redirect-to-metadata").url] in ("forbidden_address", "timeout")
    assert checks[page_named("redirect-to-dns-loopback").url] == "forbidden_address"
    sitemaps = [h for h in hostile_web.requests("/sitemap.xml") if h.host == "hostile.example"]
    assert sitemaps  # read the good sitemap; the one on 127.0.0.2 was refused (no trip)


def test_the_check_command_judges_every_hostile_url_in_one_go(
    hostile_web: HostileWeb, tmp_path: Path
) -> None:
    config, _ = workdir(hostile_web, tmp_path)
    urls = [page.url for page in PAGES]
    urls += list(forbidden_targets(hostile_web).values())
    urls += [u for u in malformed_hrefs(hostile_web).values() if "\0" not in u]
    done, elapsed, mark = run(config, "check", "--json", "--no-history", *urls, timeout=300)
    assert_clean_exit(done)
    assert survivors(mark) == []
    results = json.loads(done.stdout)
    assert [r["url"] for r in results] == urls
    by_url = {r["url"]: r for r in results}
    for url in forbidden_targets(hostile_web).values():
        assert by_url[url]["status"] == "forbidden_address", url
    assert by_url[page_named("js-redirect-to-metadata").url]["status"] in (
        "forbidden_address",
        "timeout",
    )
    assert elapsed < 200, elapsed


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("gzip-bomb", "refused"),
        ("regex-bomb", "ok"),
        ("many-links-100k", "ok"),
        ("js-loop-after-load", "refused"),
        ("redirect-to-metadata", "refused"),
        ("slow-loris-headers", "refused"),
    ],
)
def test_inspect_page_reports_a_hostile_page_or_refuses_it_in_one_line(
    name: str, outcome: str, hostile_web: HostileWeb, tmp_path: Path
) -> None:
    config, _ = workdir(hostile_web, tmp_path)
    done, elapsed, mark = run(
        config, "inspect", "page", "--json", page_named(name).url, timeout=120
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert survivors(mark) == []
    if outcome == "ok":
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["url"] == page_named(name).url
    else:
        assert done.returncode != 0
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and name in lines[0], done.stderr
    assert elapsed < 90, elapsed
