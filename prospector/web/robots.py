"""robots.txt per RFC 9309, through protego."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309: parse at least the first 500 KiB


@dataclass(frozen=True)
class RobotsPolicy:
    """What one host's robots.txt says; ``source`` tells how it was obtained."""

    text: str
    source: str = "fetched"  # fetched | missing (4xx: allow all) | unreachable (5xx: disallow all)
    error: str | None = None  # source "failed": the host could not be reached (fetch error kind)
    detail: str = ""

    @functools.cached_property
    def rules(self) -> Protego:
        """The parsed file, parsed once (a 500 KiB file takes most of a second to parse)."""
        return parse(self.text)

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.source in ("missing", "failed"):
            return True
        if self.source == "unreachable":
            return urlsplit(url).path == "/robots.txt"
        return bool(self.rules.can_fetch(url, _product_token(user_agent)))

    def sitemaps(self) -> list[str]:
        if self.source != "fetched":
            return []
        return list(self.rules.sitemaps)

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.source != "fetched":
            return None
        delay = self.rules.crawl_delay(_product_token(user_agent))
        return float(delay) if delay is not None else None


def parse(text: str) -> Protego:
    return Protego.parse(text[:ROBOTS_MAX_BYTES])


def _product_token(user_agent: str) -> str:
    """'ProspectorBot/0.1 (+https://...)' -> 'ProspectorBot' (RFC 9309 matches the token)."""
    token = user_agent.strip().split("/")[0].split()[0] if user_agent.strip() else "*"
    return token or "*"


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"
