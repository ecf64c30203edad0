"""One agent per database, and the runs a dead agent left behind.

The lock is an exclusive ``flock`` on ``<database>.agent.lock`` holding the owner's pid. The
kernel releases it when the process ends however it ends, so a crashed or killed agent never
blocks the next one. The file itself stays: deleting it would let two processes lock two
different files of the same name.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from typing import Any

from prospector.errors import StoreError
from prospector.store.base import StoreBase

ABANDONED = "the agent stopped before this run finished (killed or crashed)"


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
