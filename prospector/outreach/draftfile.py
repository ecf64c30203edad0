"""The draft file format — Subject line, blank line, text, optional HTML part — and
leftover-placeholder detection.

``prospector.outreach.templates`` reads template files in this format (the parts are Jinja
there); ``prospector edit`` reads and writes drafts in it (plain text). Every error names the
file and its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prospector.errors import TemplateError

HTML_MARKER = "--- html ---"


@dataclass(frozen=True)
class Draft:
    subject: str
    text: str
    html: str | None = None


# --- leftover placeholders ---------------------------------------------------------------------

_PLACEHOLDERS = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}"  # Jinja / mustache left in the text
    r"|\{\s*[A-Za-z_][\w.-]*\s*\}"  # {first_name}
    r"|(?P<pct>%[A-Za-z][A-Za-z_]{2,}%)"  # %FIRSTNAME%
    r"|<<[^<>\n]{1,60}>>"
    r"|\b(?:TODO|TBD|FIXME)\b"
    r"|(?i:\blorem\s+ipsum\b)"
    r"|(?P<br>\[(?P<inner>[^\[\]\n]{1,80})\])(?!\()"  # [First Name], not a markdown link
)
_URL = re.compile(r"\b(?:https?|mailto):\S+")
_KEYWORDS = frozenset(
    ("name", "first", "last", "company", "site", "website", "url", "link", "topic", "title",
     "insert", "your", "recipient", "contact", "date", "keyword", "anchor")
)  # fmt: skip
_PREFIXES = _KEYWORDS | {"full", "user", "page", "blog"}


def _placeholder_word(word: str) -> bool:
    word = word.removesuffix("'s")
    if word in _KEYWORDS or (word.endswith("s") and word[:-1] in _KEYWORDS):
        return True
    return any(word[:i] in _PREFIXES and word[i:] in _KEYWORDS for i in range(2, len(word) - 1))


def _bracket_is_placeholder(inner: str) -> bool:
    inner = inner.strip()
    if inner.lower().startswith("insert"):
        return True
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", inner).lower().replace("_", " ").split()
    words = [w.strip('.,:;!?()"-') for w in words]
    return 1 <= len(words) <= 4 and any(_placeholder_word(w) for w in words)


def find_placeholders(text: str) -> list[tuple[int, str]]:
    """Leftover placeholders in a rendered draft or edited text: (1-based line, token)."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), 1):
        urls = [m.span() for m in _URL.finditer(line)]
        for match in _PLACEHOLDERS.finditer(line):
            if match.group("br") and not _bracket_is_placeholder(match.group("inner")):
                continue
            if match.group("pct") and any(a <= match.start() < b for a, b in urls):
                continue
            found.append((number, match.group(0)))
    return found


# --- the file format ---------------------------------------------------------------------------

_SUBJECT = re.compile(r"^subject:[ \t]*", re.I)
_HEADER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:")


@dataclass(frozen=True)
class Section:
    first: int  # 1-based line in the file of the section's first line
    source: str


def split_sections(text: str, where: str) -> tuple[Section, Section, Section | None]:
    """Split the file format into subject, text body and optional HTML body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        raise TemplateError(f"{where}:1: empty; the first line must be 'Subject: ...'")
    subject = _SUBJECT.match(lines[start])
    if subject is None:
        header = _HEADER.match(lines[start])
        what = f", not a '{header.group(1)}:' header" if header else ""
        raise TemplateError(f"{where}:{start + 1}: the first line must be 'Subject: ...'{what}")
    after = start + 1
    if after < len(lines) and lines[after].strip():
        header = _HEADER.match(lines[after])
        if lines[after][0] in " \t":
            what = "the subject must be one line"
        elif header:
            what = f"only the Subject header may be set; '{header.group(1)}:' is not allowed"
        else:
            what = "a blank line must separate the subject from the body"
        raise TemplateError(f"{where}:{after + 1}: {what}")
    markers = [i for i in range(after + 1, len(lines)) if lines[i].rstrip() == HTML_MARKER]
    if len(markers) > 1:
        raise TemplateError(f"{where}:{markers[1] + 1}: only one '{HTML_MARKER}' line is allowed")
    end = markers[0] if markers else len(lines)
    body = Section(after + 2, "\n".join(lines[after + 1 : end]))
    if not body.source.strip():
        raise TemplateError(f"{where}:{min(after + 2, len(lines))}: the body is empty")
    html = None
    if markers:
        html = Section(end + 2, "\n".join(lines[end + 1 :]))
        if not html.source.strip():
            raise TemplateError(f"{where}:{end + 1}: the html part is empty")
    return Section(start + 1, lines[start][subject.end() :].strip()), body, html


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(value: str) -> str:
    return re.sub(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", value).strip()


def trim(value: str) -> str:
    return re.sub(r"\A(?:[ \t]*\n)+", "", value).rstrip()


def parse_draft(text: str, source: str) -> Draft:
    """An edited draft (the template format without Jinja) -> Draft, or "source:line: ..."."""
    subject, body, html = split_sections(text, source)
    if not subject.source:
        raise TemplateError(f"{source}:{subject.first}: the subject is empty")
    if _CONTROL.search(subject.source):
        raise TemplateError(f"{source}:{subject.first}: the subject contains control characters")
    for section in (subject, body, html):
        if section is not None:
            for line, token in find_placeholders(section.source):
                raise TemplateError(
                    f"{source}:{section.first + line - 1}: leftover placeholder '{token}'"
                )
    return Draft(subject.source, trim(body.source), trim(html.source) if html else None)


def format_draft(draft: Draft) -> str:
    """The editable text of a draft; ``parse_draft`` reads it back to the same Draft."""
    out = f"Subject: {draft.subject}\n\n{draft.text}\n"
    return out + (f"{HTML_MARKER}\n{draft.html}\n" if draft.html is not None else "")
