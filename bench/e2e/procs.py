"""Child processes and their memory: run one, and sample the Chromium under it meanwhile.

Chromium's memory is the sum of the resident sets of every Chromium process below the measured
process (browser, renderers, GPU and utility processes), sampled every 0.2 s; with psutil when
it is installed, else from ``/proc``. Resident sets count shared pages once per process, so
the sum overstates what the browser costs; the proportional set size (PSS, shared pages split
between their users, from ``/proc/<pid>/smaps_rollup``) is sampled beside it when readable.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CHROMIUM_NAMES = ("chromium", "chrome", "headless_shell")


def _psutil() -> Any:
    try:
        return importlib.import_module("psutil")
    except ImportError:
        return None


def _children_map() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def descendants(pid: int) -> list[int]:
    tree = _children_map()
    out, todo = [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip().lower()
    except OSError:
        return ""


def _rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def is_chromium(name: str) -> bool:
    return any(part in name for part in CHROMIUM_NAMES)


@dataclass
class TreeSampler:
    """Samples the process tree under ``pid`` in a thread until :meth:`stop`."""

    pid: int
    interval_s: float = 0.2
    chromium_rss_mb: float = 0.0  # peak of the sum over Chromium processes
    chromium_pss_mb: float | None = None
    chromium_processes: int = 0  # the most at once
    other_rss_mb: dict[str, float] = field(default_factory=dict)  # peak per other name
    samples: int = 0
    via: str = "/proc"
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> TreeSampler:
        self._thread = threading.Thread(target=self._loop, name="e2e-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        psutil = _psutil()
        self.via = "psutil" if psutil is not None else "/proc"
        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                self.sample(psutil)
            self._stop.wait(self.interval_s)

    def sample(self, psutil: Any = None) -> None:
        if psutil is not None:
            try:
                kids = psutil.Process(self.pid).children(recursive=True)
            except psutil.Error:
                return
            rows = []
            for proc in kids:
                with contextlib.suppress(psutil.Error):
                    rows.append((proc.pid, proc.name().lower(), proc.memory_info().rss // 1024))
        else:
            rows = [(pid, _name(pid), _rss_kb(pid)) for pid in descendants(self.pid)]
        chromium = [(pid, rss) for pid, name, rss in rows if is_chromium(name)]
        self.samples += 1
        self.chromium_processes = max(self.chromium_processes, len(chromium))
        self.chromium_rss_mb = max(self.chromium_rss_mb, sum(r for _, r in chromium) / 1024)
        pss = [_pss_kb(pid) for pid, _ in chromium]
        if chromium and all(p is not None for p in pss):
            total = sum(p or 0 for p in pss) / 1024
            self.chromium_pss_mb = max(self.chromium_pss_mb or 0.0, total)
        for _, name, rss in rows:
            if not is_chromium(name):
                self.other_rss_mb[name] = max(self.other_rss_mb.get(name, 0.0), rss / 1024)


@dataclass(frozen=True)
class ChildRun:
    wall_s: float
    returncode: int
    timed_out: bool
    sampler: TreeSampler


def run_sampled(
    cmd: list[str],
    *,
    stdout: Path,
    stderr: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 3600.0,
) -> ChildRun:
    """Run ``cmd`` in a session of its own while sampling its process tree."""
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid).start()
        timed_out = False
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_session(proc.pid)
            proc.wait()
        except BaseException:
            _kill_session(proc.pid)
            proc.wait()
            raise
        finally:
            sampler.stop()
    return ChildRun(time.monotonic() - started, proc.returncode, timed_out, sampler)


def _kill_session(pid: int) -> None:
    """End the process group this module started (the child leads it), and only that one."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
