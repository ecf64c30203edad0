"""What an element's own markup says it is: landmarks, ARIA roles and class/id words.

``cue(el)`` returns a boilerplate zone (``navigation``, ``header``, ``footer``, ``sidebar``,
``comments`` or ``other``) or None. Class and id values are split into words (``mainNav`` ->
``main nav``; ``site-header`` -> ``site header``), so ``sidebar`` matches but ``inside`` does
not. ``positive(el)`` says whether the markup names the main content (``article``,
``entry-content``, ``role=main``...).
"""

from __future__ import annotations

from prospector.web.extract.dom import Element, tag, tokens

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
}
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
# Words that name the main content: with one of these, a word cue only counts when the
# element is small (see placement); landmarks still count.
POSITIVE_WORDS = frozenset(
    {"article", "content", "main", "post", "entry", "story", "body", "text", "prose", "blog"}
)
POSITIVE_ROLES = frozenset({"main", "article"})
POSITIVE_TAGS = frozenset({"main", "article"})
# Never zones themselves: the document and very small inline things.
NEVER = frozenset({"html", "body", "a", "span", "b", "i", "em", "strong", "img", "br", "time"})


def _word_cue(word: str) -> str | None:
    hit = WORDS.get(word)
    if hit is not None:
        return hit
    for prefix, zone in PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) + 1:
            return zone
    return None


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
    words = tokens(el)
    if not words:
        return None
    # "comments" wins over everything: a comment's own markup often says author/meta/header.
    found = [z for z in (_word_cue(w) for w in words) if z is not None]
    if not found:
        return None
    if "comments" in found:
        return "comments"
    return found[0]


def positive(el: Element) -> bool:
    """Markup that names the main content."""
    if tag(el) in POSITIVE_TAGS:
        return True
    if (el.get("role") or "").strip().lower() in POSITIVE_ROLES:
        return True
    if (el.get("itemprop") or "").strip().lower() in ("articlebody", "text", "mainentityofpage"):
        return True
    return any(w in POSITIVE_WORDS for w in tokens(el))
