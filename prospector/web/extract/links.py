"""``<a href>`` elements as :class:`Link` records: URL, anchor text, rel, visibility."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from prospector.web.extract.dom import VISIBLE_ATTR, Element, collapse, tag, text_of

_STRIP = re.compile(r"[\t\n\r]")
CF_PROTECTION = "/cdn-cgi/l/email-protection"


def document_base(root: Element, url: str) -> str:
    """The URL relative links resolve against: the first ``<base href>``, else ``url``."""
    for base in root.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            joined = join(url, href)
            if joined and scheme(joined) in ("http", "https") and host_key(joined):
                return joined
            return url
    return url


def join(base: str, href: str) -> str | None:
    """Resolve like a browser: strip whitespace; None when the result is unusable."""
    href = _STRIP.sub("", href.strip())
    try:
        resolved = urljoin(base, href)
        parts = urlsplit(resolved)
        _ = parts.port
    except ValueError:
        # Unparseable (``http://[compost]/bins``): an absolute http(s) link is still a link,
        # kept as written so the link checker can call it invalid.
        return href if scheme(href) in ("http", "https") else None
    if parts.scheme in ("http", "https") and not parts.hostname:
        return None
    return resolved


def scheme(url: str) -> str:
    return url.split(":", 1)[0].lower() if ":" in url else ""


def host_key(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def anchor_text(a: Element) -> str:
    """Text of the link; else an image's alt, the link's aria-label or title (or a child's)."""
    text = text_of(a)
    if text:
        return text
    for el in a.iter():
        if not isinstance(el.tag, str):
            continue
        if tag(el) in ("img", "area", "input") and (el.get("alt") or "").strip():
            return collapse(el.get("alt") or "")
    for el in a.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("aria-label", "title"):
            value = collapse(el.get(attr) or "")
            if value:
                return value
    return ""


def rel_tokens(a: Element) -> tuple[str, ...]:
    raw = (a.get("rel") or "").lower().replace(",", " ")
    return tuple(dict.fromkeys(raw.split()))


def browser_visible(a: Element) -> bool | None:
    """The browser's verdict on this link (set before the DOM was read), or None."""
    mark = a.get(VISIBLE_ATTR)
    if mark == "1":
        return True
    if mark == "0":
        return False
    return None


def is_cf_protection(url: str) -> bool:
    try:
        return urlsplit(url).path == CF_PROTECTION
    except ValueError:
        return False


_SHARE_HOSTS = {
    "twitter.com": ("/intent/", "/share"),
    "x.com": ("/intent/", "/share"),
    "facebook.com": ("/sharer", "/share.php", "/dialog/share", "/dialog/feed"),
    "linkedin.com": ("/shareArticle", "/sharing/", "/cws/share"),
    "pinterest.com": ("/pin/create",),
    "reddit.com": ("/submit",),
    "tumblr.com": ("/share", "/widgets/share"),
    "api.whatsapp.com": ("/send",),
    "wa.me": ("/",),
    "news.ycombinator.com": ("/submitlink",),
    "getpocket.com": ("/save", "/edit"),
    "plus.google.com": ("/share",),
    "t.me": ("/share",),
    "telegram.me": ("/share",),
    "vk.com": ("/share.php",),
    "digg.com": ("/submit",),
    "stumbleupon.com": ("/submit",),
    "flipboard.com": ("/bookmarklet",),
}
_SHARE_SEGMENTS = frozenset({"share", "sharer", "sharing"})


def is_share_url(url: str) -> bool:
    """A "share this page" button's URL (social networks' share endpoints, ``/share/...``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    paths = _SHARE_HOSTS.get(host)
    if paths and parts.path.startswith(paths):
        return True
    return any(seg.lower() in _SHARE_SEGMENTS for seg in parts.path.split("/"))
