"""One agent per database, one run of a job at a time, and the runs a dead process left
behind.

A lock is an exclusive ``flock`` on ``<database>.agent.lock`` (the agent) or
``<database>.<job>[-<campaign>].lock`` (a job's run) holding the owner's pid. The kernel
releases it when the process ends however it ends, so a crashed or killed process never
blocks the next one — and whoever holds a job's lock knows that the runs of that job still
'running' were interrupted, and closes them. The file itself stays: deleting it would let two
processes lock two different files of the same name.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prospector.errors import StoreError
from prospector.store.base import StoreBase

ABANDONED = "the agent stopped before this run finished (killed or crashed)"
INTERRUPTED = "interrupted: the process stopped before the run finished (killed or crashed)"


class LockedError(StoreError):
    """Another process holds the lock."""


class FileLock:
    """An exclusive, non-blocking ``flock`` on ``path`` that records the holder's pid."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> FileLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the lock file: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise StoreError(f"{self.path}: cannot lock: {exc.strerror}") from None
            raise LockedError(
                f"{self.what} is already running (pid {holder or 'unknown'}; lock {self.path})"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the last descriptor releases the flock

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


class LocksStore(StoreBase):
    """The agent's lock file and its queries over ``runs`` (jobs named ``agent:<job>``)."""

    def agent_lock(self) -> FileLock:
        """The lock two agents on this database contend for (not yet acquired)."""
        if self.path is None:
            raise StoreError("an in-memory database has no agent")
        lock = self.path.with_name(self.path.name + ".agent.lock")
        return FileLock(lock, f"another agent on {self.path}")

    def job_lock(self, job: str, campaign: str = "") -> FileLock | None:
        """The lock a run of ``job`` (for ``campaign``, when runs are per campaign) holds
        while it works (not yet acquired); None for an in-memory database."""
        if self.path is None:
            return None
        name = f"{self.path.name}.{job}{'-' + campaign if campaign else ''}.lock"
        what = f"another {job} run{f' of campaign {campaign!r}' if campaign else ''}"
        return FileLock(self.path.with_name(name), f"{what} on {self.path}")

    @contextlib.contextmanager
    def job_running(self, job: str, campaign: str = "") -> Iterator[list[int]]:
        """Hold ``job``'s lock (LockedError when another process holds it); inside, the ids of
        the runs of ``job`` (for ``campaign``) a stopped process left 'running', now closed
        as failed (interrupted)."""
        lock = self.job_lock(job, campaign)
        if lock is not None:
            lock.acquire()
        try:
            yield self.close_interrupted(job, campaign)
        finally:
            if lock is not None:
                lock.release()

    def close_interrupted(self, job: str, campaign: str = "") -> list[int]:
        """Mark the runs of ``job`` (of ``campaign``, or of any when empty) still 'running'
        as failed, interrupted; only for the holder of the job's lock."""
        sql = "SELECT id FROM runs WHERE job = ? AND status = 'running'"
        args = [job]
        if campaign:
            sql, args = sql + " AND campaign = ?", [*args, campaign]
        ids = [int(row[0]) for row in self.db.execute(sql, args).fetchall()]
        for run_id in ids:
            self.finish_run(run_id, status="failed", counts={}, error=INTERRUPTED)
        return ids

    def interrupted_runs(self, job: str, since: str) -> list[int]:
        """The latest runs of ``job``, newest first, as long as they were interrupted and
        started at or after ``since`` (ISO): the runs a new one continues."""
        rows = self.db.execute(
            "SELECT id, status, error, started_at FROM runs WHERE job = ? ORDER BY id DESC",
            [job],
        )
        out = []
        for run_id, status, error, started in rows:
            if status != "failed" or error != INTERRUPTED or started < since:
                break
            out.append(int(run_id))
        return out

    def abandon_runs(self, prefix: str, error: str = ABANDONED) -> list[int]:
        """Mark runs of jobs named ``prefix...`` that are still 'running' as failed; only
        for the lock holder, who knows nobody else is running them."""
        rows = self.db.execute(
            "SELECT id FROM runs WHERE substr(job, 1, length(?)) = ? AND status = 'running'",
            [prefix, prefix],
        ).fetchall()
        ids = [int(row[0]) for row in rows]
        for run_id in ids:
            self.finish_run(run_id, status="failed", counts={}, error=error)
        return ids

    def last_runs(self, jobs: list[str]) -> dict[str, dict[str, Any]]:
        """The latest run of each named job (by start), for those that ever ran."""
        out: dict[str, dict[str, Any]] = {}
        for job in jobs:
            row = self.db.execute(
                "SELECT id, job, started_at, finished_at, status, counts, error FROM runs "
                "WHERE job = ? ORDER BY id DESC LIMIT 1",
                [job],
            ).fetchone()
            if row is not None:
                keys = ("id", "job", "started_at", "finished_at", "status", "counts", "error")
                out[job] = dict(zip(keys, row, strict=True))
        return out
