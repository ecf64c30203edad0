"""The broken-link step of a discovery run: check the outbound links of on-topic pages,
confirm deaths under the two-checks rule, look up what the dead pages were, and write one
broken-link prospect per page with every confirmed dead link on it."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from prospector.campaigns import Campaign
from prospector.config import Settings
from prospector.discover import wayback
from prospector.discover.matching import best_target
from prospector.discover.opportunities import confirm_dead
from prospector.discover.prospects import ProspectWriter
from prospector.store import Store
from prospector.web.browser import LazyBrowser
from prospector.web.fetch import Fetcher
from prospector.web.linkstatus import LinkCheck, LinkChecker
from prospector.web.urls import host_of, registrable_domain

if TYPE_CHECKING:
    from prospector.discover.runner import DiscoverySummary


class BrokenLinks:
    def __init__(
        self,
        settings: Settings,
        campaign: Campaign,
        store: Store,
        fetcher: Fetcher,
        browser: LazyBrowser,
        writer: ProspectWriter,
        summary: DiscoverySummary,
        progress: Callable[[str, int, int], None],
    ) -> None:
        self.settings = settings
        self.campaign = campaign
        self.store = store
        self.fetcher = fetcher
        self.browser = browser
        self.writer = writer
        self.summary = summary
        self.progress = progress

    async def run(self) -> None:
        if "broken_link" not in self.campaign.opportunity_types:
            return
        pages = self.store.campaign_outbound_links(self.campaign.name)
        by_href: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in pages:
            by_href[row["href"]].append(row)
        await self._check(sorted(by_href))
        dead = self._confirmed(sorted(by_href))
        archived = await self._archive(sorted(dead))
        per_page: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for href, death in dead.items():
            for row in by_href[href]:
                per_page[row["page_url"]].append(
                    {"row": row, "death": death, "archive": archived.get(href)}
                )
        for page_url, found in sorted(per_page.items()):
            self._write(page_url, found)

    async def _check(self, hrefs: list[str]) -> None:
        window = timedelta(hours=self.settings.discovery.recheck_after_hours)
        latest = self.store.latest_checks(hrefs)
        now = datetime.now(UTC)
        due = [
            h
            for h in hrefs
            if h not in latest or now - datetime.fromisoformat(latest[h]["checked_at"]) >= window
        ]
        self.summary.links_reused += len(hrefs) - len(due)
        done = 0

        def record(check: LinkCheck) -> None:
            nonlocal done
            self.store.record_check(check, self.summary.run_id)
            done += 1
            self.progress("links", done, len(due))

        checker = LinkChecker(self.fetcher, render=self.browser.settle, on_result=record)
        await checker.check_many(due)
        self.summary.links_checked += len(due)

    def _confirmed(self, hrefs: list[str]) -> dict[str, Any]:
        confirm = self.settings.discovery.confirm_dead_after_hours
        out = {}
        for href in hrefs:
            history = self.store.check_history(href)
            if not history or history[-1]["verdict"] != "dead":
                continue
            death = confirm_dead(history, confirm)
            if death is None:
                self.summary.dead_pending += 1
            else:
                out[href] = death
        self.summary.dead_confirmed = len(out)
        return out

    async def _archive(self, hrefs: list[str]) -> dict[str, wayback.ArchivedPage]:
        found: dict[str, wayback.ArchivedPage] = {}
        limit = asyncio.Semaphore(4)

        async def one(href: str) -> None:
            async with limit:
                result = await wayback.lookup(self.fetcher, self.settings.wayback, href)
            if isinstance(result, wayback.ArchivedPage):
                found[href] = result

        await asyncio.gather(*(one(h) for h in hrefs))
        return found

    def _write(self, page_url: str, found: list[dict[str, Any]]) -> None:
        dead_links = []
        for item in found:
            row, death, archive = item["row"], item["death"], item["archive"]
            match = best_target(
                self.campaign, row["anchor"] or "", archive.title if archive else "", row["href"]
            )
            if not match.matched:
                self.summary.held["broken_link: no matching target page"] += 1
                continue
            dead_links.append(
                {
                    "href": row["href"],
                    "anchor": row["anchor"],
                    **death.as_dict(),
                    "wayback": archive.as_dict() if archive else None,
                    "replacement": {
                        "url": match.target.url,
                        "title": match.target.title,
                        "score": match.score,
                        "matched": list(match.matched),
                    },
                }
            )
        if not dead_links:
            return
        page = found[0]["row"]
        evidence = {
            "page": {"title": page["page_title"], "url": page_url},
            "dead_links": dead_links,
            "classification": json.loads(page["classification"] or "{}"),
        }
        if registrable_domain(host_of(page_url)):
            self.writer.add("broken_link", page_url, page["page_id"], evidence, merge="dead_links")
