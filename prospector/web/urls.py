"""URL normalisation for deduplication and same-site tests."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize(url: str) -> str:
    """Lowercase scheme and host, drop the default port and the fragment; '' path -> '/'."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    netloc = host
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


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
