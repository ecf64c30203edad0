"""Which tool wrote a backlink export, and which column holds what.

Column names are matched loosely: case, spacing and punctuation do not matter
("Referring page URL", "referring_page_url" and "REFERRING-PAGE-URL" are one name), and each
field has its synonyms across Ahrefs (the current export and the older one), Semrush (the web
export and the API's column names), Moz Link Explorer, Google Search Console's links exports and
hand-made lists. The tool is the one whose characteristic columns the header has most of; any
header with a source-URL-like column is usable ("generic" when no tool is recognised).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# Each field's accepted column names (normalised), best first.
FIELDS: dict[str, tuple[str, ...]] = {
    "source": (
        "referring page url",
        "source url",
        "linking page",
        "linking page url",
        "referring url",
        "referring page",
        "source page url",
        "source page",
        "url from",
        "from url",
        "backlink url",
        "link from",
        "linking url",
        "top linking pages",
        "source",
        "url",
        "links",  # the older Search Console export
    ),
    "target": (
        "target url",
        "target page",
        "url to",
        "to url",
        "link url",  # the older Ahrefs export
        "linked url",
        "linked page",
        "destination url",
        "destination",
        "landing page url",
        "landing page",
        "link to",
        "target",
    ),
    "anchor": ("anchor", "anchor text", "link anchor", "link text", "anchor url text"),
    "title": (
        "referring page title",
        "source title",
        "source page title",
        "page title",
        "title",
    ),
    "first_seen": (
        "first seen",
        "first discovered",
        "first found",
        "first crawled",
        "first indexed",
        "date found",
        "found date",
        "discovered",
        "date added",
    ),
    "last_seen": (
        "last seen",
        "last crawled",
        "last check",
        "last checked",
        "last visited",
        "last found",
        "last indexed",
    ),
    "nofollow": ("nofollow", "no follow", "is nofollow"),
    "follow": ("follow", "dofollow", "do follow", "followable", "is follow", "follow link"),
    "rel": ("link type", "rel", "link rel", "rel attributes", "follow nofollow", "type"),
}

# Columns only one tool writes; the tool with most of them in a header wrote it.
SIGNATURES: dict[str, frozenset[str]] = {
    "ahrefs": frozenset(
        {
            "referring page url",
            "referring page title",
            "referring page http code",
            "domain rating",
            "url rating",
            "dr",
            "ur",
            "link anchor",
            "textpre",
            "textpost",
            "left context",
            "right context",
            "links in group",
            "lost status",
            "drop reason",
            "discovered status",
            "domain traffic",
            "page traffic",
            "linked domains",
            "backlink status",
            "day lost",
            "link url",
        }
    ),
    "semrush": frozenset(
        {
            "page ascore",
            "page authority score",
            "source title",
            "new link",
            "sitewide",
            "lost link",
            "page as",
            "external num",
            "internal num",
            "source size",
        }
    ),
    "moz": frozenset(
        {
            "spam score",
            "domain authority",
            "page authority",
            "da",
            "pa",
            "followable",
            "link equity",
            "link state",
            "number of domains linking to this page",
            "number of domains linking to domain",
        }
    ),
    "gsc": frozenset(
        {"linking page", "top linking pages", "target page", "last crawled", "first discovered"}
    ),
}
TOOLS = ("ahrefs", "semrush", "moz", "gsc", "generic")

_NON_WORD = re.compile(r"[^0-9a-z]+")
_TRUE = {"true", "yes", "y", "1", "nofollow"}
_FALSE = {"false", "no", "n", "0", "dofollow", "follow"}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"-?[1-9]\d{0,2}(?:,\d{3})+")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
)


def header_key(name: str) -> str:
    """'Referring page URL' / 'referring_page_url' / ' URL (from) ' -> 'referring page url'."""
    return _NON_WORD.sub(" ", name.replace("\ufeff", "").lower()).strip()


def metric_key(name: str) -> str:
    return header_key(name).replace(" ", "_") or "column"


@dataclass(frozen=True)
class ColumnMap:
    """What a header row means: the tool, each field's column, and the remaining columns."""

    tool: str
    headers: tuple[str, ...]
    fields: dict[str, int]  # field -> column index
    extra: tuple[tuple[int, str], ...]  # (column index, metrics key) of every other column

    def column(self, field: str) -> str | None:
        index = self.fields.get(field)
        return None if index is None else self.headers[index]


def map_header(cells: list[str]) -> ColumnMap | None:
    """The meaning of a header row, or None when it has no source-URL-like column."""
    keys = [header_key(c) for c in cells]
    fields: dict[str, int] = {}
    taken: set[int] = set()
    for field, names in FIELDS.items():
        for name in names:
            index = next((i for i, k in enumerate(keys) if k == name and i not in taken), None)
            if index is not None:
                fields[field] = index
                taken.add(index)
                break
    if "source" not in fields:
        return None
    present = set(keys)
    hits = {tool: len(sig & present) for tool, sig in SIGNATURES.items()}
    best = max(hits, key=lambda t: hits[t])
    tool = best if hits[best] > 0 else "generic"
    used: set[str] = set()
    extra = []
    for i, cell in enumerate(cells):
        if i in taken or not keys[i]:
            continue
        key = metric_key(cell)
        while key in used:
            key += "_"
        used.add(key)
        extra.append((i, key))
    return ColumnMap(tool, tuple(c.strip() for c in cells), fields, tuple(extra))


def parse_flag(value: str) -> bool | None:
    """A yes/no cell: True, False, or None when it says neither."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def parse_rel(value: str) -> bool | None:
    """A link-type cell ('nofollow', 'dofollow', 'ugc nofollow', 'text'): nofollow or not."""
    tokens = set(_NON_WORD.split(value.lower()))
    if "nofollow" in tokens:
        return True
    if tokens & {"dofollow", "follow"}:
        return False
    return None


def parse_date(value: str) -> str | None:
    """An ISO date (or date-time) for the common export formats; the text itself otherwise."""
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return text
    if (parsed.hour, parsed.minute, parsed.second, parsed.microsecond) == (0, 0, 0, 0):
        return parsed.date().isoformat()
    return parsed.isoformat()


def parse_metric(value: str) -> str | int | float | bool:
    """A number when the cell is a plain one ('42', '0.5', '1,234', '12,5' in European
    exports), a boolean for 'true'/'false'; the text otherwise."""
    text = value.strip()
    if not text or not (text[0].isdigit() or text[0] == "-"):
        lowered = text.lower()
        return lowered == "true" if lowered in ("true", "false") else text
    if text.isascii() and text.isdigit():
        return int(text)
    if _THOUSANDS.fullmatch(text):
        return int(text.replace(",", ""))
    candidate = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    if _NUMBER.fullmatch(candidate):
        return float(candidate) if "." in candidate else int(candidate)
    return text
