"""Site exploration: walk one site breadth-first in the real browser, within a budget."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from prospector.models import PageSnapshot
from prospector.web.browser import BrowserSession
from prospector.web.render import RenderFailure, render_page
from prospector.web.urls import host_of, normalize, same_site

_SKIP_SUFFIXES = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".svg",
    ".pdf",
    ".zip",
    ".gz",
    ".mp3",
    ".mp4",
    ".css",
    ".js",
    ".xml",
    ".txt",
)


@dataclass
class Exploration:
    start_url: str
    pages: list[PageSnapshot] = field(default_factory=list)
    failures: list[RenderFailure] = field(default_factory=list)

    @property
    def outbound(self) -> list[str]:
        seen: dict[str, None] = {}
        for page in self.pages:
            for link in page.links:
                if not link.internal:
                    seen.setdefault(link.href, None)
        return list(seen)


async def explore_site(
    session: BrowserSession,
    start_url: str,
    *,
    max_pages: int = 30,
    max_depth: int = 2,
    on_page: Callable[[PageSnapshot | RenderFailure], None] | None = None,
) -> Exploration:
    """Render pages of ``start_url``'s site breadth-first, at most ``max_pages``."""
    host = host_of(start_url)
    result = Exploration(start_url)
    seen = {normalize(start_url)}
    frontier = [normalize(start_url)]
    for depth in range(max_depth + 1):
        budget = max_pages - len(result.pages) - len(result.failures)
        batch, frontier = frontier[:budget], []
        if not batch:
            break
        outcomes = await asyncio.gather(*(render_page(session, url) for url in batch))
        for outcome in outcomes:
            if on_page:
                on_page(outcome)
            if isinstance(outcome, RenderFailure):
                result.failures.append(outcome)
                continue
            result.pages.append(outcome)
            if depth == max_depth:
                continue
            for link in outcome.links:
                url = normalize(link.href)
                if url in seen or not same_site(url, host) or _skippable(url):
                    continue
                seen.add(url)
                frontier.append(url)
    return result


def _skippable(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(_SKIP_SUFFIXES)
