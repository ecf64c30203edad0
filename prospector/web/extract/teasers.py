"""Teaser streams: runs of sibling cards (``li``/``article``/``div``) that each hold a title
which is a link plus a line or two of text — "more stories", news streams, post listings.

Their text is a summary of *other* pages, so it does not count as content when the main
container is chosen. (On a page that is only a listing, the listing becomes the content
through the listing fallback in ``layout``.)
"""

from __future__ import annotations

from prospector.web.extract.dom import Element, tag, tokens

CARD_TAGS = frozenset({"li", "article", "div", "section"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
TITLE_WORDS = frozenset({"title", "headline", "hed", "heading"})
CARD_MAX = 600  # characters of text in one card
RUN_MIN = 3  # cards in a run
TITLE_LINKED = 0.8  # share of a title's text inside its link


def teaser_cards(
    nodes: list[Element], parent: list[int], chars: list[int], link_chars: list[int]
) -> list[bool]:
    """Per element: is it inside a teaser card?"""
    n = len(nodes)
    total = list(chars)
    linked = list(link_chars)
    for i in range(n - 1, 0, -1):
        p = parent[i]
        if p >= 0:
            total[p] += total[i]
            linked[p] += linked[i]
    titled = [False] * n
    for i, el in enumerate(nodes):
        name = tag(el)
        if name not in HEADINGS and not TITLE_WORDS & set(tokens(el)):
            continue
        if total[i] < 10 or linked[i] < TITLE_LINKED * total[i]:
            continue
        up, depth = parent[i], 0
        while up >= 0 and depth < 4:
            titled[up] = True
            up, depth = parent[up], depth + 1
    children: dict[int, list[int]] = {}
    for i in range(n):
        if parent[i] >= 0:
            children.setdefault(parent[i], []).append(i)
    card = [False] * n
    for kids in children.values():
        by_tag: dict[str, list[int]] = {}
        for k in kids:
            if tag(nodes[k]) in CARD_TAGS:
                by_tag.setdefault(tag(nodes[k]), []).append(k)
        for group in by_tag.values():
            cards = [k for k in group if titled[k] and 0 < total[k] <= CARD_MAX]
            if len(cards) >= RUN_MIN and len(cards) >= 0.6 * len(group):
                for k in cards:
                    card[k] = True
    inside = [False] * n
    for i in range(n):
        inside[i] = card[i] or (parent[i] >= 0 and inside[parent[i]])
    return inside
