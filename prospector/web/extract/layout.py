"""Where the editorial content of a page is, and which zone every element belongs to.

The page is cut into *text blocks* (each block-level element owns its direct text and the
text of its inline descendants). A block earns *content mass* for non-link text, more for
longer text with commas and a low share of link text; it earns *boilerplate mass* for link
text, and for all its text when it sits in a declared boilerplate zone (see ``cues``) or is
hidden. The main content container is the element whose subtree maximises
``content - MU * boilerplate``: it grows over every part that adds more text than links and
stops at sidebars, menus, link lists and comment threads.

A page whose best container holds little text is a *listing* (home page, archive, directory,
link list): its container is then the page's ``<main>`` landmark, or ``<body>``, minus zones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from prospector.web.extract import cues
from prospector.web.extract.dom import (
    INLINE,
    NON_TEXT,
    Element,
    collapse,
    elements,
    statically_hidden,
    tag,
)

MU = 1.0  # weight of boilerplate mass against content mass
SHORT = 25  # characters of non-link text a block needs before it earns content mass
COMMA = 8.0  # content mass per comma in a block with real text
ARTICLE_MIN = 300.0  # content mass that makes a page an article rather than a listing
WRAPPER_SHARE = 0.4  # a "zone" holding this share of the page's text is a layout wrapper


@dataclass
class Layout:
    """Per-element facts, indexed by document order (``index[element]``)."""

    nodes: list[Element]
    index: dict[Element, int]
    parent: list[int]
    end: list[int]  # one past the last descendant's index (pre-order interval)
    zone: list[str | None]  # nearest boilerplate zone (ancestor-or-self), None when none
    zone_at: list[int]  # index of the element that declared ``zone`` (-1 when none)
    in_comments: list[bool]
    hidden: list[bool]
    container: int  # index of the main content container
    article: bool  # True when the page has a real body of text
    blocks: dict[int, list[str]] = field(default_factory=dict)  # block index -> texts

    def contains(self, outer: int, inner: int) -> bool:
        return outer <= inner < self.end[outer]

    def in_container(self, i: int) -> bool:
        return self.contains(self.container, i)


def analyse(root: Element) -> Layout:
    nodes = elements(root)
    n = len(nodes)
    index = {el: i for i, el in enumerate(nodes)}
    parent = [-1] * n
    for i, el in enumerate(nodes):
        up = el.getparent()
        parent[i] = index.get(up, -1) if up is not None else -1
    end = list(range(1, n + 1))
    for i in range(n - 1, 0, -1):
        p = parent[i]
        if p >= 0 and end[i] > end[p]:
            end[p] = end[i]

    hidden = [False] * n
    skip = [False] * n
    link = [False] * n
    block = list(range(n))
    for i, el in enumerate(nodes):
        p = parent[i]
        name = tag(el)
        hidden[i] = statically_hidden(el) or (p >= 0 and hidden[p])
        skip[i] = name in NON_TEXT or (p >= 0 and skip[p])
        link[i] = name == "a" or (p >= 0 and link[p])
        if name in INLINE and p >= 0:
            block[i] = block[p]

    chars = [0] * n
    link_chars = [0] * n
    commas = [0] * n
    texts: dict[int, list[str]] = {}

    def add(owner: int, text: str | None, in_link: bool) -> None:
        if not text or text.isspace():
            return
        flat = collapse(text)
        b = block[owner]
        chars[b] += len(flat) + 1
        if in_link:
            link_chars[b] += len(flat) + 1
        commas[b] += flat.count(",") + flat.count("，") + flat.count("、")
        texts.setdefault(b, []).append(flat)

    if n:
        for event, el in etree.iterwalk(nodes[0], events=("start", "end")):
            i = index.get(el, -1)
            if i < 0:
                continue
            if event == "start":
                if not skip[i]:
                    add(i, el.text, link[i])
            else:
                p = parent[i]
                if p >= 0 and not skip[p]:
                    add(p, el.tail, link[p])

    raw = [_content_mass(chars[i], link_chars[i], commas[i]) for i in range(n)]
    raw_sub = _subtree_sums(raw, parent)
    has_main = [tag(el) == "main" or (el.get("role") or "").lower() == "main" for el in nodes]
    for i in range(n - 1, 0, -1):
        if has_main[i] and parent[i] >= 0:
            has_main[parent[i]] = True

    total = raw_sub[0] if n else 0.0
    zone: list[str | None] = [None] * n
    zone_at = [-1] * n
    in_comments = [False] * n
    for i, el in enumerate(nodes):
        p = parent[i]
        if p >= 0:
            zone[i], zone_at[i], in_comments[i] = zone[p], zone_at[p], in_comments[p]
        own = cues.cue(el)
        if own is None:
            continue
        if own == "comments":
            wrapper = has_main[i]
        else:
            wrapper = has_main[i] or (total > 0 and raw_sub[i] >= WRAPPER_SHARE * total)
        if wrapper:
            continue
        zone[i], zone_at[i] = own, i
        in_comments[i] = in_comments[i] or own == "comments"

    good = [0.0] * n
    bad = [0.0] * n
    for i in range(n):
        c = chars[i]
        if not c:
            continue
        if hidden[i] or zone[i] is not None:
            bad[i] = float(c)
        else:
            good[i] = raw[i]
            bad[i] = link_chars[i] * link_chars[i] / c
    good_sub = _subtree_sums(good, parent)
    bad_sub = _subtree_sums(bad, parent)
    best = _best_container(nodes, parent, good_sub, bad_sub)
    article = best >= 0 and good_sub[best] >= ARTICLE_MIN
    if not article:
        best = _listing_container(nodes, zone, hidden)
    return Layout(
        nodes=nodes,
        index=index,
        parent=parent,
        end=end,
        zone=zone,
        zone_at=zone_at,
        in_comments=in_comments,
        hidden=hidden,
        container=best,
        article=article,
        blocks=texts,
    )


def _content_mass(chars: int, link_chars: int, commas: int) -> float:
    if not chars:
        return 0.0
    own = chars - link_chars
    if own <= SHORT:
        return 0.0
    density = link_chars / chars
    return (own - SHORT + COMMA * commas) * (1.0 - density)


def _subtree_sums(values: list[float], parent: list[int]) -> list[float]:
    out = list(values)
    for i in range(len(out) - 1, 0, -1):
        p = parent[i]
        if p >= 0:
            out[p] += out[i]
    return out


def _best_container(
    nodes: list[Element], parent: list[int], good: list[float], bad: list[float]
) -> int:
    best, best_score = -1, 0.0
    for i, el in enumerate(nodes):
        if tag(el) in ("html", "head") or tag(el) in INLINE:
            continue
        score = good[i] - MU * bad[i]
        if score > best_score:
            best, best_score = i, score
    # Grow to an ancestor that scores as well (it only adds neutral material).
    while best >= 0:
        p = parent[best]
        if p < 0 or tag(nodes[p]) in ("html",):
            break
        if good[p] - MU * bad[p] < best_score:
            break
        best = p
    return best


def _listing_container(nodes: list[Element], zone: list[str | None], hidden: list[bool]) -> int:
    for i, el in enumerate(nodes):
        if hidden[i] or zone[i] is not None:
            continue
        if tag(el) == "main" or (el.get("role") or "").lower() == "main":
            return i
    for i, el in enumerate(nodes):
        if tag(el) == "body":
            return i
    return 0
