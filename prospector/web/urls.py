"""URL normalisation for deduplication and same-site tests."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_CHARS = re.compile(r"^[a-z0-9_.-]+$")


def normalize(url: str) -> str:
    """Lowercase scheme and host, drop the default port and the fragment; '' path -> '/'.

    Never raises on a bad port (``:99999``): the port is kept as written, for the fetcher to
    call the URL invalid. A URL urlsplit cannot parse at all (``http://[::1``) still raises
    ValueError."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host
    try:
        port = parts.port
    except ValueError:
        netloc = f"{host}:{parts.netloc.rsplit(':', 1)[-1]}"
    else:
        if port is not None and port != _DEFAULT_PORTS.get(scheme):
            netloc = f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def host_of(url: str) -> str:
    """The URL's host, lower-cased; '' for a URL without a usable host (never raises)."""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def same_site(url: str, host: str) -> bool:
    """True when ``url`` is on ``host`` or its www. twin."""
    other = host_of(url)
    return other.removeprefix("www.") == host.lower().removeprefix("www.")


TRACKING_PARAMS = {
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "twclid",
    "ttclid",
    "li_fat_id",
    "srsltid",
}


def dedupe_key(url: str) -> str:
    """The URL as checked once per run: normalised, without fragment or tracking parameters."""
    from urllib.parse import parse_qsl, urlencode

    try:
        parts = urlsplit(normalize(url))
    except ValueError:
        return url.strip()
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


@functools.cache
def _psl() -> Any:
    import tldextract

    # the bundled Public Suffix List snapshot: no download at run time
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


@functools.lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """The domain a person registers: 'blog.bbc.co.uk' -> 'bbc.co.uk'.

    Hosts under a suffix the Public Suffix List does not know (such as the reserved
    '.example') fall back to their last two labels; IP addresses are returned as they are.
    """
    name = host.lower().rstrip(".").removeprefix("www.")
    if not name or name.replace(".", "").isdigit() or ":" in name:
        return name
    parts = _psl()(name)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    labels = name.split(".")
    return ".".join(labels[-2:])


def invalid_url(url: str) -> str | None:
    """Why ``url`` cannot be fetched as it is (None when it can)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"not an http(s) URL (scheme '{parts.scheme}')" if parts.scheme else "not a URL"
    if not parts.hostname:
        return "URL has no host"
    if any(c.isspace() for c in parts.netloc):
        return "whitespace in host"
    try:  # what httpx will send: IDNA-encoded host, bounded length
        host = httpx.URL(url).raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return f"malformed URL: {exc}"[:300]
    return _bad_host(host)


def _bad_host(host: str) -> str | None:
    """Why a host (as sent, IDNA-encoded) cannot be a DNS name or an IP address."""
    if host.startswith("[") or ":" in host:
        return None  # an IPv6 literal, checked by the network guard
    name = host.rstrip(".")
    if not _HOST_CHARS.match(name) or len(name) > 253:
        return f"invalid host name '{host[:80]}'"
    if any(not 0 < len(label) < 64 for label in name.split(".")):
        return f"invalid host name '{host[:80]}' (empty or over-long label)"
    return None
