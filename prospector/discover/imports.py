"""Importing competitors' backlinks from CSV exports (Ahrefs, Semrush, Moz, Search Console).

``read_backlinks(path)`` reads and validates an export without touching the database: the
encoding and delimiter are sniffed, the header is recognised (it may follow a few lines of
preamble), and every row is either kept or reported with its line number and the reason.
``import_backlinks(settings, path, campaign)`` stores the good rows, makes each distinct
referring page a discovery candidate and records the run. A file that is unusable as a whole
raises ``ImportFormatError`` and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospector.campaigns import load_named
from prospector.config import Settings
from prospector.discover.import_formats import (
    ColumnMap,
    map_header,
    parse_date,
    parse_flag,
    parse_metric,
    parse_rel,
)
from prospector.discover.import_sniff import (
    DELIMITER_NAMES,
    Record,
    candidate_delimiters,
    decode,
    explicit_delimiter,
    other_delimiter,
    records,
)
from prospector.errors import ImportFormatError
from prospector.store import open_db
from prospector.store.discovery import Candidate
from prospector.store.imports import Backlink
from prospector.validation import MAX_IMPORT_BYTES, printable, read_input, url_problem
from prospector.web.urls import normalize

HEADER_SEARCH_RECORDS = 10  # a header may follow a few lines of report preamble
MAX_URL_CHARS = 4096
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


@dataclass
class ParsedExport:
    """A backlink export read and validated: the good rows and the bad ones."""

    path: Path
    tool: str
    encoding: str
    delimiter: str
    header_line: int
    columns: dict[str, str]  # field -> the header's own name for it
    rows: list[Backlink] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def read_backlinks(path: Path) -> ParsedExport:
    """Read and validate a backlink export; raise ``ImportFormatError`` if it is unusable."""
    data = read_input(path, MAX_IMPORT_BYTES, "an import file", ImportFormatError)
    if data.startswith(_ZIP_MAGIC):
        raise ImportFormatError(
            f"{path}: this is a spreadsheet workbook (.xlsx), not CSV: export or save it as CSV"
        )
    decoded = decode(data)
    if not decoded.text.strip():
        raise ImportFormatError(f"{path}: the file is empty")
    declared, text = explicit_delimiter(decoded.text)
    parsed = None
    for delimiter in [declared] if declared else candidate_delimiters(text):
        parsed = _read_with(path, text, delimiter, decoded.encoding)
        if parsed is not None:
            break
    if parsed is None:
        raise ImportFormatError(
            f"{path}: no recognisable header: expected a column of referring page URLs "
            "(such as 'Referring page URL', 'Source url', 'URL' or 'Linking page') "
            "in an Ahrefs, Semrush, Moz, Search Console or similar CSV export"
        )
    if not parsed.rows:
        if not parsed.bad:
            raise ImportFormatError(
                f"{path}: {parsed.tool} header on line {parsed.header_line} but no data rows"
            )
        shown = "; ".join(f"line {b.line}: {b.reason}" for b in parsed.bad[:3])
        more = f" (and {len(parsed.bad) - 3} more)" if len(parsed.bad) > 3 else ""
        raise ImportFormatError(f"{path}: no usable rows, {len(parsed.bad)} bad: {shown}{more}")
    return parsed


def _read_with(path: Path, text: str, delimiter: str, encoding: str) -> ParsedExport | None:
    stream = records(text, delimiter)
    columns: ColumnMap | None = None
    header_line = 0
    for index, record in enumerate(stream):
        if index >= HEADER_SEARCH_RECORDS:
            return None
        if record.cells is not None:
            columns = map_header(record.cells)
            if columns is not None:
                header_line = record.line
                break
    if columns is None:
        return None
    parsed = ParsedExport(
        path,
        columns.tool,
        encoding,
        delimiter,
        header_line,
        {f: columns.headers[i] for f, i in columns.fields.items()},
    )
    targets: dict[str, str | BadRow] = {}
    for record in stream:
        row = _row(record, columns, path.name, targets, delimiter)
        if isinstance(row, BadRow):
            parsed.bad.append(row)
        else:
            parsed.rows.append(row)
    return parsed


def mixed_delimiters(row: str, header: str) -> str:
    names = DELIMITER_NAMES
    return (
        f"the row is {names.get(row, repr(row))}-separated, "
        f"the header {names.get(header, repr(header))}-separated"
    )


def _row(
    record: Record,
    columns: ColumnMap,
    file_name: str,
    targets: dict[str, str | BadRow],
    delimiter: str,
) -> Backlink | BadRow:
    if record.cells is None:
        return BadRow(record.line, record.error)
    cells = record.cells
    width = len(columns.headers)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return BadRow(
            record.line,
            f"{len(cells)} fields where the header has {width} (an unquoted delimiter?)",
        )
    mixed = other_delimiter(cells, width, delimiter)
    if mixed is not None:
        return BadRow(record.line, mixed_delimiters(mixed, delimiter))

    def cell(name: str) -> str:
        index = columns.fields.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    source = _checked_url(cell("source"), "source", record.line)
    if isinstance(source, BadRow):
        return source
    target = ""
    raw_target = cell("target")
    if raw_target:  # exports repeat a handful of targets: check each once
        checked = targets.get(raw_target) or _checked_url(raw_target, "target", record.line)
        targets.setdefault(raw_target, checked)
        if isinstance(checked, BadRow):
            return BadRow(record.line, checked.reason)
        target = checked
    metrics: dict[str, Any] = {}
    title = cell("title")
    if title:
        metrics["title"] = title
    for index, key in columns.extra:
        if index < len(cells) and cells[index].strip():
            metrics[key] = parse_metric(cells[index])
    return Backlink(
        source_url=source,
        target_url=target,
        anchor=cell("anchor") or None,
        nofollow=_nofollow(cell),
        first_seen=parse_date(cell("first_seen")),
        last_seen=parse_date(cell("last_seen")),
        metrics=metrics,
        tool=columns.tool,
        file=file_name,
        line=record.line,
    )


def _checked_url(url: str, what: str, line: int) -> str | BadRow:
    """The URL normalised, or why it is not an absolute http(s) URL."""
    if not url:
        return BadRow(line, f"no {what} URL")
    if len(url) > MAX_URL_CHARS:
        return BadRow(line, f"{what} URL longer than {MAX_URL_CHARS} characters")
    reason = url_problem(url)
    if reason is None:
        try:
            return normalize(url)
        except ValueError as exc:
            reason = f"malformed URL: {exc}"
    if reason == "not a URL":
        reason = "not an absolute http(s) URL"
    return BadRow(line, f"{what} URL '{printable(url)}': {reason}")


def _nofollow(cell: Callable[[str], str]) -> bool | None:
    flag = parse_flag(cell("nofollow")) if cell("nofollow") else None
    if flag is not None:
        return flag
    follow = parse_flag(cell("follow")) if cell("follow") else None
    if follow is not None:
        return not follow
    return parse_rel(cell("rel")) if cell("rel") else None


# -- the job --------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What ``import_backlinks`` did."""

    file: str
    campaign: str
    tool: str
    encoding: str
    delimiter: str
    header_line: int
    columns: dict[str, str]
    rows: int  # good rows in the file
    imported: int  # of those, new to the campaign
    duplicates: int  # good rows already known (from this file or an earlier import)
    bad: list[BadRow]
    sources: int  # distinct referring pages
    candidates: int  # of those, new discovery candidates
    run_id: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "campaign": self.campaign,
            "tool": self.tool,
            "encoding": self.encoding,
            "delimiter": DELIMITER_NAMES.get(self.delimiter, self.delimiter),
            "header_line": self.header_line,
            "columns": self.columns,
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "bad_rows": len(self.bad),
            "bad": [b.as_dict() for b in self.bad],
            "sources": self.sources,
            "candidates_added": self.candidates,
            "run_id": self.run_id,
        }


def import_backlinks(settings: Settings, path: Path, campaign: str) -> ImportReport:
    """Import a backlink export into ``campaign``: rows to the store, referring pages to the
    discovery frontier, one run recorded. Raises before writing anything when the campaign
    does not exist or the file is unusable."""
    name = load_named(settings.campaigns_dir, campaign, settings.templates_dir).name
    parsed = read_backlinks(path)
    sources = list(dict.fromkeys(row.source_url for row in parsed.rows))
    detail = f"{parsed.tool}:{path.name}"
    with open_db(settings.database) as store:
        run_id = store.start_run("import", name)
        try:
            imported = store.add_backlinks(name, parsed.rows, run_id)
            added = store.add_candidates(
                name, [Candidate(url, "import", detail) for url in sources], run_id
            )
        except BaseException as exc:
            store.finish_run(run_id, status="failed", counts={}, error=str(exc)[:500])
            raise
        report = ImportReport(
            file=str(path),
            campaign=name,
            tool=parsed.tool,
            encoding=parsed.encoding,
            delimiter=parsed.delimiter,
            header_line=parsed.header_line,
            columns=parsed.columns,
            rows=len(parsed.rows),
            imported=imported,
            duplicates=len(parsed.rows) - imported,
            bad=parsed.bad,
            sources=len(sources),
            candidates=added,
            run_id=run_id,
        )
        store.finish_run(
            run_id,
            status="ok",
            counts={
                "rows": report.rows,
                "imported": imported,
                "duplicates": report.duplicates,
                "bad": len(parsed.bad),
                "candidates": added,
            },
        )
    return report
