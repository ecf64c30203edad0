"""Who wrote the page: ``<meta name=author>``, JSON-LD ``author`` (nested, ``@graph``,
arrays), ``rel=author`` links and bylines (``.author``, ``.byline-name``, ``itemprop=author``,
"by Jane Doe" in a ``.byline``/``.post-meta`` line). Comment authors are left out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from prospector.web.extract.dom import Element, collapse, tag, text_of, tokens
from prospector.web.extract.layout import Layout
from prospector.web.extract.model import Author

META_NAMES = frozenset({"author", "dc.creator", "dcterms.creator", "parsely-author"})
NAME_WORDS = frozenset({"author", "authorname", "fn", "writer", "byauthor", "postauthor"})
NOT_NAME_WORDS = frozenset(
    {"bio", "avatar", "box", "description", "desc", "info", "url", "image", "img", "photo",
     "comment", "comments", "list", "links", "posts", "more", "about", "archive", "card", "meta",
     "social", "follow", "profile", "wrapper", "wrap", "container"}
)  # fmt: skip
LINE_WORDS = frozenset({"byline", "meta", "dateline", "credit", "credits", "posted", "attribution"})
_BY = re.compile(
    r"\b(?i:by)[:\s]\s*((?:[A-Z\u00c0-\u024f][\w'’.\-]*)(?:\s+(?:[A-Z\u00c0-\u024f][\w'’.\-]*|"
    r"de|da|di|del|der|van|von|la|le|bin|al)){0,4})"
)
_LEAD = re.compile(r"^(?:written\s+by|posted\s+by|by)[:\s]+", re.IGNORECASE)
_MAX = 64


def find(root: Element, layout: Layout) -> tuple[Author, ...]:
    out: dict[tuple[str, str], None] = {}

    def keep(name: str | None, source: str) -> None:
        clean = _clean(name)
        if clean:
            out[(clean, source)] = None

    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or "").strip().lower()
        if name in META_NAMES or name == "article:author":
            keep(el.get("content"), "meta")
    for el in root.iter("script"):
        if (el.get("type") or "").strip().lower() == "application/ld+json":
            for name in _jsonld_authors(el.text or ""):
                keep(name, "jsonld")
    for name in _dom_authors(layout):
        keep(name[0], name[1])
    return tuple(Author(name, source) for name, source in out)


def _clean(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    text = _LEAD.sub("", collapse(name)).strip(" |,;:-–—·")
    if not text or len(text) > _MAX or "://" in text or text.startswith("@"):
        return None
    if any(ch.isdigit() for ch in text) or len(text.split()) > 6:
        return None
    return text


def _jsonld_authors(raw: str) -> Iterator[str]:
    text = raw.strip().removeprefix("<!--").removesuffix("-->").strip()
    text = text.removeprefix("//<![CDATA[").removesuffix("//]]>").strip()
    try:
        data = json.loads(text, strict=False)
    except ValueError:
        return
    yield from _walk(data, 0)


def _walk(node: Any, depth: int) -> Iterator[str]:
    if depth > 20:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, depth + 1)
    elif isinstance(node, dict):
        for key in ("author", "creator"):
            if key in node:
                yield from _names(node[key], depth + 1)
        for key, value in node.items():
            if key not in ("author", "creator") and isinstance(value, (dict, list)):
                yield from _walk(value, depth + 1)


def _names(value: Any, depth: int) -> Iterator[str]:
    if depth > 20:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _names(item, depth + 1)
    elif isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            yield name
        elif isinstance(name, (list, dict)):
            yield from _names(name, depth + 1)


def _dom_authors(layout: Layout) -> Iterator[tuple[str, str]]:
    named: list[int] = []
    lines: list[int] = []
    for i, el in enumerate(layout.nodes):
        if layout.in_comments[i] or layout.hidden[i]:
            continue
        if tag(el) == "a" and "author" in (el.get("rel") or "").lower().split():
            yield text_of(el, _MAX * 2), "rel"
            continue
        words = set(tokens(el))
        if (el.get("itemprop") or "").strip().lower() == "author":
            inner = [c for c in el.iter() if (c.get("itemprop") or "").lower() == "name"]
            yield text_of(inner[0] if inner else el, _MAX * 2), "byline"
            continue
        if words & NOT_NAME_WORDS:
            if words & LINE_WORDS:
                lines.append(i)
            continue
        if words & NAME_WORDS or {"byline", "name"} <= words:
            named.append(i)
        elif words & LINE_WORDS:
            lines.append(i)
    for i in named:
        if not any(j != i and layout.contains(i, j) for j in named):
            yield text_of(layout.nodes[i], _MAX * 2), "byline"
    for i in lines:
        if any(layout.contains(i, j) for j in named):
            continue
        match = _BY.search(text_of(layout.nodes[i], 400))
        if match:
            yield match.group(1), "byline"
