"""Private files and folders: what holds contacts, mail or the pipeline's state is readable by
its owner only — files 0600, folders 0700 — whatever the umask, set explicitly rather than
left to it. Files are written to a temporary name and renamed into place, so a symbolic link
planted at the destination is replaced, not written through."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents, each new folder 0700; an existing folder is
    left as it is (it may be shared on purpose). Raises OSError."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
            folder.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def create_private(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist. Raises OSError."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def close_to_others(path: Path) -> None:
    """Take away what "others" (not the owner, not the group) may do with an existing file."""
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o007:
            path.chmod(mode & ~0o007)


def write_private(path: Path, data: bytes, *, mode: int = FILE_MODE) -> Path:
    """Write ``data`` to ``path`` atomically (a temporary file in the same folder renamed into
    place) with ``mode`` (0600 unless told). Raises OSError."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return path
