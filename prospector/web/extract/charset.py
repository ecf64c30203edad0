"""Bytes to text: BOM, then the Content-Type header, then a <meta> prescan, then UTF-8/cp1252.

Never raises: an unknown or wrong label falls through to the next source, and undecodable
bytes become U+FFFD.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]+)""", re.IGNORECASE)
# WHATWG: these labels mean windows-1252 (a superset the browser uses instead).
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "windows-1252": "cp1252",
    "x-user-defined": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "utf-16": "utf-8",  # a label without a BOM in an ASCII-compatible prescan is a lie
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "x-sjis": "shift_jis",
    "tis-620": "cp874",
    "iso-8859-9": "cp1254",
    "ks_c_5601-1987": "euc-kr",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def codec_for(label: str | None) -> str | None:
    """Python codec name for a charset label, or None when unknown."""
    if not label:
        return None
    name = _ALIASES.get(label.strip().lower(), label.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return codec_for(match.group(1)) if match else None


def meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return codec_for(match.group(1).decode("ascii", "replace")) if match else None


def decode_html(data: str | bytes, content_type: str | None = None) -> str:
    """The document as text, honouring BOM > header charset > meta charset > UTF-8 > cp1252."""
    if isinstance(data, str):
        return data
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, "replace")
    declared = header_charset(content_type) or meta_charset(data)
    if declared:
        return data.decode(declared, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")
