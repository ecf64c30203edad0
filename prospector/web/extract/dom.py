"""Parsing with lxml, and the small DOM helpers every other module shares.

lxml ships no type information, so elements are ``Any`` here; the rest of the package only
touches them through ``.tag``, ``.get()``, ``.text``, ``.tail``, ``.iter()`` and ``.getparent()``.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from lxml import html as lxml_html  # type: ignore[import-untyped,unused-ignore]

Element = Any  # lxml.html.HtmlElement

VISIBLE_ATTR = "data-prospector-visible"  # set on every <a> by the browser: "1" or "0"
HIDDEN_ATTR = "data-prospector-hidden"  # set by the browser on elements it does not show
RENDERED_ATTR = "data-prospector-rendered"  # set by the browser on <html> once marked

# Elements whose text is never page text.
NON_TEXT = frozenset(
    {
        "script", "style", "noscript", "template", "svg", "head", "title", "meta", "link",
        "iframe", "object", "embed", "select", "option", "textarea", "canvas", "video",
        "audio", "map",
    }
)  # fmt: skip
INLINE = frozenset(
    {
        "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del",
        "dfn", "em", "font", "i", "img", "ins", "kbd", "label", "mark", "nobr", "q", "rp",
        "rt", "ruby", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time",
        "tt", "u", "var", "wbr", "br",
    }
)  # fmt: skip
_DISPLAY_NONE = re.compile(r"(?:^|;)\s*display\s*:\s*none\b", re.IGNORECASE)
_VIS_HIDDEN = re.compile(r"(?:^|;)\s*visibility\s*:\s*(?:hidden|collapse)\b", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


def parse(text: str) -> Element | None:
    """The document's root element, or None when there is nothing to parse."""
    data = text.replace("\x00", "").encode("utf-8", "surrogatepass")
    data = data.decode("utf-8", "replace").encode("utf-8")
    if not data.strip():
        return None
    parser = lxml_html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
    )
    try:
        root = lxml_html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


def elements(root: Element) -> list[Element]:
    """All elements in document order (comments and processing instructions left out)."""
    return [el for el in root.iter() if isinstance(el.tag, str)]


def tag(el: Element) -> str:
    t = el.tag
    return t.lower() if isinstance(t, str) else ""


def collapse(text: str) -> str:
    return " ".join(text.split())


def split_words(name: str) -> list[str]:
    """``mainNav`` -> main, nav; ``site-header__inner`` -> site, header, inner."""
    return [t for t in _SPLIT.split(_CAMEL.sub(" ", name).lower()) if t]


def tokens(el: Element) -> tuple[str, ...]:
    """Words of an element's id and class: ``mainNav site-header`` -> main, nav, site, header."""
    raw = f"{el.get('id') or ''} {el.get('class') or ''}"
    if not raw.strip():
        return ()
    return tuple(split_words(raw))


def statically_hidden(el: Element) -> bool:
    """Hidden by its own markup: ``hidden``, inline display:none/visibility:hidden,
    ``aria-hidden=true``, a ``<template>``/``<noscript>``, or the browser's hidden mark."""
    if el.get("hidden") is not None or el.get(HIDDEN_ATTR) == "1":
        return True
    if (el.get("aria-hidden") or "").strip().lower() == "true":
        return True
    if tag(el) in ("template", "noscript"):
        return True
    if tag(el) == "input" and (el.get("type") or "").lower() == "hidden":
        return True
    style = el.get("style")
    return bool(style) and bool(_DISPLAY_NONE.search(style) or _VIS_HIDDEN.search(style))


def text_of(el: Element, limit: int = 0, *, visible_only: bool = False) -> str:
    """Whitespace-collapsed text of an element (block boundaries become spaces), without
    script/style and the like (and without hidden parts when ``visible_only``); stop early
    once ``limit`` characters are collected."""
    parts: list[str] = []
    size = 0
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if not isinstance(node.tag, str):
            continue
        name = tag(node)
        if event == "start":
            if node is not el and (name in NON_TEXT or (visible_only and statically_hidden(node))):
                walker.skip_subtree()
                parts.append(" ")
                continue
            if name not in INLINE or name == "br":
                parts.append(" ")
            if node.text and name not in NON_TEXT:
                parts.append(node.text)
                size += len(node.text)
        else:
            if name not in INLINE:
                parts.append(" ")
            if node is not el and node.tail:
                parts.append(node.tail)
                size += len(node.tail)
        if limit and size >= limit:
            break
    return collapse("".join(parts))
