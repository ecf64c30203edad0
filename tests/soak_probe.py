"""Measuring a running process from /proc for the soak: memory, open files, threads, and the
browser processes below it (or left behind by it); and the soak's table of results."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

PROC = Path("/proc")
PR_SET_CHILD_SUBREAPER = 36
BROWSER_NAMES = ("chromium", "chrome", "headless_shell")


@dataclass
class Proc:
    pid: int
    ppid: int
    state: str
    start: int  # clock ticks after boot
    name: str  # the executable's file name

    @property
    def browser(self) -> bool:
        return any(part in self.name for part in BROWSER_NAMES)


def processes() -> dict[int, Proc]:
    """Every process now (those that end while being read are left out)."""
    out: dict[int, Proc] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv0 = (entry / "cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2 :].split()
        name = Path(argv0).name if argv0 else comm
        pid = int(entry.name)
        out[pid] = Proc(pid, int(rest[1]), rest[0], int(rest[19]), name)
    return out


def _status(pid: int) -> dict[str, str]:
    lines = (PROC / str(pid) / "status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def _pss_kb(pid: int) -> int:
    for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _fd_kind(target: str) -> str:
    if target.startswith("socket:"):
        return "socket"
    if target.startswith("pipe:"):
        return "pipe"
    if target.startswith("anon_inode:"):
        return target.removeprefix("anon_inode:").strip("[]")  # eventpoll, eventfd...
    if ".agent.lock" in target:
        return "lock"
    if ".db" in target:
        return "db"  # the database, its WAL and shared-memory files
    return "file"


@dataclass
class Snapshot:
    """One look at the agent: after a job run (``job`` set) or between runs."""

    at: float
    rss_kb: int
    pss_kb: int
    fds: int
    fd_kinds: dict[str, int]
    threads: int
    children: int  # every process below the agent
    browsers: int  # Chromium processes among them
    # Browser processes that escaped the agent's tree (Chromium double-forks its crash
    # handler and some helpers; see ``subreaper``) and were alive: (pid, start) each
    escaped: list[tuple[int, int]]
    job: str = ""
    status: str = ""
    day: int = 0
    idle: bool = False  # no agent run was going while it was taken

    def copy(self, **changes: Any) -> Snapshot:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Probe:
    """Snapshots of one process; remembers every browser process it saw below it."""

    started: float = field(
        default_factory=lambda: float(Path("/proc/uptime").read_text().split()[0])
    )
    browsers_seen: dict[int, int] = field(default_factory=dict)  # pid -> start

    def snapshot(self, pid: int) -> Snapshot:
        procs = processes()
        below = descendants(procs, pid)
        browsers = [p for p in below if p.browser]
        escaped = _adopted(procs)
        self.browsers_seen.update((p.pid, p.start) for p in browsers)
        status = _status(pid)
        fd_dir = PROC / str(pid) / "fd"
        kinds: Counter[str] = Counter()
        for fd in fd_dir.iterdir():
            try:
                kinds[_fd_kind(str(fd.readlink()))] += 1
            except FileNotFoundError:
                continue
        return Snapshot(
            at=float(Path("/proc/uptime").read_text().split()[0]),
            rss_kb=int(status["VmRSS"].split()[0]),
            pss_kb=_pss_kb(pid),
            fds=sum(kinds.values()),
            fd_kinds=dict(kinds),
            threads=int(status["Threads"]),
            children=len(below),
            browsers=len(browsers),
            escaped=[(p.pid, p.start) for p in escaped],
        )

    def alive(self, seen: dict[int, int]) -> list[int]:
        """Which of these processes (pid -> start) are still running (not ended, nor ended
        and waiting to be reaped)."""
        now = processes()
        return [
            pid
            for pid, start in seen.items()
            if pid in now and now[pid].start == start and now[pid].state != "Z"
        ]

    def escaped(self) -> list[Proc]:
        """Browser processes and Playwright drivers re-parented to this process (see
        ``subreaper``) and alive; the ended ones are reaped."""
        return _adopted(processes())


def _adopted(procs: dict[int, Proc]) -> list[Proc]:
    """Children of this process that are browsers or drivers: under ``subreaper()``, what
    ended up here when its parent ended. The ones that ended too are reaped (they are not
    children this process started, so nothing else waits for them); the living returned."""
    me, alive = os.getpid(), []
    for p in procs.values():
        if p.ppid != me or not (p.browser or p.name == "node"):
            continue
        if p.state == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(p.pid, os.WNOHANG)
        else:
            alive.append(p)
    return alive


@contextlib.contextmanager
def subreaper() -> Iterator[None]:
    """Inside, processes orphaned below this one are re-parented to it, not to init (Linux
    PR_SET_CHILD_SUBREAPER): what the agent's tree leaves behind can be told from what other
    programs on the machine do. Those left are ended and reaped on the way out."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        for proc in _adopted(processes()):
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(proc.pid, signal.SIGKILL)
                os.waitpid(proc.pid, 0)


@dataclass
class Spell:
    """A quiet spell: consecutive snapshots with no agent run going. Its edges can catch a
    run starting (the database opened a moment before the run is recorded) or ending (the
    browser's last processes on their way out), so what it says is its least: what stayed
    open the whole spell."""

    snapshots: list[Snapshot]

    @property
    def day(self) -> int:
        return self.snapshots[0].day

    @property
    def fds(self) -> int:
        return min(s.fds for s in self.snapshots)

    @property
    def fd_kinds(self) -> dict[str, int]:
        return min(self.snapshots, key=lambda s: s.fds).fd_kinds

    @property
    def threads(self) -> int:
        return min(s.threads for s in self.snapshots)

    @property
    def children(self) -> int:
        return min(s.children for s in self.snapshots)

    @property
    def browsers(self) -> int:
        return min(s.browsers for s in self.snapshots)

    def lingering(self, quiet_s: float = 2.0) -> set[tuple[int, int]]:
        """Escaped browser processes alive at its start and ``quiet_s`` or more later."""
        first = self.snapshots[0]
        later = [s for s in self.snapshots if s.at - first.at >= quiet_s]
        if not later:
            return set()
        return {(p, t) for p, t in first.escaped} & {(p, t) for p, t in later[-1].escaped}


def quiet_spells(snapshots: list[Snapshot], at_least: int = 2) -> list[Spell]:
    """The quiet spells of ``at_least`` snapshots; a run ending (an after-run snapshot) or
    a run going ends one."""
    spells: list[Spell] = []
    current: list[Snapshot] = []
    for snap in [*snapshots, None]:
        if snap is not None and snap.idle and not snap.job:
            current.append(snap)
            continue
        if len(current) >= at_least:
            spells.append(Spell(current))
        current = []
    return spells


def descendants(procs: dict[int, Proc], root: int) -> list[Proc]:
    children: dict[int, list[Proc]] = {}
    for p in procs.values():
        children.setdefault(p.ppid, []).append(p)
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child.pid)
    return out


def fit_slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def results_table(
    snapshots: list[Snapshot],
    runs: list[tuple[int, dict[str, Any]]],
    did: Counter[str],
    day_s: int,
    warm_up: int,
) -> str:
    """The soak's measurements, day by day, as Markdown (``runs``: (day, agent run))."""
    ok = Counter(day for day, run in runs if run["status"] == "ok")
    spells = quiet_spells(snapshots)
    lines = [
        f"`prospector agent` as one process, one day = {day_s} s (x{86400 // day_s}), "
        f"{len(runs)} agent runs recorded. Memory: the agent's peak after a job run. Between "
        "runs: what stayed open through each quiet spell between runs (and the peak after a "
        "run). Chromium: processes below the agent while jobs ran, and between them.",
        "",
        "| day | runs ok | RSS MiB | PSS MiB | fds between (peak) | threads between (peak)"
        " | Chromium in jobs | Chromium between |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for day in sorted({s.day for s in snapshots if s.day >= 1}):
        after = [s for s in snapshots if s.day == day and s.job]
        idle = [s for s in spells if s.day == day]
        busy = [s for s in snapshots if s.day == day and not s.idle]
        if not after:
            continue
        lines.append(
            f"| {day} | {ok[day]} "
            f"| {max(s.rss_kb for s in after) / 1024:.1f} "
            f"| {max(s.pss_kb for s in after) / 1024:.1f} "
            f"| {_span(s.fds for s in idle)} ({max(s.fds for s in after)}) "
            f"| {_span(s.threads for s in idle)} ({max(s.threads for s in after)}) "
            f"| {max((s.browsers for s in busy), default=0)} "
            f"| {max((s.browsers for s in idle), default=0)} |"
        )
    warm = [s.rss_kb / 1024 for s in snapshots if s.job and 1 <= s.day <= warm_up]
    later = [s for s in snapshots if s.job and s.day > warm_up]
    peaks = [
        (day, max(s.rss_kb for s in later if s.day == day) / 1024)
        for day in sorted({s.day for s in later})
    ]
    idle = spells
    if warm and peaks and idle:
        lines += [
            "",
            f"RSS peak: {max(warm):.1f} MiB in the warm-up (days 1-{warm_up}), "
            f"{max(p for _, p in peaks):.1f} MiB after it; daily peaks after it climb "
            f"{fit_slope(peaks):+.2f} MiB a day (least squares). Between runs: "
            f"{_span(s.fds for s in idle)} fds, {_span(s.threads for s in idle)} threads, "
            f"{max(s.children for s in idle)} processes below the agent.",
        ]
    world = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(did.items()))
    lines += ["", f"The world around it: {world}."]
    return "\n".join(lines) + "\n"


def _span(values: Any) -> str:
    found = sorted(values)
    if not found:
        return "-"
    return str(found[0]) if found[0] == found[-1] else f"{found[0]}-{found[-1]}"
