"""Run one tool as a child process: wall time, peak RSS (``wait4``), exit code, output."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_rss_mb: float  # the largest resident set of the process (or a child it waited for)
    cpu_s: float  # user + system CPU time of the process and the children it waited for
    returncode: int
    timed_out: bool
    stdout: Path
    stderr: Path


def run_measured(
    cmd: list[str],
    *,
    stdout: Path,
    stderr: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 3600.0,
) -> Measured:
    """Start ``cmd`` in a session of its own and wait for it; kill that session on timeout."""
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
        timed_out = False
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid == proc.pid:
                    break
                if time.monotonic() - started > timeout_s:
                    timed_out = True
                    _kill_session(proc.pid)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.02)
        except BaseException:
            _kill_session(proc.pid)
            with contextlib.suppress(ChildProcessError):
                os.wait4(proc.pid, 0)
            raise
        wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
    return Measured(
        wall_s=wall,
        peak_rss_mb=usage.ru_maxrss / 1024.0,  # kilobytes on Linux
        cpu_s=usage.ru_utime + usage.ru_stime,
        returncode=proc.returncode,
        timed_out=timed_out,
        stdout=stdout,
        stderr=stderr,
    )


def _kill_session(pid: int) -> None:
    """End the process group this module started (the child leads it), and only that one."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
