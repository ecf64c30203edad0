"""SIGKILL at many points of a ``prospector`` command's work, until the work is done.

``crash_loop`` starts the command again and again. Each attempt waits until the command's
work, as the database shows it (its *fingerprint*: counts that say how far the work has come),
moved on by a random step, lets it run a random moment longer and kills it with SIGKILL; every
few attempts one is killed during start-up instead (opening the database, the run row, the
first requests). After every kill the database is read read-only: ``PRAGMA integrity_check``
and the caller's invariants must hold, and the fingerprint there is where the kill landed. The
attempts go on until one finishes by itself (or the caller's ``done`` says the work is
complete, for a kill that landed after the last write): the kills cover the whole run.

Where to kill is chosen by progress, not by the clock, so the kills spread over the whole run
however fast or loaded the machine is: one uninterrupted run of the same work (``timed_run``)
gives the fingerprints before and after, hence how far any fingerprint is on the way (0..1:
the mean share of each count's change), and each attempt is killed once the work moved on by a
random step (0.3 to 1.7 times 1/(kills + 10) of the whole, by default) and a random moment more
(up to half the time such a step took in that run). Work too quick for that (a mail, a page)
can be given a remote server's round trip with ``tests.latency_proxy.LatencyProxy``.

Every process a command leaves behind (the browser driver, Chromium) carries a marker in its
environment and is killed by its id after each attempt.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Fingerprint = dict[str, int]
Point = tuple[tuple[str, int], ...]
Invariants = Callable[[sqlite3.Connection], None]
TAG = "CRASH_HARNESS_TAG"


def counts(**queries: str) -> Callable[[sqlite3.Connection], Fingerprint]:
    """A fingerprint function: each name -> the integer its SQL query returns."""

    def fingerprint(db: sqlite3.Connection) -> Fingerprint:
        return {name: int(db.execute(sql).fetchone()[0] or 0) for name, sql in queries.items()}

    return fingerprint


def connect_ro(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)


def query(database: Path, what: Callable[[sqlite3.Connection], object]) -> object:
    db = connect_ro(database)
    try:
        return what(db)
    finally:
        db.close()


def read(
    database: Path, fingerprint: Callable[[sqlite3.Connection], Fingerprint]
) -> Fingerprint | None:
    """The database's fingerprint, read-only; None while there is no database (or schema)."""
    if not database.exists() or database.stat().st_size == 0:
        return None
    try:
        db = connect_ro(database)
    except sqlite3.Error:
        return None
    try:
        return fingerprint(db)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # the schema is still being created
            return None
        raise
    finally:
        db.close()


def integrity(database: Path) -> str:
    return str(query(database, lambda db: db.execute("PRAGMA integrity_check").fetchone()[0]))


def check(database: Path, invariants: Invariants | None) -> None:
    """Integrity and the caller's invariants, read-only (nothing to check before the command
    created the database)."""
    if not database.exists():
        return
    assert integrity(database) == "ok"
    if invariants is None:
        return
    try:
        query(database, invariants)
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):  # killed before the schema was complete
            raise


def point(fingerprint: Fingerprint | None) -> Point:
    return tuple(sorted((fingerprint or {}).items()))


@dataclass
class Command:
    """``prospector --config CONFIG ARGS...`` on ``database`` (what the config names)."""

    config: Path
    database: Path
    args: list[str]
    env: Mapping[str, str] = field(default_factory=dict)
    tag: str = field(default_factory=lambda: uuid.uuid4().hex)

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTOR_")}
        env.update(self.env)
        env[TAG] = self.tag
        return env

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "prospector", "--config", str(self.config), *self.args]

    def start(self, output: Path) -> subprocess.Popen[bytes]:
        """Start in a session of its own; stdout to ``output``, stderr to ``output``.err."""
        with output.open("wb") as out, output.with_suffix(".err").open("wb") as err:
            return subprocess.Popen(
                self.argv(),
                stdout=out,
                stderr=err,
                env=self.environment(),
                start_new_session=True,
            )

    def run(self, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                self.argv(),
                env=self.environment(),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                start_new_session=True,
            )
        finally:
            reap(self.tag)


def _tagged(tag: str) -> list[int]:
    """Processes whose environment carries ``tag`` (started by one of our commands)."""
    marker = f"{TAG}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def reap(tag: str, grace_s: float = 5.0) -> list[int]:
    """Give what a killed command left behind ``grace_s`` to exit by itself (the browser
    driver closes Chromium when its parent is gone), then SIGKILL what is left, by id."""
    deadline = time.monotonic() + grace_s
    while (left := _tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


def _finish(proc: subprocess.Popen[bytes], output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        output.read_text(errors="replace"),
        output.with_suffix(".err").read_text(errors="replace"),
    )


@dataclass(frozen=True)
class Timing:
    """One uninterrupted run: seconds to the first progress, from it to the last, in all; the
    fingerprints before and after."""

    startup_s: float
    work_s: float
    total_s: float
    result: subprocess.CompletedProcess[str]
    initial: Fingerprint
    final: Fingerprint

    def progress(self, at: Fingerprint | None, on: Sequence[str] = ()) -> float:
        """How far ``at`` is from the initial to the final fingerprint (0..1): the mean, over
        the counts the run changed (of those named ``on``, if any), of the share of the change
        reached."""
        moved = [k for k, v in self.final.items() if v != self.initial.get(k, 0)]
        moved = [k for k in moved if k in on] if on else moved
        if not moved or at is None:
            return 0.0
        shares = []
        for key in moved:
            begin, end = self.initial.get(key, 0), self.final[key]
            shares.append(min(1.0, max(0.0, (at.get(key, 0) - begin) / (end - begin))))
        return sum(shares) / len(shares)


def timed_run(
    command: Command,
    fingerprint: Callable[[sqlite3.Connection], Fingerprint],
    timeout: float = 300.0,
    every_s: float = 0.05,
) -> Timing:
    """Run ``command`` to completion, watching its fingerprint to time its work."""
    initial = read(command.database, fingerprint) or {}
    seen = point(initial)
    output = command.database.with_name("timed-run.out")
    started = time.monotonic()
    proc = command.start(output)
    first = last = None
    try:
        while proc.poll() is None:
            assert time.monotonic() - started < timeout, f"{command.args}: over {timeout}s"
            now = point(read(command.database, fingerprint))
            if now != seen:
                seen, last = now, time.monotonic() - started
                first = last if first is None else first
            time.sleep(every_s)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(30)
        reap(command.tag)
    total = time.monotonic() - started
    result = _finish(proc, output)
    assert proc.returncode == 0, result.stderr[-3000:]
    final = read(command.database, fingerprint) or {}
    if point(final) != seen:
        last = total  # the last writes came after the last look
    first = total if first is None else first
    return Timing(
        round(first, 2), round((last or total) - first, 2), round(total, 2), result, initial, final
    )


@dataclass(frozen=True)
class Kill:
    """One SIGKILL that landed: where (the share of the work done, 0..1), how long after the start
    of the attempt, whether during start-up, and the fingerprint it left."""

    progress: float
    after_s: float
    startup: bool
    fingerprint: Fingerprint

    @property
    def point(self) -> Point:
        return point(self.fingerprint)


@dataclass
class CrashReport:
    kills: list[Kill]
    attempts: int
    finished: subprocess.CompletedProcess[str] | None  # the attempt that ended by itself
    leftovers: int  # processes killed by id after the attempts (Chromium, the driver)

    @property
    def distinct(self) -> set[Point]:
        return {k.point for k in self.kills}

    def phases(self, label: Callable[[Fingerprint], str]) -> Counter[str]:
        return Counter(label(k.fingerprint) for k in self.kills)

    def describe(self) -> str:
        where = ", ".join(f"{k.progress:.2f}" for k in self.kills)
        return (
            f"{len(self.kills)} kills ({sum(k.startup for k in self.kills)} at start-up) "
            f"at {len(self.distinct)} distinct points in {self.attempts} attempts; "
            f"{'finished by itself' if self.finished else 'done when killed'}; "
            f"{self.leftovers} leftover processes; progress at the kills: {where}"
        )


def _stamp(database: Path) -> tuple[int, ...]:
    """Size and modification time of the database and its WAL: they change with each commit."""
    out: list[int] = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            info = path.stat()
        except OSError:
            out += [-1, -1]
            continue
        out += [info.st_size, info.st_mtime_ns]
    return tuple(out)


def _wait_for(
    proc: subprocess.Popen[bytes],
    command: Command,
    fingerprint: Callable[[sqlite3.Connection], Fingerprint],
    reached: Callable[[Fingerprint], bool],
    timeout: float,
) -> None:
    """Until the fingerprint satisfies ``reached``, ``proc`` ends, or ``timeout``. The files
    are watched (cheap, so a commit is seen within a millisecond or two) and the fingerprint
    is read when they changed."""
    deadline = time.monotonic() + timeout
    seen: tuple[int, ...] = ()
    while proc.poll() is None and time.monotonic() < deadline:
        stamp = _stamp(command.database)
        if stamp != seen:
            seen = stamp
            now = read(command.database, fingerprint)
            if now is not None and reached(now):
                return
        else:
            time.sleep(0.001)


def _sleep_while_running(proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while proc.poll() is None and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(0.005, left))


def crash_loop(
    command: Command,
    fingerprint: Callable[[sqlite3.Connection], Fingerprint],
    timing: Timing,
    *,
    kills: int = 20,
    rng: random.Random,
    invariants: Invariants | None = None,
    done: Callable[[sqlite3.Connection], bool] | None = None,
    steps: int | None = None,
    on: Sequence[str] = (),
    startup_every: int = 8,
    max_attempts: int | None = None,
) -> CrashReport:
    """Kill ``command`` again and again until its work is done, checking the database after
    each kill (see the module docstring). ``timing`` is an uninterrupted run of the same work
    from the same start; the kills are placed on its progress, a random step of about
    1/``steps`` (kills + 10 by default) apart — more steps for work too quick to be caught
    exactly where it is — measured on the counts named ``on`` (all, by default)."""
    progress = functools.partial(timing.progress, on=on)
    step = 1.0 / (steps or kills + 10)
    jitter = min(0.25, max(0.005, timing.work_s * step / 2))
    landed: list[Kill] = []
    leftovers = 0
    output = command.database.with_name("crash-attempt.out")
    for attempt in range(1, (max_attempts or 2 * (steps or kills + 10)) + 1):
        before = read(command.database, fingerprint)
        level = progress(before) + rng.uniform(0.3, 1.7) * step
        startup = attempt % startup_every == 1  # the first attempt too: a fresh start
        started = time.monotonic()
        proc = command.start(output)
        if startup:  # a random moment of the start-up, and never past the first progress
            delay = rng.uniform(0.05, min(3.0, max(0.1, timing.startup_s)))
            moved = functools.partial(_moved, before or {})
            _wait_for(proc, command, fingerprint, moved, delay)
        else:
            wait = 3 * timing.total_s + 60
            reached = functools.partial(_beyond, progress, level)
            _wait_for(proc, command, fingerprint, reached, wait)
            _sleep_while_running(proc, rng.uniform(0.0, jitter))
        alive = proc.poll() is None
        if alive:
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        leftovers += len(reap(command.tag))
        if not alive:
            result = _finish(proc, output)
            assert proc.returncode == 0, result.stderr[-3000:]
            check(command.database, invariants)
            return CrashReport(landed, attempt, result, leftovers)
        after = read(command.database, fingerprint) or {}
        elapsed = round(time.monotonic() - started, 3)
        landed.append(Kill(round(progress(after), 4), elapsed, startup, after))
        check(command.database, invariants)
        if done is not None and query(command.database, done):
            return CrashReport(landed, attempt, None, leftovers)
    raise AssertionError(f"the work was not done after {attempt} attempts: {len(landed)} kills")


def _moved(before: Fingerprint, at: Fingerprint) -> bool:
    return any(v != before.get(k, 0) for k, v in at.items())


def _beyond(progress: Callable[[Fingerprint], float], level: float, at: Fingerprint) -> bool:
    return progress(at) >= level
