"""What an element's own markup says it is: landmarks, ARIA roles and class/id words.

``cue(el)`` returns a boilerplate zone (``navigation``, ``header``, ``footer``, ``sidebar``,
``comments`` or ``other``) or None. Class and id values are split into words (``mainNav`` ->
``main nav``; ``site-header`` -> ``site header``) and matched whole, or by a known prefix
(``navbar``, ``commentlist``), so ``sidebar`` matches but ``inside`` does not. ``<main>``,
``<article>`` and ``role=main`` never declare a zone by their words; WordPress's taxonomy
classes on a post (``tag-sidebar``, ``category-news``) and ids made from headings are ignored.
Whether a cue really makes a zone (and not a layout wrapper) is decided in ``layout``.
"""

from __future__ import annotations

from prospector.web.extract.dom import Element, split_words, tag

TAGS = {"nav": "navigation", "aside": "sidebar", "footer": "footer", "header": "header"}
ROLES = {
    "navigation": "navigation",
    "menu": "navigation",
    "menubar": "navigation",
    "tablist": "navigation",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "sidebar",
    "search": "other",
    "dialog": "other",
    "alertdialog": "other",
    "note": "other",
}
# Exact words.
WORDS = {
    "comment": "comments",
    "comments": "comments",
    "disqus": "comments",
    "respond": "comments",
    "replies": "comments",
    "discussion": "comments",
    "talkback": "comments",
    "nav": "navigation",
    "menu": "navigation",
    "menus": "navigation",
    "breadcrumb": "navigation",
    "breadcrumbs": "navigation",
    "crumbs": "navigation",
    "pagination": "navigation",
    "pager": "navigation",
    "paging": "navigation",
    "skip": "navigation",
    "toolbar": "navigation",
    "tabs": "navigation",
    "header": "header",
    "masthead": "header",
    "topbar": "header",
    "branding": "header",
    "logo": "header",
    "footer": "footer",
    "foot": "footer",
    "colophon": "footer",
    "copyright": "footer",
    "sidebar": "sidebar",
    "side": "sidebar",
    "widget": "sidebar",
    "widgets": "sidebar",
    "rail": "sidebar",
    "aside": "sidebar",
    "secondary": "sidebar",
    "related": "other",
    "share": "other",
    "sharing": "other",
    "sharer": "other",
    "social": "other",
    "sociallinks": "other",
    "tags": "other",
    "tag": "other",
    "taglist": "other",
    "categories": "other",
    "bio": "other",
    "authorbio": "other",
    "newsletter": "other",
    "subscribe": "other",
    "subscription": "other",
    "promo": "other",
    "promotion": "other",
    "ad": "other",
    "ads": "other",
    "adv": "other",
    "advert": "other",
    "advertisement": "other",
    "sponsor": "other",
    "sponsored": "other",
    "popular": "other",
    "trending": "other",
    "recommended": "other",
    "recommendations": "other",
    "recirc": "other",
    "outbrain": "other",
    "taboola": "other",
    "popup": "other",
    "modal": "other",
    "cookie": "other",
    "cookies": "other",
    "gdpr": "other",
    "consent": "other",
    "banner": "other",
    "signup": "other",
    "login": "other",
    "print": "other",
    "more": "other",
    "byline": "other",
    "author": "other",
    "authors": "other",
    "dateline": "other",
}
# Words that are cues only in an id (``id="top"`` is the page head; ``class="top"`` is style).
ID_WORDS = {"top": "masthead"}
# Word prefixes (navbar, navbox, commentlist, sidebarwidget, footerlinks...).
PREFIXES = (
    ("comment", "comments"),
    ("nav", "navigation"),
    ("menu", "navigation"),
    ("breadcrumb", "navigation"),
    ("sidebar", "sidebar"),
    ("widget", "sidebar"),
    ("footer", "footer"),
    ("header", "header"),
    ("masthead", "header"),
    ("related", "other"),
    ("share", "other"),
    ("social", "other"),
    ("advert", "other"),
    ("sponsor", "other"),
    ("newsletter", "other"),
)
# Words that name a post: with one of these, taxonomy classes (tag-x, category-y) are ignored.
POSITIVE_WORDS = frozenset(
    {"article", "content", "main", "post", "entry", "story", "body", "text", "prose", "blog"}
)
POSITIVE_ROLES = frozenset({"main", "article"})
POSITIVE_TAGS = frozenset({"main", "article"})
TAXONOMY = frozenset({"tag", "category", "author", "format", "status", "type", "post", "cat"})
LISTY = frozenset({"list", "lists", "cloud", "links", "box", "bar", "wrap", "container", "area"})
# Never zones themselves: the document and very small inline things.
NEVER = frozenset({"html", "body", "a", "span", "b", "i", "em", "strong", "img", "br", "time"})


def _word_cue(word: str) -> str | None:
    hit = WORDS.get(word)
    if hit is not None:
        return hit
    if word.endswith(("ed", "able", "ing")):  # commented, shareable, sharing-enabled
        return None
    for prefix, zone in PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) + 1:
            return zone
    return None


def cue_words(el: Element) -> list[str]:
    """Words of the id and classes that may carry a cue.

    Left out: a long slug (an id made from a heading: ``sharing-with-a-single-developer``)
    and taxonomy classes (WordPress's ``tag-python``, ``category-news``).
    """
    out: list[str] = []
    ident = split_words(el.get("id") or "")
    if len(ident) <= 3:
        out.extend(ID_WORDS.get(w, w) for w in ident)
    names = (el.get("class") or "").split()
    post = any(w in POSITIVE_WORDS or w == "hentry" for n in names for w in split_words(n))
    for name in names:
        words = split_words(name)
        if post and len(words) > 1 and words[0] in TAXONOMY and words[1] not in LISTY:
            continue
        out.extend(words)
    return out


def cue(el: Element) -> str | None:
    """The boilerplate zone this element declares, or None."""
    name = tag(el)
    if name in NEVER:
        return None
    role = (el.get("role") or "").strip().lower().split(" ")[0]
    if role in ROLES:
        return ROLES[role]
    if name in TAGS:
        return TAGS[name]
    if name in POSITIVE_TAGS or role in POSITIVE_ROLES:
        return None
    found = [z for z in (_word_cue(w) for w in cue_words(el)) if z is not None]
    if not found:
        return None
    # "comments" wins over everything: a comment's own markup often says author/meta/header.
    if "comments" in found:
        return "comments"
    return found[0]
