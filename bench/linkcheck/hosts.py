"""A temporary, clearly marked block in ``/etc/hosts``, always removed again.

The peers know nothing of ``network.resolve``; they find the local web's host names through
the system resolver, which reads ``/etc/hosts`` first. The block is added when entering
:func:`hosts_block` and the file's original text is written back on leaving — also on an
exception, on Ctrl-C, and on SIGTERM/SIGHUP (turned into an exception while the block is in
place). Needs root; :func:`can_edit_hosts` says whether it can be done here.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType

HOSTS = Path("/etc/hosts")
BEGIN = "# >>> prospector bench/linkcheck: temporary entries, removed when the benchmark ends >>>"
END = "# <<< prospector bench/linkcheck <<<"


def can_edit_hosts(path: Path = HOSTS) -> str | None:
    """None when the block can be added, else why not (one line)."""
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "not running as root: /etc/hosts cannot be edited, so the peers cannot be run"
    if not os.access(path, os.W_OK):
        return f"{path} is not writable"
    return None


def strip_block(text: str) -> str:
    """``text`` without any block of ours (a leftover of a run that was killed with -9)."""
    out: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        if line.rstrip("\n") == BEGIN:
            inside = True
            continue
        if inside and line.rstrip("\n") == END:
            inside = False
            continue
        if not inside:
            out.append(line)
    return "".join(out)


def render_block(entries: Iterable[tuple[str, str]]) -> str:
    lines = [BEGIN]
    lines += [f"{ip} {host}" for ip, host in entries]
    lines.append(END)
    return "\n".join(lines) + "\n"


class _Terminated(Exception):
    pass


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated(f"signal {signum}")


@contextlib.contextmanager
def hosts_block(entries: list[tuple[str, str]], path: Path = HOSTS) -> Iterator[None]:
    """Add ``ip host`` lines in a marked block for the duration; restore the file after."""
    original = path.read_text(encoding="utf-8")
    base = strip_block(original)
    if base != original:
        original = base  # a stale block of ours: drop it for good
    if base and not base.endswith("\n"):
        base += "\n"
    previous = {
        sig: signal.signal(sig, _raise_terminated) for sig in (signal.SIGTERM, signal.SIGHUP)
    }
    try:
        path.write_text(base + render_block(entries), encoding="utf-8")
        yield
    finally:
        path.write_text(original, encoding="utf-8")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
