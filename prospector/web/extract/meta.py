"""Document metadata: title, canonical (HTML and HTTP ``Link``), robots meta, X-Robots-Tag."""

from __future__ import annotations

import re
from collections.abc import Mapping

from prospector.web.extract.dom import Element, collapse
from prospector.web.extract.links import join

ROBOTS_NAMES = ("robots", "googlebot")
# X-Robots-Tag directives that carry a value after a colon (the rest of "a: b" names a bot).
_VALUED = ("unavailable_after", "max-snippet", "max-image-preview", "max-video-preview")
_LINK_ITEM = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_PARAM = re.compile(r"""\s*;\s*([a-zA-Z*-]+)\s*=\s*(?:"([^"]*)"|([^\s;,]*))""")


def header_values(headers: Mapping[str, str] | None, name: str) -> list[str]:
    """Every value of a header, case-insensitively (a multi-dict's items count)."""
    if not headers:
        return []
    lname = name.lower()
    items = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
    return [str(v) for k, v in items if str(k).lower() == lname]


def title(root: Element) -> str:
    for el in root.iter("title"):
        return collapse(el.text_content() or "")
    return ""


def canonical(root: Element, base: str) -> str | None:
    for el in root.iter("link"):
        rels = (el.get("rel") or "").lower().split()
        href = el.get("href")
        if "canonical" in rels and href and href.strip():
            return join(base, href)
    return None


def link_header_canonical(headers: Mapping[str, str] | None, url: str) -> str | None:
    """The target of ``Link: <...>; rel="canonical"``, absolute, or None."""
    for value in header_values(headers, "link"):
        for match in _LINK_ITEM.finditer(value):
            for param in _PARAM.finditer(match.group(2)):
                if param.group(1).lower() != "rel":
                    continue
                rels = param.group(2) if param.group(2) is not None else param.group(3) or ""
                if "canonical" in rels.lower().split():
                    return join(url, match.group(1))
    return None


def meta_robots(root: Element) -> tuple[str, ...]:
    out: list[str] = []
    for el in root.iter("meta"):
        if (el.get("name") or "").strip().lower() in ROBOTS_NAMES:
            out.extend(_tokens(el.get("content") or ""))
    return tuple(dict.fromkeys(out))


def x_robots_tag(headers: Mapping[str, str] | None) -> tuple[str, ...]:
    """Directives for all bots or for Google; other bots' directives are left out."""
    out: list[str] = []
    for value in header_values(headers, "x-robots-tag"):
        bot: str | None = None
        for part in value.split(","):
            item = part.strip().lower()
            if not item:
                continue
            if ":" in item:
                head, rest = item.split(":", 1)
                if head.strip() not in _VALUED:
                    bot, item = head.strip(), rest.strip()
            if bot not in (None, "googlebot", "robots", "*") or not item:
                continue
            out.append(item)
    return tuple(dict.fromkeys(out))


def _tokens(content: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", content.strip().lower()) if t]
