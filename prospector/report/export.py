"""CSV exports of the report's prospects and links, and private, atomic file writes."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from prospector.errors import UserError

PROSPECT_COLUMNS = (
    "id",
    "campaign",
    "type",
    "state",
    "score",
    "domain",
    "url",
    "title",
    "reasons",
    "created_at",
)
LINK_COLUMNS = (
    "id",
    "campaign",
    "state",
    "url",
    "domain",
    "target",
    "anchor",
    "expected_anchor",
    "rel",
    "rel_kind",
    "live_since",
    "lost_at",
    "last_checked_at",
    "last_outcome",
    "source",
)
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV (a header line, then one line per row), every text cell guarded."""
    out = io.StringIO()
    writer = csv.DictWriter(out, list(columns), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        flat = {}
        for key in columns:
            value = row.get(key)
            if isinstance(value, list | tuple):
                value = " | ".join(str(v) for v in value)
            flat[key] = guard_cell("" if value is None else value)
        writer.writerow(flat)
    return out.getvalue()


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temporary file renamed into place), readable
    by the owner only (0600)."""
    path = Path(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise UserError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        Path(temp).chmod(0o600)
        Path(temp).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise UserError(f"{path}: cannot write: {exc.strerror}") from None
    return path


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if needed; a folder created here is 0700."""
    path = Path(path)
    if not path.is_dir():
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.chmod(0o700)
        except OSError as exc:
            raise UserError(f"{path}: cannot create the folder: {exc.strerror}") from None
    return path
