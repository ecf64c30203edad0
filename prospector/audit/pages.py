"""Reading the linking sites for the audit: at most :data:`PAGES_PER_DOMAIN` pages per
linking domain and ``max_pages`` in all, every one through the :class:`Fetcher` (network
guard, robots.txt, per-host gaps, size caps).

The first page read is a linking page. The domain's home page is read only when that page
says nothing about the site itself: it is gone (404, 410, soft-404, redirect loop), it is
not HTML, or robots.txt keeps us off it. A site-level failure (a bot wall, a rate limit, a
timeout, a server or TLS error) is not retried on the home page: the site would answer the
same, and the domain stays ``unknown``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence, Set
from urllib.parse import urlsplit

from prospector.audit.model import AuditLink, PageRead
from prospector.qualify.facts import page_facts
from prospector.web.extract import extract
from prospector.web.fetch import Fetched, Fetcher
from prospector.web.linkstatus import classify
from prospector.web.urls import host_of, registrable_domain

PAGES_PER_DOMAIN = 2
DEFAULT_MAX_PAGES = 200
MAX_LINKS_TO_US = 10  # links to our site kept per page read

# linkstatus status -> the page's outcome for the audit (see PageRead)
_OUTCOMES = {
    "parked": "parked",
    "dead_domain": "dead_domain",
    "not_found": "gone",
    "soft_404": "gone",
    "redirect_loop": "gone",
    "invalid": "skipped",
    "forbidden_address": "skipped",
    "robots_disallowed": "skipped",
}
_TRY_HOME = {"not_found", "soft_404", "redirect_loop", "robots_disallowed", "not_html"}

Progress = Callable[[str, int, int], None]


def home_page(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def judge(url: str, fetched: Fetched, ours: Set[str]) -> PageRead:
    """What one fetch says about the linking site (CPU work: call it off the event loop)."""
    check = classify(url, fetched)
    if check is None and not (fetched.is_html and fetched.body):
        kind = fetched.content_type or "no content"
        return PageRead(
            url,
            fetched.final_url,
            "inconclusive",
            "not_html",
            fetched.status,
            f"{fetched.status}: not an HTML page ({kind})",
        )
    if check is not None:
        outcome = _OUTCOMES.get(check.status, "inconclusive")
        page = PageRead(
            url, check.final_url, outcome, check.status, check.http_status, check.detail
        )
        if outcome != "parked" or not fetched.body:
            return page
    else:
        page = PageRead(url, fetched.final_url, "read", "ok", fetched.status, f"{fetched.status}")
    html = fetched.text()
    extraction = extract(html, fetched.final_url, fetched.headers)
    page.facts = page_facts(extraction, html, fetched.final_url)
    page.links_to_us = [
        {
            "href": link.href,
            "anchor": " ".join(link.anchor.split())[:200],
            "placement": link.placement,
            "rel": list(link.rel),
            "visible": link.visible,
        }
        for link in extraction.links
        if registrable_domain(host_of(link.href)) in ours
    ][:MAX_LINKS_TO_US]
    return page


async def read_page(fetcher: Fetcher, url: str, ours: Set[str]) -> PageRead:
    fetched = await fetcher.fetch(url)
    return await asyncio.to_thread(judge, url, fetched, ours)


async def read_domains(
    fetcher: Fetcher,
    plan: Mapping[str, Sequence[AuditLink]],
    ours: Set[str],
    *,
    max_pages: int,
    concurrency: int,
    progress: Progress | None = None,
) -> tuple[dict[str, list[PageRead]], int]:
    """Pages read per domain (domains beyond the budget are missing) and the pages fetched.

    ``plan`` lists each domain's links, the domains in the order they should get the budget;
    the first pass reads one linking page per domain, the second the home pages needed.
    """
    limit = asyncio.Semaphore(max(1, concurrency))
    out: dict[str, list[PageRead]] = {}
    first = {domain: links[0].source_url for domain, links in list(plan.items())[:max_pages]}
    total = len(first)
    done = 0

    async def one(domain: str, url: str) -> None:
        nonlocal done
        async with limit:
            page = await read_page(fetcher, url, ours)
        out.setdefault(domain, []).append(page)
        done += 1
        if progress is not None:
            progress("reading linking sites", done, total)

    await asyncio.gather(*(one(domain, url) for domain, url in first.items()))
    second: dict[str, str] = {}
    budget = max_pages - len(first)
    for domain in first:  # in plan order, so the budget goes where the links are
        page = out[domain][0]
        home = home_page(page.url)
        if budget <= 0 or PAGES_PER_DOMAIN < 2:
            break
        if page.status in _TRY_HOME and home.rstrip("/") != page.url.rstrip("/"):
            second[domain] = home
            budget -= 1
    total += len(second)
    await asyncio.gather(*(one(domain, url) for domain, url in second.items()))
    return out, len(first) + len(second)
