"""The qualify stage of a run: score every new prospect of a campaign and keep the reasons.

Relevance, authority, quality, spam and contacts are computed for each prospect in state
``new``; the combined score and every component's evidence are stored; a prospect whose spam
score reaches the threshold is rejected with its reasons, the others become ``qualified``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prospector.campaigns import Campaign
from prospector.config import Settings
from prospector.qualify.authority.combine import authority_for
from prospector.qualify.contacts import contacts_component, find_contacts
from prospector.qualify.facts import page_facts
from prospector.qualify.relevance import RelevanceModel, relevance
from prospector.qualify.score import combine, fit
from prospector.qualify.spam import quality, shared_tracking_ids, spam
from prospector.store import Store
from prospector.web.extract import extract
from prospector.web.fetch import Fetcher
from prospector.web.urls import registrable_domain


@dataclass
class QualifySummary:
    qualified: int = 0
    rejected: int = 0
    notes: list[str] = field(default_factory=list)


async def qualify(
    settings: Settings,
    campaign: Campaign,
    store: Store,
    fetcher: Fetcher,
    run_id: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> QualifySummary:
    summary = QualifySummary()
    rows = store.prospects(campaign.name, states=["new"])
    if not rows:
        return summary
    facts = await _facts(store, fetcher, rows)
    domains = sorted({row["domain"] for row in rows})
    authority = await authority_for(settings, store, fetcher, domains)
    site_pages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _page_id, host, page_facts_ in store.campaign_page_facts(campaign.name):
        site_pages[registrable_domain(host)].append(page_facts_)
    for row in rows:
        if row["id"] in facts and not site_pages.get(row["domain"]):
            site_pages[row["domain"]].append(facts[row["id"]])
    shared = shared_tracking_ids(
        {
            domain: {
                "domain": domain,
                "tracking_ids": sorted({t for f in pages for t in f.get("tracking_ids") or []}),
            }
            for domain, pages in site_pages.items()
        }
    )
    model = RelevanceModel(campaign, settings.relevance)
    limit = asyncio.Semaphore(settings.discovery.concurrency)
    done = 0

    async def one(row: dict[str, Any]) -> None:
        nonlocal done
        page = facts.get(row["id"], {})
        async with limit:
            found = await find_contacts(
                fetcher, settings, row["url"], store=store, opportunity=row["type"]
            )
        store.save_contacts(row["id"], found)
        contact = contacts_component(found)
        verdict = combine(
            settings.scores,
            relevance(campaign, page, settings=settings.relevance, model=model),
            authority[row["domain"]],
            quality(page),
            fit(row["type"], contact, page),
            spam(
                page,
                shared_ids=shared,
                site_pages=[f for f in site_pages.get(row["domain"], []) if f is not page],
            ),
        )
        verdict.breakdown["contact"] = contact.as_dict()
        store.save_score(
            row["id"],
            verdict.score,
            verdict.breakdown,
            state=verdict.state,
            reason=verdict.reason,
            run_id=run_id,
        )
        if verdict.state == "qualified":
            summary.qualified += 1
        else:
            summary.rejected += 1
        done += 1
        if progress is not None:
            progress("qualify", done, len(rows))

    await asyncio.gather(*(one(row) for row in rows))
    return summary


async def _facts(
    store: Store, fetcher: Fetcher, rows: list[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Page facts per prospect id: stored at discovery, or read again now when missing."""
    stored = store.page_facts([row["page_id"] for row in rows if row.get("page_id")])
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        known = stored.get(row["page_id"]) if row.get("page_id") else None
        if known is not None:
            out[row["id"]] = known
            continue
        fetched = await fetcher.fetch(row["url"])
        if fetched.error is None and fetched.body:
            html = fetched.text()
            facts = page_facts(
                extract(html, fetched.final_url, fetched.headers), html, fetched.final_url
            )
            if row.get("page_id"):
                store.save_page_facts(row["page_id"], facts)
            out[row["id"]] = facts
    return out
