"""Email addresses on a page, with how each was written.

``mailto:`` links; Cloudflare's ``data-cfemail`` (and its ``/cdn-cgi/l/email-protection#``
links); addresses in the text, told apart as ``plain`` (in the HTML as written) or
``entities`` (only after character references are decoded); and the usual obfuscations
``name [at] host [dot] tld`` (``at_dot``) and ``name(at)host.tld`` (``paren_at``).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from prospector.web.extract.dom import tag
from prospector.web.extract.layout import Layout
from prospector.web.extract.links import CF_PROTECTION
from prospector.web.extract.model import Email

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
ADDRESS = re.compile(rf"^{_LOCAL}@(?:{_LABEL}\.)+[a-z]{{2,24}}$", re.IGNORECASE)
_IN_TEXT = re.compile(
    rf"(?<![\w.%+-])([a-z0-9._%+-]+@(?:{_LABEL}\.)+[a-z]{{2,24}})(?![\w-])", re.IGNORECASE
)
_AT = r"\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\}|<\s*at\s*>)\s*"
_DOT = r"(?:\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\})\s*|\.)"
_OBFUSCATED = re.compile(
    rf"(?<![\w.%+-])([a-z0-9._%+-]+){_AT}((?:[a-z0-9-]+{_DOT})+[a-z]{{2,24}})(?![\w-])",
    re.IGNORECASE,
)
_DOT_WORD = re.compile(_DOT, re.IGNORECASE)
# Things that look like addresses but are file names ("logo@2x.png").
_NOT_TLDS = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "bmp", "tif", "tiff", "css",
     "js", "mjs", "json", "mp4", "webm", "mp3", "pdf", "zip", "html", "htm", "php"}
)  # fmt: skip
_PRIORITY = ("mailto", "cfemail", "plain", "entities", "at_dot", "paren_at", "js")


def valid(address: str) -> bool:
    if not ADDRESS.match(address):
        return False
    return address.rsplit(".", 1)[-1].lower() not in _NOT_TLDS


def from_mailto(href: str) -> list[str]:
    """Addresses of a ``mailto:`` URL (several may be comma-separated)."""
    target = href.strip()[7:].split("?", 1)[0]
    out = []
    for part in unquote(target).split(","):
        address = part.strip().lower()
        if valid(address):
            out.append(address)
    return out


def decode_cfemail(hexed: str) -> str | None:
    """Cloudflare's email protection: the first byte XORs the rest."""
    try:
        raw = bytes.fromhex(hexed.strip())
    except ValueError:
        return None
    if len(raw) < 2:
        return None
    try:
        address = bytes(b ^ raw[0] for b in raw[1:]).decode("utf-8").lower()
    except UnicodeDecodeError:
        return None
    return address if valid(address) else None


def find(layout: Layout, text: str, source_html: str) -> tuple[Email, ...]:
    """Emails of a document: ``text`` is its visible text, ``source_html`` the markup.
    Addresses in hidden elements (a classic spam-trap trick) are left out."""
    found: dict[str, str] = {}

    def keep(address: str, how: str) -> None:
        have = found.get(address)
        if have is None or _PRIORITY.index(how) < _PRIORITY.index(have):
            found[address] = how

    for i, el in enumerate(layout.nodes):
        if layout.hidden[i]:
            continue
        href = el.get("href")
        if href and tag(el) in ("a", "area"):
            stripped = href.strip()
            if stripped[:7].lower() == "mailto:":
                for address in from_mailto(stripped):
                    keep(address, "mailto")
            elif CF_PROTECTION in stripped:
                decoded = decode_cfemail(_fragment(stripped))
                if decoded:
                    keep(decoded, "cfemail")
        hexed = el.get("data-cfemail")
        if hexed:
            decoded = decode_cfemail(hexed)
            if decoded:
                keep(decoded, "cfemail")
    lowered = source_html.lower()
    for match in _IN_TEXT.finditer(text):
        address = match.group(1).lower().strip(".")
        if valid(address):
            keep(address, "plain" if address in lowered else "entities")
    for match in _OBFUSCATED.finditer(text):
        domain = _DOT_WORD.sub(".", match.group(2))
        address = f"{match.group(1)}@{domain}".lower()
        if valid(address):
            worded = any(m.group(0) != "." for m in _DOT_WORD.finditer(match.group(2)))
            keep(address, "at_dot" if worded else "paren_at")
    return tuple(Email(address, how) for address, how in found.items())


def _fragment(url: str) -> str:
    try:
        return urlsplit(url).fragment
    except ValueError:
        return ""
