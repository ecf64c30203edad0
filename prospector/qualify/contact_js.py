"""Addresses that inline JavaScript assembles (``var u="jane", d="site.example"; ...
u + '&#64;' + d``), read without running the script.

Only scripts that build mail links or addresses are read (they mention ``mailto``, ``@``,
``&#64;``, ``\\x40``, ``\\u0040`` or ``fromCharCode(64)``), and only pairs of adjacent
string literals — a local part, then (past an optional ``"@"`` literal) a domain — are
joined. A rendered page finds the same addresses through the browser; this is for pages read
over HTTP.
"""

from __future__ import annotations

import re

from prospector.web.extract.dom import Element
from prospector.web.extract.emails import valid

_BUILDS_MAIL = re.compile(
    r"mailto|@|&#0*64;|&commat;|\\x40|\\u0040|fromCharCode\(\s*64\s*\)", re.IGNORECASE
)
_LITERAL = re.compile(r"""(["'`])((?:\\.|(?!\1)[^\\\n]){1,253})\1""")
_LOCAL = re.compile(r"^[a-z0-9][a-z0-9._%+-]{0,63}$", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$", re.IGNORECASE)
_AT_ONLY = re.compile(r"^(?:@|&#0*64;|&commat;|\\x40|\\u0040)$", re.IGNORECASE)
_MAX_SCRIPT = 20_000


def script_emails(root: Element) -> list[str]:
    """Addresses assembled by the document's inline scripts, lower-cased, in order."""
    found: dict[str, None] = {}
    for el in root.iter("script"):
        if el.get("src"):
            continue
        kind = (el.get("type") or "").strip().lower()
        if kind and "javascript" not in kind and kind != "module":
            continue
        code = (el.text or "")[:_MAX_SCRIPT]
        if not _BUILDS_MAIL.search(code):
            continue
        for address in _from_code(code):
            found[address] = None
    return list(found)


def _from_code(code: str) -> list[str]:
    literals = [m.group(2) for m in _LITERAL.finditer(code)]
    out: list[str] = []
    for i, text in enumerate(literals):
        if "@" in text and valid(text.lower().removeprefix("mailto:")):
            out.append(text.lower().removeprefix("mailto:"))
            continue
        if not _LOCAL.match(text) or "." in text[-1:]:
            continue
        j = i + 1
        if j < len(literals) and _AT_ONLY.match(literals[j]):
            j += 1
        if j < len(literals) and _DOMAIN.match(literals[j]):
            address = f"{text}@{literals[j]}".lower()
            if valid(address):
                out.append(address)
    return out
