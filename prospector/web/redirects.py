"""Where an answer sends the fetcher next: a ``Location`` header resolved against the URL it
came from, and a ``<meta http-equiv="refresh">`` that redirects soon."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from prospector.web.urls import normalize

_META_OPEN = re.compile(rb"<meta\b", re.IGNORECASE)
_HTTP_EQUIV_REFRESH = re.compile(rb"""http-equiv\s*=\s*["']?refresh\b""", re.IGNORECASE)
_REFRESH_CONTENT = re.compile(
    rb"""content\s*=\s*["']?\s*(\d+(?:\.\d+)?)\s*[;,]?\s*(?:url\s*=\s*)?['"]?([^"'>]*)""",
    re.IGNORECASE,
)
META_REFRESH_MAX_DELAY_S = 10.0
META_REFRESH_SCAN = 200_000  # bytes of the document searched for a refresh
META_TAG_MAX = 4096  # longest <meta> tag read
META_TAGS_READ = 256  # <meta> tags looked at, at most


def join_location(base: str, location: str) -> str | None:
    """``location`` resolved against ``base``; None when it cannot be parsed at all."""
    try:
        return urljoin(base, location.strip())
    except ValueError:
        return None


def meta_refresh_target(body: bytes, base: str) -> str | None:
    """The target of a ``<meta http-equiv="refresh">`` that redirects soon, else None.

    Scans tag by tag (the first META_TAGS_READ ``<meta`` tags, each up to its ``>`` and at most
    META_TAG_MAX bytes) rather than with one pattern over the document, which unclosed tags by
    the thousand make quadratic."""
    head = body[:META_REFRESH_SCAN]
    for count, opening in enumerate(_META_OPEN.finditer(head)):
        if count >= META_TAGS_READ:
            break
        start = opening.start()
        end = head.find(b">", start, start + META_TAG_MAX)
        tag = head[start : end if end >= 0 else start + META_TAG_MAX]
        if _HTTP_EQUIV_REFRESH.search(tag):
            return _refresh_target(tag, base)
    return None


def _refresh_target(tag: bytes, base: str) -> str | None:
    content = _REFRESH_CONTENT.search(tag)
    if not content:
        return None
    delay, target = float(content.group(1)), content.group(2).strip().decode("utf-8", "replace")
    if not target or delay > META_REFRESH_MAX_DELAY_S:
        return None
    resolved = join_location(base, target)
    if resolved is None:
        return None
    try:
        return None if normalize(resolved) == normalize(base) else resolved
    except ValueError:
        return resolved  # unparseable: the next hop reports it as invalid
