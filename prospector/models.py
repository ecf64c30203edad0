"""Plain data passed between layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def utcnow() -> str:
    """Current time as an ISO-8601 UTC string (the store's time format)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Link:
    href: str
    anchor: str
    rel: tuple[str, ...] = ()
    placement: str = "other"
    visible: bool | None = None
    internal: bool = False


@dataclass(frozen=True)
class PageSnapshot:
    url: str
    final_url: str
    http_status: int | None
    title: str
    canonical: str | None = None
    noindex: bool = False
    links: tuple[Link, ...] = ()
    emails: tuple[str, ...] = ()
    rendered: bool = False
    content_hash: str = ""
    fetched_at: str = field(default_factory=utcnow)

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return (urlsplit(self.final_url or self.url).hostname or "").lower()
