"""Reading a spreadsheet export whatever its encoding and delimiter.

Encodings: a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE); without one, UTF-16
is recognised by its NUL bytes (Ahrefs exports UTF-16 LE), then strict UTF-8, then Windows-1252
(Excel's "CSV" on Western systems), then Latin-1, which decodes anything.
Delimiters: Excel's ``sep=`` first line, else ``csv.Sniffer`` on a sample, else each of comma,
semicolon, tab and pipe in order of their frequency in the first line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_CHARS = 8 * 1024  # csv.Sniffer's regexes are slow on large samples

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SEP_LINE = re.compile(r"\A[ \t]*sep=(.)[ \t]*(?:\r\n|\n|\r|\Z)", re.IGNORECASE)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec name as reported: utf-8, utf-8-sig, utf-16-le, cp1252, ...
    replaced: bool = False  # undecodable bytes were replaced (a damaged UTF-16/32 file)


@dataclass(frozen=True)
class Record:
    """One CSV record and the physical line (1-based) it starts on."""

    line: int
    cells: list[str] | None  # None: the CSV parser could not read this record
    error: str = ""


def decode(data: bytes) -> Decoded:
    """Decode ``data`` with the encoding its BOM or its bytes indicate; never raises."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _decode_unicode(data[len(bom) :], name.replace("-sig", ""), name)
    wide = _utf16_without_bom(data)
    if wide is not None:
        return _decode_unicode(data, wide, wide)
    for name in ("utf-8", "cp1252"):
        try:
            return Decoded(data.decode(name), name)
        except UnicodeDecodeError:
            continue
    return Decoded(data.decode("latin-1"), "latin-1")


def _decode_unicode(data: bytes, codec: str, label: str) -> Decoded:
    try:
        return Decoded(data.decode(codec), label)
    except UnicodeDecodeError:
        return Decoded(data.decode(codec, errors="replace"), label, replaced=True)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text that is mostly ASCII has a NUL in every other byte."""
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sum(1 for i in range(0, pairs * 2, 2) if sample[i] == 0)
    odd = sum(1 for i in range(1, pairs * 2, 2) if sample[i] == 0)
    if odd >= 0.3 * pairs and even <= 0.05 * pairs:
        return "utf-16-le"
    if even >= 0.3 * pairs and odd <= 0.05 * pairs:
        return "utf-16-be"
    return None


def explicit_delimiter(text: str) -> tuple[str | None, str]:
    """Excel's ``sep=;`` first line: (the delimiter, the text with that line left blank)."""
    match = _SEP_LINE.match(text)
    if not match:
        return None, text
    return match.group(1), "\n" + text[match.end() :]  # line numbers stay the file's


def candidate_delimiters(text: str) -> list[str]:
    """Delimiters to try, most likely first: the sniffer's guess, then by first-line count."""
    sample = text[:SAMPLE_CHARS]
    first = next((line for line in sample.splitlines() if line.strip()), "")
    order = sorted(DELIMITERS, key=lambda d: -first.count(d))
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in DELIMITERS and first.count(sniffed) > 0:
        order.remove(sniffed)
        order.insert(0, sniffed)
    return order


def records(text: str, delimiter: str) -> Iterator[Record]:
    """Every non-blank CSV record with the line it starts on. Quoted fields may span lines; a
    quoted field still open at the end of the file is an unreadable record, not data."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    previous = 0
    last: Record | None = None  # held back one record: only the last can be left open
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line, previous = previous + 1, reader.line_num
            if last is not None:
                yield last
            last = Record(line, None, f"unreadable CSV: {exc}")
            continue
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if last is not None:
            yield last
        last = Record(line, cells)
    if last is not None and last.cells and _ends_open(text, delimiter):
        last = Record(last.line, None, UNCLOSED_QUOTE)
    if last is not None:
        yield last


UNCLOSED_QUOTE = (
    "unreadable CSV: a quoted field runs to the end of the file (a closing quote missing)"
)


def _ends_open(text: str, delimiter: str) -> bool:
    """Does the file end inside a quoted field? (The lenient reader keeps such a field, with
    the line breaks it swallowed; the strict one says so.)"""
    if text.count('"') % 2 == 0:  # an open quote leaves an odd number of them
        return False
    strict = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for _ in strict:
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def other_delimiter(cells: list[str], width: int, delimiter: str) -> str | None:
    """The delimiter a one-field row is really split by, when the header is split by another:
    ``a;b;c`` under an ``a,b,c`` header reads as one field holding the whole row."""
    if len(cells) != 1 or width < 2:
        return None
    for other in DELIMITERS:
        if other != delimiter and other in cells[0]:
            split = next(csv.reader([cells[0]], delimiter=other, strict=False), [])
            if len(split) == width:
                return other
    return None
