"""Imported rank lists: Tranco (``rank,domain`` CSV) and Common Crawl domain ranks (TSV).

``read_ranks(path)`` streams a file's rows without touching the database: gzip and zip are
recognised by their magic bytes, the format by the first line, and every bad line is counted
(the first ``KEEP_BAD`` kept with their line numbers). ``import_ranks(settings, path)`` replaces
the list in the store in one transaction, so a million rows take seconds and a failed import
leaves the previous list in place.

Common Crawl's header is ``#harmonicc_pos #harmonicc_val #pr_pos #pr_val #host_rev #n_hosts``
(tab-separated); ``host_rev`` is the domain with its labels reversed (``com.example``). The
harmonic-centrality position is the rank and its value is kept.
"""

from __future__ import annotations

import gzip
import io
import itertools
import re
import time
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from prospector.config import Settings
from prospector.errors import ImportFormatError
from prospector.store import open_db

RankFormat = Literal["tranco", "commoncrawl"]
KEEP_BAD = 100  # bad lines kept with their reasons; all are counted
CC_COLUMNS = ("#harmonicc_pos", "#harmonicc_val", "#pr_pos", "#pr_val", "#host_rev", "#n_hosts")
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_DOMAIN = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{1,63}")
_TRANCO_HEADER = re.compile(r"^\s*rank\s*,\s*domain\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


@dataclass
class RankStats:
    """What reading a rank file found; filled in while its rows stream."""

    format: RankFormat
    compression: str  # none | gzip | zip
    good: int = 0
    bad_count: int = 0
    bad: list[BadLine] = field(default_factory=list)

    def add_bad(self, line: int, reason: str) -> None:
        self.bad_count += 1
        if len(self.bad) < KEEP_BAD:
            self.bad.append(BadLine(line, reason))


def normalize_domain(value: str) -> str | None:
    """A domain as stored: lower case, no trailing dot, no ``www.``; None if not a domain."""
    name = value.strip().lower().rstrip(".")
    name = name.removeprefix("www.")
    if len(name) > 253 or not _DOMAIN.fullmatch(name):
        return None
    return name


def reverse_host(host_rev: str) -> str:
    """``com.example`` -> ``example.com``."""
    return ".".join(reversed(host_rev.strip().split(".")))


def detect_format(first_line: str) -> RankFormat | None:
    """Which list a file is, from its first line."""
    line = first_line.lstrip("\ufeff").strip()
    if line.startswith("#harmonicc_pos"):
        return "commoncrawl"
    if _TRANCO_HEADER.match(line):
        return "tranco"
    head, sep, _ = line.partition(",")
    if sep and head.strip().isdigit():
        return "tranco"
    return None


@contextmanager
def open_text(path: Path) -> Iterator[tuple[IO[str], str]]:
    """The file as text lines, decompressed (gzip, or a zip's first file): (stream, kind)."""
    try:
        with path.open("rb") as probe:
            magic = probe.read(4)
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        if magic.startswith(_GZIP_MAGIC):
            with gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="") as text:
                yield text, "gzip"
        elif magic.startswith(_ZIP_MAGIC):
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if not members:
                    raise ImportFormatError(f"{path}: the zip archive holds no file")
                with archive.open(members[0]) as raw:
                    yield (
                        io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=""),
                        "zip",
                    )
        else:
            with path.open(encoding="utf-8", errors="replace", newline="") as text:
                yield text, "none"
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ImportFormatError(f"{path}: cannot read: {exc}") from None


def rank_rows(
    lines: Iterable[str], path: Path, stats: RankStats
) -> Iterator[tuple[str, int, float | None]]:
    """(domain, rank, value) for every good line after the first; bad lines go to ``stats``.

    Raises ``ImportFormatError`` after the last line when no line was good.
    """
    if stats.format == "commoncrawl":
        yield from _commoncrawl(lines, stats)
    else:
        yield from _tranco(lines, stats)
    if stats.good == 0:
        shown = "; ".join(f"line {b.line}: {b.reason}" for b in stats.bad[:3])
        detail = f": {stats.bad_count} bad ({shown})" if stats.bad_count else ""
        raise ImportFormatError(f"{path}: no usable {stats.format} rows{detail}")


def _tranco(lines: Iterable[str], stats: RankStats) -> Iterator[tuple[str, int, float | None]]:
    for number, line in enumerate(lines, 1):
        line = line.lstrip("\ufeff").strip() if number == 1 else line.strip()
        if not line or (number == 1 and _TRANCO_HEADER.match(line)):
            continue
        rank_text, sep, name = line.partition(",")
        if not sep or "," in name:
            stats.add_bad(number, "expected 'rank,domain'")
            continue
        if not rank_text.isdigit() or int(rank_text) < 1:
            stats.add_bad(number, f"rank '{_short(rank_text)}' is not a positive whole number")
            continue
        domain = normalize_domain(name)
        if domain is None:
            stats.add_bad(number, f"'{_short(name)}' is not a domain name")
            continue
        stats.good += 1
        yield domain, int(rank_text), None


def _commoncrawl(lines: Iterable[str], stats: RankStats) -> Iterator[tuple[str, int, float | None]]:
    for number, line in enumerate(lines, 1):
        if number == 1:
            continue  # the header, checked by read_ranks
        line = line.strip()
        if not line:
            continue
        cells = line.split("\t")
        if len(cells) != len(CC_COLUMNS):
            stats.add_bad(number, f"{len(cells)} tab-separated fields, expected {len(CC_COLUMNS)}")
            continue
        pos, val = cells[0].strip(), cells[1].strip()
        if not pos.isdigit() or int(pos) < 1:
            stats.add_bad(number, f"#harmonicc_pos '{_short(pos)}' is not a positive whole number")
            continue
        try:
            value = float(val)
        except ValueError:
            stats.add_bad(number, f"#harmonicc_val '{_short(val)}' is not a number")
            continue
        domain = normalize_domain(reverse_host(cells[4]))
        if domain is None:
            stats.add_bad(number, f"#host_rev '{_short(cells[4])}' is not a reversed domain name")
            continue
        stats.good += 1
        yield domain, int(pos), value


def _short(text: str, limit: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextmanager
def read_ranks(path: Path) -> Iterator[tuple[RankStats, Iterator[tuple[str, int, float | None]]]]:
    """Open a rank file: (stats, rows). The rows stream; ``stats`` is complete once they end."""
    with open_text(path) as (lines, compression):
        first = lines.readline()
        if not first.strip():
            raise ImportFormatError(f"{path}: the file is empty")
        fmt = detect_format(first)
        if fmt is None:
            raise ImportFormatError(
                f"{path}: not a rank list: expected Tranco 'rank,domain' lines or Common Crawl "
                "domain ranks (tab-separated, header '#harmonicc_pos #harmonicc_val #pr_pos "
                "#pr_val #host_rev #n_hosts')"
            )
        if fmt == "commoncrawl":
            header = [cell.strip() for cell in first.lstrip("\ufeff").strip().split("\t")]
            if tuple(header) != CC_COLUMNS:
                raise ImportFormatError(
                    f"{path}: line 1: Common Crawl header is '{' '.join(header)}', "
                    f"expected '{' '.join(CC_COLUMNS)}' (tab-separated)"
                )
        stats = RankStats(fmt, compression)
        yield stats, rank_rows(itertools.chain([first], lines), path, stats)


# -- the job ------------------------------------------------------------------------------------


@dataclass
class RankImportReport:
    """What ``import_ranks`` did."""

    file: str
    list_name: str
    format: RankFormat
    compression: str
    imported: int  # rows stored
    duplicates: int  # good rows whose domain was already in the file
    replaced: int  # rows the list had before (0 for a new list)
    bad_count: int
    bad: list[BadLine]
    seconds: float
    run_id: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "list": self.list_name,
            "format": self.format,
            "compression": self.compression,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "replaced": self.replaced,
            "bad_lines": self.bad_count,
            "bad": [b.as_dict() for b in self.bad],
            "seconds": round(self.seconds, 3),
            "run_id": self.run_id,
        }


def import_ranks(settings: Settings, path: Path, list_name: str | None = None) -> RankImportReport:
    """Import a rank file as the list ``list_name`` (default: its format), replacing the list.

    Nothing is written when the file is unusable (``ImportFormatError``).
    """
    started = time.perf_counter()
    if list_name is not None and not list_name.strip():
        raise ImportFormatError("--list: the list name must not be empty")
    with read_ranks(path) as (stats, rows), open_db(settings.database) as store:
        name = (list_name or stats.format).strip()
        run_id = store.start_run("import")
        try:
            imported, replaced = store.replace_ranks(name, rows)
        except BaseException as exc:
            store.finish_run(run_id, status="failed", counts={}, error=str(exc)[:500])
            raise
        report = RankImportReport(
            file=str(path),
            list_name=name,
            format=stats.format,
            compression=stats.compression,
            imported=imported,
            duplicates=stats.good - imported,
            replaced=replaced,
            bad_count=stats.bad_count,
            bad=stats.bad,
            seconds=time.perf_counter() - started,
            run_id=run_id,
        )
        store.finish_run(
            run_id,
            status="ok",
            counts={"ranks": imported, "bad_lines": stats.bad_count, "replaced": replaced},
        )
    return report
