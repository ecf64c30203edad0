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
            if joined and urlsplit(joined).scheme in ("http", "https"):
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
        return None
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
