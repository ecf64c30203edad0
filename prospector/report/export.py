"""CSV exports of the report's prospects and links, and private, atomic file writes."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from prospector import private
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
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection); the
# full-width forms too (some spreadsheets fold them), and after leading spaces.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# control characters a cell has no use for (tab, CR and LF stay: cells may hold lines)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def guard_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; control
    characters (an ESC from a page title) are dropped."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    if value.startswith(FORMULA_START) or value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV (a header line, then one line per row), every text cell guarded and
    every cell quoted (so a ';' in a cell cannot split it where ';' is the separator)."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, list(columns), extrasaction="ignore", lineterminator="\r\n", quoting=csv.QUOTE_ALL
    )
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
    try:
        return private.write_private(Path(path), text.encode("utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot write: {exc.strerror}") from None


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if needed; every folder created here is 0700."""
    try:
        return private.private_dir(Path(path))
    except OSError as exc:
        raise UserError(f"{path}: cannot create the folder: {exc.strerror}") from None
