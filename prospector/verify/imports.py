"""``prospector links import FILE``: earned links we already have, from a CSV file.

Columns ``url`` (the page the link is on) and ``target`` (our page it points to), optionally
``anchor`` and ``campaign``; header names are matched case-insensitively, with aliases
('source url', 'linking page', 'target url', 'anchor text', ...). The encoding and the
delimiter are detected as for backlink exports. Bad rows are reported by line and skipped;
a file unusable as a whole (unreadable, no recognisable header, no usable row) raises
``ImportFormatError`` and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospector.campaigns import load_named
from prospector.config import Settings
from prospector.discover.import_formats import header_key
from prospector.discover.import_sniff import (
    DELIMITER_NAMES,
    Record,
    candidate_delimiters,
    decode,
    explicit_delimiter,
    other_delimiter,
    records,
)
from prospector.discover.imports import BadRow, mixed_delimiters
from prospector.errors import ImportFormatError, UserError
from prospector.store import open_db
from prospector.validation import MAX_IMPORT_BYTES, printable, read_input, url_problem
from prospector.verify.placements import checked_url, record

HEADER_SEARCH_RECORDS = 10
COLUMNS: dict[str, tuple[str, ...]] = {
    "url": (
        "url",
        "source url",
        "source",
        "linking page",
        "linking page url",
        "linking url",
        "page",
        "page url",
        "referring page",
        "referring page url",
        "from",
    ),
    "target": (
        "target",
        "target url",
        "target page",
        "link target",
        "link url",
        "links to",
        "destination",
        "destination url",
        "to",
    ),
    "anchor": ("anchor", "anchor text", "link text"),
    "campaign": ("campaign", "campaign name"),
}


@dataclass(frozen=True)
class LinkRow:
    line: int
    url: str
    target: str
    anchor: str | None
    campaign: str | None


@dataclass
class LinksFile:
    """A links CSV read and validated: the good rows and the bad ones."""

    path: Path
    encoding: str
    delimiter: str
    header_line: int
    columns: dict[str, str]  # field -> the header's own name for it
    rows: list[LinkRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)


def _columns(cells: list[str]) -> dict[str, int] | None:
    keys = [header_key(c) for c in cells]
    found: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        index = next(
            (i for i, k in enumerate(keys) if k in aliases and i not in found.values()), None
        )
        if index is not None:
            found[name] = index
    return found if "url" in found and "target" in found else None


def read_links(path: Path, campaigns: set[str]) -> LinksFile:
    """Read and validate a links CSV; ``campaigns`` are the names a row may give."""
    data = read_input(path, MAX_IMPORT_BYTES, "a links file", ImportFormatError)
    decoded = decode(data)
    if not decoded.text.strip():
        raise ImportFormatError(f"{path}: the file is empty")
    declared, text = explicit_delimiter(decoded.text)
    for delimiter in [declared] if declared else candidate_delimiters(text):
        parsed = _read_with(path, text, delimiter, decoded.encoding, campaigns)
        if parsed is not None:
            break
    else:
        raise ImportFormatError(
            f"{path}: no recognisable header: expected a 'url' column (the page the link is "
            "on; or 'source url', 'linking page') and a 'target' column (our page; or "
            "'target url'), optionally 'anchor' and 'campaign'"
        )
    if not parsed.rows:
        if not parsed.bad:
            raise ImportFormatError(f"{path}: header on line {parsed.header_line} but no rows")
        shown = "; ".join(f"line {b.line}: {b.reason}" for b in parsed.bad[:3])
        more = f" (and {len(parsed.bad) - 3} more)" if len(parsed.bad) > 3 else ""
        raise ImportFormatError(f"{path}: no usable rows, {len(parsed.bad)} bad: {shown}{more}")
    return parsed


def _read_with(
    path: Path, text: str, delimiter: str, encoding: str, campaigns: set[str]
) -> LinksFile | None:
    stream = records(text, delimiter)
    for index, first in enumerate(stream):
        if index >= HEADER_SEARCH_RECORDS:
            return None
        columns = _columns(first.cells) if first.cells is not None else None
        if columns is not None:
            break
    else:
        return None
    assert first.cells is not None
    parsed = LinksFile(
        path,
        encoding,
        delimiter,
        first.line,
        {name: first.cells[i].strip() for name, i in columns.items()},
    )
    width = len(first.cells)
    for row in stream:
        checked = _row(row, columns, width, campaigns, delimiter)
        if isinstance(checked, BadRow):
            parsed.bad.append(checked)
        else:
            parsed.rows.append(checked)
    return parsed


def _row(
    record_: Record, columns: dict[str, int], width: int, campaigns: set[str], delimiter: str
) -> LinkRow | BadRow:
    line = record_.line
    if record_.cells is None:
        return BadRow(line, record_.error)
    cells = record_.cells
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return BadRow(line, f"{len(cells)} fields where the header has {width}")
    mixed = other_delimiter(cells, width, delimiter)
    if mixed is not None:
        return BadRow(line, mixed_delimiters(mixed, delimiter))

    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for name in ("url", "target"):
        problem = url_problem(cell(name)) if cell(name) else None
        if problem is not None:
            return BadRow(line, f"{name} '{printable(cell(name))}': {problem}")
    try:
        url = checked_url(cell("url"), "url") if cell("url") else None
        target = checked_url(cell("target"), "target") if cell("target") else None
    except UserError as exc:
        return BadRow(line, str(exc))
    if url is None:
        return BadRow(line, "no url (the page the link is on)")
    if target is None:
        return BadRow(line, "no target (our page the link points to)")
    campaign = cell("campaign") or None
    if campaign is not None and campaign not in campaigns:
        known = ", ".join(sorted(campaigns)) or "none"
        return BadRow(line, f"unknown campaign '{printable(campaign)}' (known: {known})")
    return LinkRow(line, url, target, cell("anchor") or None, campaign)


@dataclass
class LinksImport:
    """What ``import_links`` did."""

    file: str
    encoding: str
    delimiter: str
    header_line: int
    columns: dict[str, str]
    rows: int
    added: int
    known: int
    bad: list[BadRow]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "encoding": self.encoding,
            "delimiter": DELIMITER_NAMES.get(self.delimiter, self.delimiter),
            "header_line": self.header_line,
            "columns": self.columns,
            "rows": self.rows,
            "added": self.added,
            "already_known": self.known,
            "bad_rows": len(self.bad),
            "bad": [b.as_dict() for b in self.bad],
        }


def import_links(
    settings: Settings, path: Path, *, campaign: str | None = None, actor: str
) -> LinksImport:
    """Store every good row as a placement (source 'import'); a row's own campaign wins over
    ``campaign``. Raises before writing anything when the file is unusable."""
    default = load_named(settings.campaigns_dir, campaign).name if campaign else None
    parsed = read_links(path, {p.stem for p in settings.campaigns_dir.glob("*.toml")})
    added = 0
    with open_db(settings.database) as store, store.transaction():
        for row in parsed.rows:
            done = record(
                store,
                None,
                row.url,
                target=row.target,
                campaign=row.campaign or default,
                anchor=row.anchor,
                source="import",
                actor=actor,
            )
            added += done.created
    return LinksImport(
        file=str(path),
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        header_line=parsed.header_line,
        columns=parsed.columns,
        rows=len(parsed.rows),
        added=added,
        known=len(parsed.rows) - added,
        bad=parsed.bad,
    )
