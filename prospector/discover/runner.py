"""One campaign's discovery run.

Seeds, sites (their start page, common opportunity paths and sitemaps), search results and
imported backlinks feed the candidate frontier in the database. Each candidate page is fetched
(and rendered when it needs JavaScript), stored, and classified; sites are explored within
their page budget and depth. Outbound links of on-topic pages are checked, and prospects are
written with their evidence. Everything lives in the database as it happens, so a run that is
killed continues where it stopped when started again, and duplicates nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from prospector.campaigns import Campaign
from prospector.config import Settings
from prospector.discover.classify import PageType, classify_page
from prospector.discover.prospects import ProspectWriter
from prospector.models import Link, PageSnapshot
from prospector.qualify.facts import page_facts
from prospector.store import Store
from prospector.store.discovery import Candidate
from prospector.web import signals
from prospector.web.browser import LazyBrowser
from prospector.web.extract import Extraction, extract
from prospector.web.fetch import Fetcher
from prospector.web.urls import host_of, normalize, registrable_domain

Progress = Callable[[str, int, int], None]  # stage, done, total
EXPLORED = ("site", "explore", "sitemap")  # seed sites: explored within budget and depth
_CUE = re.compile(
    r"write.?for.?us|contribut|guest|submi|resource|useful|links|further", re.IGNORECASE
)
PROBE_DEPTH = 2
BUDGETED = ("explore", "sitemap")  # a site's start page and the probe paths are always tried
_SKIP = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|ico|pdf|zip|gz|mp3|mp4|css|js|xml|txt|json)$", re.IGNORECASE
)


@dataclass
class DiscoverySummary:
    campaign: str
    run_id: int = 0
    candidates: Counter[str] = field(default_factory=Counter)
    pages: int = 0
    failed: int = 0
    page_types: Counter[str] = field(default_factory=Counter)
    links_checked: int = 0
    links_reused: int = 0
    dead_confirmed: int = 0
    dead_pending: int = 0
    prospects: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    qualified: int = 0
    spam_rejected: int = 0
    drafts: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "pages": self.pages,
            "failed": self.failed,
            "links_checked": self.links_checked,
            "dead_confirmed": self.dead_confirmed,
            "dead_pending": self.dead_pending,
            **{f"prospects_{k}": v for k, v in self.prospects.items()},
        }


async def discover(
    settings: Settings, campaign: Campaign, store: Store, progress: Progress | None = None
) -> DiscoverySummary:
    """Run discovery for one campaign; see the module docstring."""
    started = time.monotonic()
    summary = DiscoverySummary(campaign.name)
    run_id = summary.run_id = store.start_run("prospect", campaign.name)
    store.upsert_campaign(campaign.name, str(campaign.path or ""), campaign.description)
    try:
        async with contextlib.AsyncExitStack() as stack:
            fetcher = await stack.enter_async_context(Fetcher(settings))
            browser = LazyBrowser(settings, stack)
            job = _Job(settings, campaign, store, fetcher, browser, summary, progress)
            await job.seed()
            await job.crawl()
            await job.check_links()
        summary.elapsed_s = round(time.monotonic() - started, 2)
        store.finish_run(run_id, status="ok", counts=summary.counts())
    except BaseException as exc:
        store.finish_run(
            run_id,
            status="failed",
            counts=summary.counts(),
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
        raise
    return summary


class _Job:
    def __init__(
        self,
        settings: Settings,
        campaign: Campaign,
        store: Store,
        fetcher: Fetcher,
        browser: LazyBrowser,
        summary: DiscoverySummary,
        progress: Progress | None,
    ) -> None:
        self.settings = settings
        self.conf = settings.discovery
        self.campaign = campaign
        self.store = store
        self.fetcher = fetcher
        self.browser = browser
        self.summary = summary
        self.progress = progress or (lambda stage, done, total: None)
        self.writer = ProspectWriter(store, campaign, summary.run_id, summary)
        self.keywords = list(
            dict.fromkeys([*campaign.keywords, *(k for t in campaign.targets for k in t.keywords)])
        )
        # sites with an on-topic page: from the runs before too, so that a run that stopped
        # (killed, or at its page budget) between a site's pages decides as one run would
        self.topical_sites = {registrable_domain(h) for h in store.topical_hosts(campaign.name)}
        self.probed = {
            urljoin(c["url"], "/")
            for c in store.candidates(campaign.name)
            if c["source"] == "probe"
        }
        self.per_site: Counter[str] = Counter(
            registrable_domain(host_of(c["url"]))
            for c in store.candidates(campaign.name)
            if c["source"] in BUDGETED
        )

    # -- seeding -----------------------------------------------------------------------------

    async def seed(self) -> None:
        seeds = [Candidate(url, "seed") for url in self.campaign.seeds.urls]
        for site in self.campaign.seeds.sites:
            seeds.append(Candidate(urljoin(site, "/"), "site", "0"))
            seeds += self._probes(site)
        self._add(seeds)
        if self.conf.sitemaps:
            await self._sitemaps()
        if self.settings.search.provider != "none":
            from prospector.discover.search.run import discover_from_search

            found = await discover_from_search(
                self.settings, self.campaign, self.store, self.summary.run_id
            )
            self.summary.notes.append(str(found))

    async def _sitemaps(self) -> None:
        from prospector.discover.sitemaps import sitemap_urls

        for site in self.campaign.seeds.sites:
            result = await sitemap_urls(
                self.fetcher, site, limit=self.campaign.limits.max_pages_per_site * 4
            )
            ranked = sorted(result.urls, key=_opportunity_first)
            self._add([Candidate(url, "sitemap", "1") for url in ranked])

    def _add(self, candidates: list[Candidate]) -> None:
        kept = []
        for candidate in candidates:
            site = registrable_domain(host_of(candidate.url))
            if self._excluded(candidate.url):
                continue
            if candidate.source in BUDGETED:
                if self.per_site[site] >= self.campaign.limits.max_pages_per_site:
                    continue
                self.per_site[site] += 1
            kept.append(candidate)
        for source in dict.fromkeys(c.source for c in kept):
            group = [c for c in kept if c.source == source]
            self.summary.candidates[source] += self.store.add_candidates(
                self.campaign.name, group, self.summary.run_id
            )

    def _excluded(self, url: str) -> bool:
        return self.writer.excluded(url) is not None

    # -- crawling ----------------------------------------------------------------------------

    async def crawl(self) -> None:
        limit = asyncio.Semaphore(self.conf.concurrency)
        done = 0
        while True:
            budget = self.conf.max_pages_per_run - self.summary.pages - self.summary.failed
            pending = self.store.pending_candidates(self.campaign.name, limit=1000)
            batch = across_hosts(pending)[: max(0, min(200, budget))]
            if not batch or budget <= 0:
                if pending:
                    self.summary.notes.append(
                        f"page budget of {self.conf.max_pages_per_run} reached; "
                        "the next run continues"
                    )
                return

            async def one(row: dict[str, Any]) -> None:
                nonlocal done
                async with limit:
                    await self._visit(row)
                done += 1
                self.progress("pages", done, done + self.store.pending_count(self.campaign.name))

            await asyncio.gather(*(one(row) for row in batch))

    async def _visit(self, row: dict[str, Any]) -> None:
        url = row["url"]
        fetched = await self.fetcher.fetch(url)
        if fetched.error or fetched.status != 200 or not fetched.is_html:
            reason = fetched.error or f"HTTP {fetched.status}" + (
                "" if fetched.is_html else f" ({fetched.content_type or 'no content type'})"
            )
            self.summary.failed += 1
            self.store.finish_candidate(row["id"], "failed", f"{reason}: {fetched.detail}"[:300])
            return
        html, final, rendered = fetched.text(), fetched.final_url, False
        if self.conf.render != "never" and (
            self.conf.render == "always" or signals.needs_javascript(html)
        ):
            settled = await self.browser.settle(final)
            if settled is not None:
                html, final, rendered = settled.html, settled.final_url, True
        extraction = extract(html, final, fetched.headers)
        page_type = classify_page(extraction, html, final, self.keywords)
        site = registrable_domain(host_of(final))
        if page_type.on_topic and self.keywords:
            self.topical_sites.add(site)
        elif page_type.page_type == "guest_post" and site in self.topical_sites:
            # guidelines pages rarely talk about the topic; the site they belong to does
            page_type = page_type.on_site_topic()
        page_id = self.store.save_page(
            _snapshot(url, final, fetched.status, extraction, rendered), self.summary.run_id
        )
        self.store.save_page_facts(page_id, page_facts(extraction, html, final))
        self.summary.pages += 1
        self.summary.page_types[page_type.page_type] += 1
        detail = {
            "page_type": page_type.page_type,
            "on_topic": page_type.on_topic,
            "page_id": page_id,
        }
        if page_type.opportunity:
            self.writer.add(
                page_type.page_type, final, page_id, _page_evidence(extraction, page_type)
            )
        if row["source"] in EXPLORED:
            self._explore(extraction, final, int(row["source_detail"] or 0))
        elif row["source"] == "probe":
            self._follow_cues(extraction, final, int(row["source_detail"] or 1))
        elif page_type.on_topic and self.keywords:
            # an on-topic page found by search, a seed URL or an import: its site may also
            # have a write-for-us or resources page, linked from this page's navigation or
            # at one of the usual paths
            self._add(self._probes(final))
            self._follow_cues(extraction, final, 1)
        self.store.finish_candidate(row["id"], "done", json.dumps(detail))

    def _probes(self, url: str) -> list[Candidate]:
        """The usual opportunity paths of ``url``'s site, once per site per campaign."""
        root = urljoin(url, "/")
        if root in self.probed:
            return []
        self.probed.add(root)
        paths = ["/", *self.conf.probe_paths]
        return [Candidate(urljoin(root, path), "probe", "1") for path in paths]

    def _follow_cues(self, extraction: Extraction, url: str, depth: int) -> None:
        """From a probed page, follow only links that look like opportunity pages."""
        if depth >= PROBE_DEPTH:
            return
        site = registrable_domain(host_of(url))
        cued = [
            normalize(link.href)
            for link in extraction.links
            if registrable_domain(host_of(link.href)) == site
            and (_CUE.search(urlsplit(link.href).path) or _CUE.search(link.anchor))
        ]
        self._add([Candidate(href, "probe", str(depth + 1)) for href in dict.fromkeys(cued)])

    def _explore(self, extraction: Extraction, url: str, depth: int) -> None:
        if depth >= self.campaign.limits.max_depth:
            return
        site = registrable_domain(host_of(url))
        inside = []
        for link in extraction.links:
            if registrable_domain(host_of(link.href)) != site or _SKIP.search(
                urlsplit(link.href).path
            ):
                continue
            inside.append(normalize(link.href))
        ranked = sorted(dict.fromkeys(inside), key=_opportunity_first)
        self._add([Candidate(href, "explore", str(depth + 1)) for href in ranked])

    # -- link checks -------------------------------------------------------------------------

    async def check_links(self) -> None:
        from prospector.discover.brokenlinks import BrokenLinks

        await BrokenLinks(
            self.settings,
            self.campaign,
            self.store,
            self.fetcher,
            self.browser,
            self.writer,
            self.summary,
            self.progress,
        ).run()


def _opportunity_first(url: str) -> tuple[int, str]:
    """Crawl order: likely opportunity pages first, then shallow pages."""
    path = urlsplit(url).path.lower()
    cue = any(word in path for word in ("resource", "link", "write", "contribut", "guest"))
    return (0 if cue else 1 + path.count("/"), url)


def _snapshot(
    url: str, final: str, status: int | None, extraction: Extraction, rendered: bool
) -> PageSnapshot:
    import hashlib

    host = host_of(final)
    links = tuple(
        Link(
            link.href,
            link.anchor,
            link.rel,
            link.placement,
            link.visible,
            host_of(link.href) == host,
        )
        for link in extraction.links
    )
    return PageSnapshot(
        url=url,
        final_url=final,
        http_status=status,
        title=extraction.title,
        canonical=extraction.canonical or extraction.canonical_header,
        noindex=extraction.noindex,
        links=links,
        emails=extraction.email_addresses,
        rendered=rendered,
        content_hash=hashlib.sha256(extraction.main_text.encode()).hexdigest(),
    )


def _page_evidence(extraction: Extraction, page_type: PageType) -> dict[str, Any]:
    return {
        "page": {
            "title": extraction.title,
            "url": extraction.url,
            "emails": list(extraction.email_addresses),
            "author": extraction.author,
        },
        "classification": page_type.as_dict(),
    }


def across_hosts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Candidates taken one host at a time in turn (each host's own order kept), so the
    concurrent fetches of a batch go to different hosts instead of queueing behind one
    host's politeness gap."""
    by_host: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_host.setdefault(host_of(row["url"]), []).append(row)
    queues = list(by_host.values())
    out: list[dict[str, Any]] = []
    for turn in range(max((len(q) for q in queues), default=0)):
        out.extend(q[turn] for q in queues if turn < len(q))
    return out
