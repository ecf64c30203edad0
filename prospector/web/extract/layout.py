"""Where the editorial content of a page is, and which zone every element belongs to.

The page is cut into *text blocks* (each block-level element owns its direct text and the
text of its inline descendants). A block earns *content mass* for non-link text, more for
longer text with commas and a low share of link text; it earns *boilerplate mass* for link
text, and for all its text when it sits in a declared boilerplate zone (see ``cues``) or is
hidden. The main content container is the element whose subtree maximises
``content - MU * boilerplate``: it grows over every part that adds more text than links and
stops at sidebars, menus, link lists and comment threads.

Cues that would swallow most of the page (``content-sidebar-wrap``) are layout wrappers, not
zones. Teaser cards (see ``teasers``) earn no content mass: they summarise other pages. When
the page declares one ``<main>`` holding a fair share of the text, the container is looked
for inside it.

A page whose best container holds little text, or text in only one short paragraph, or far
less text than its teaser cards, is a *listing* (home page, archive, directory, link list,
front page): its container is then the page's ``<main>`` landmark, or ``<body>``, minus zones.

Links in the container are content unless a zone inside it says otherwise; links outside it
take their zone, or ``other``.
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
from prospector.web.extract.teasers import teaser_cards

MU = 1.0  # weight of boilerplate mass against content mass
SHORT = 25  # characters of non-link text a block needs before it earns content mass
COMMA = 8.0  # content mass per comma in a block with real text
ARTICLE_MIN = 300.0  # content mass that makes a page an article rather than a listing
PARAGRAPH = 80.0  # content mass of one real paragraph (an article needs two)
LONG_TEXT = 1500.0  # content mass that makes an article even in a single block
FRONT_PAGE = 3.0  # teaser text this many times the article's text makes a listing
WRAPPER_SHARE = 0.4  # a cue on an element holding this share of the text is a wrapper
MAIN_SHARE = 0.3  # a <main> holding this share of the text bounds the container search


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
    parent, end = _tree(nodes, index)
    hidden, skip, link, block = _inherited(nodes, parent)
    text = _Text.measure(nodes, index, parent, skip, link, block)
    raw = [_content_mass(text.chars[i], text.links[i], text.commas[i]) for i in range(n)]
    zone, zone_at, in_comments = _zones(nodes, parent, _subtree_sums(raw, parent))
    teaser = teaser_cards(nodes, parent, text.chars, text.links)
    good = [0.0] * n
    bad = [0.0] * n
    for i in range(n):
        c = text.chars[i]
        if not c:
            continue
        if hidden[i] or zone[i] is not None:
            bad[i] = float(c)
        else:
            good[i] = 0.0 if teaser[i] else raw[i]
            bad[i] = text.links[i] * text.links[i] / c
    good_sub = _subtree_sums(good, parent)
    bad_sub = _subtree_sums(bad, parent)
    scope = _main_landmark(nodes, zone, hidden, good_sub)
    best = _best_container(nodes, parent, good_sub, bad_sub, scope, end)
    article = best >= 0 and _is_article(good, good_sub[best], best, end[best])
    teased = sum(raw[i] for i in range(n) if teaser[i] and not hidden[i] and zone[i] is None)
    if article and teased > FRONT_PAGE * good_sub[best]:
        article = False  # a front page: summaries of other pages outweigh any one text
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
        blocks=text.texts,
    )


def _tree(nodes: list[Element], index: dict[Element, int]) -> tuple[list[int], list[int]]:
    """Parent index of every element, and the end of its pre-order interval."""
    n = len(nodes)
    parent = [-1] * n
    for i, el in enumerate(nodes):
        up = el.getparent()
        parent[i] = index.get(up, -1) if up is not None else -1
    end = list(range(1, n + 1))
    for i in range(n - 1, 0, -1):
        p = parent[i]
        if p >= 0 and end[i] > end[p]:
            end[p] = end[i]
    return parent, end


def _inherited(
    nodes: list[Element], parent: list[int]
) -> tuple[list[bool], list[bool], list[bool], list[int]]:
    """Per element: hidden, not text (script...), inside a link, and its text block."""
    n = len(nodes)
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
    return hidden, skip, link, block


@dataclass
class _Text:
    """Characters, link characters, commas and the texts of each block, in document order."""

    chars: list[int]
    links: list[int]
    commas: list[int]
    texts: dict[int, list[str]]

    @classmethod
    def measure(
        cls,
        nodes: list[Element],
        index: dict[Element, int],
        parent: list[int],
        skip: list[bool],
        link: list[bool],
        block: list[int],
    ) -> _Text:
        n = len(nodes)
        out = cls([0] * n, [0] * n, [0] * n, {})
        if n:
            for event, el in etree.iterwalk(nodes[0], events=("start", "end")):
                i = index.get(el, -1)
                if i < 0:
                    continue
                if event == "start":
                    if not skip[i]:
                        out.add(block[i], el.text, link[i])
                else:
                    p = parent[i]
                    if p >= 0 and not skip[p]:
                        out.add(block[p], el.tail, link[p])
        return out

    def add(self, b: int, text: str | None, in_link: bool) -> None:
        if not text or text.isspace():
            return
        flat = collapse(text)
        self.chars[b] += len(flat) + 1
        if in_link:
            self.links[b] += len(flat) + 1
        self.commas[b] += flat.count(",") + flat.count("，") + flat.count("、")
        self.texts.setdefault(b, []).append(flat)


def _zones(
    nodes: list[Element], parent: list[int], raw_sub: list[float]
) -> tuple[list[str | None], list[int], list[bool]]:
    """Nearest declared zone of every element (see ``cues``), leaving out layout wrappers:
    a cue on an element that holds the ``<main>`` landmark, or (except for comments) a large
    share of the page's text, is not a zone."""
    n = len(nodes)
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
    return zone, zone_at, in_comments


def _is_article(good: list[float], mass: float, start: int, stop: int) -> bool:
    """Enough text, in at least two real paragraphs (or one very long one)."""
    if mass < ARTICLE_MIN:
        return False
    if mass >= LONG_TEXT:
        return True
    return sum(1 for i in range(start, stop) if good[i] >= PARAGRAPH) >= 2


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


def _main_landmark(
    nodes: list[Element], zone: list[str | None], hidden: list[bool], good: list[float]
) -> int:
    """The page's declared main region (``<main>``/``role=main``) when it holds a good share
    of the text; the container is then looked for inside it. -1 when there is none."""
    total = good[0] if nodes else 0.0
    found = [
        i
        for i, el in enumerate(nodes)
        if (tag(el) == "main" or (el.get("role") or "").strip().lower() == "main")
        and not hidden[i]
        and zone[i] is None
    ]
    if len(found) != 1:
        return -1
    i = found[0]
    return i if total > 0 and good[i] >= MAIN_SHARE * total else -1


def _best_container(
    nodes: list[Element],
    parent: list[int],
    good: list[float],
    bad: list[float],
    scope: int,
    end: list[int],
) -> int:
    start, stop = (scope, end[scope]) if scope >= 0 else (0, len(nodes))
    best, best_score = -1, 0.0
    for i in range(start, stop):
        el = nodes[i]
        if tag(el) in ("html", "head") or tag(el) in INLINE:
            continue
        score = good[i] - MU * bad[i]
        if score > best_score:
            best, best_score = i, score
    # Grow to an ancestor that scores as well (it only adds neutral material).
    while best >= 0 and best != scope:
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
