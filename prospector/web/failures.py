"""What went wrong with a request, as the fetcher reports it: an httpx failure mapped to a
kind (``tls``, ``timeout``, ``refused``, ``reset``, ``protocol``, ``invalid``) with its detail,
and how long a ``Retry-After`` header asks to wait."""

from __future__ import annotations

import email.utils
import ssl
import time

import httpx


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def classify_http_error(exc: httpx.HTTPError) -> tuple[str, str]:
    """Map an httpx failure to (kind, detail)."""
    detail = str(exc) or type(exc).__name__
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in detail or "TLS" in detail:
        return "tls", detail
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", detail
    if isinstance(exc, httpx.ConnectError):
        if "refused" in detail.lower() or any(isinstance(e, ConnectionRefusedError) for e in chain):
            return "refused", f"connection refused ({detail})"
        return "reset", detail
    if isinstance(exc, httpx.RemoteProtocolError):
        lowered = detail.lower()
        if "disconnected" in lowered or "peer closed" in lowered or "incomplete" in lowered:
            return "reset", detail
        return "protocol", detail
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.NetworkError)):
        return "reset", detail
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
        return "invalid", detail
    if isinstance(exc, httpx.DecodingError):
        return "protocol", detail
    return "reset", detail
