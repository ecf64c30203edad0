"""The backlink audit job: group the links by linking domain, read each linking site (a page
or two, within a budget), score it with the qualify code (authority providers, relevance to
the campaign, spam signals with private-blog-network footprints across the linking domains),
then flag what may hurt (:mod:`prospector.audit.toxicity`).

Reads the web and the authority providers; writes nothing but the authority cache.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path

from prospector.audit.model import VERDICTS, AuditLink, AuditResult, DomainAudit
from prospector.audit.pages import DEFAULT_MAX_PAGES, Progress, read_domains
from prospector.audit.sources import (
    Links,
    export_authority,
    links_from_file,
    links_from_placements,
    our_domains,
)
from prospector.audit.toxicity import anchor_profile, assess, known_authority
from prospector.campaigns import Campaign, load_named
from prospector.config import Settings
from prospector.qualify.authority.combine import authority_for
from prospector.qualify.model import Component
from prospector.qualify.relevance import RelevanceModel
from prospector.qualify.spam import shared_tracking_ids, spam
from prospector.store import Store, open_db
from prospector.web.fetch import Fetcher
from prospector.web.urls import host_of, registrable_domain


def audit_file(
    settings: Settings,
    path: Path,
    campaign: str | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    progress: Progress | None = None,
) -> AuditResult:
    """Audit a backlink export. ``ImportFormatError`` (exit 2) when the file is unusable,
    ``CampaignError`` when the campaign named does not exist; both before any request."""
    source = links_from_file(path)
    chosen, note = resolve_campaign(settings, campaign, set())
    if note and source.links:
        source.notes.append(note)
    with open_db(settings.database) as store:
        return asyncio.run(_run(settings, store, source, chosen, "file", max_pages, progress))


def audit_placements(
    settings: Settings,
    campaign: str | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    progress: Progress | None = None,
) -> AuditResult:
    """Audit our own earned links (the placements table), of one campaign or all."""
    if campaign:
        load_named(settings.campaigns_dir, campaign)  # a misspelt name is an error, not "none"
    with open_db(settings.database) as store:
        source = links_from_placements(store, campaign)
        chosen, note = resolve_campaign(settings, campaign, source.campaigns)
        if note and source.links:
            source.notes.append(note)
        return asyncio.run(_run(settings, store, source, chosen, "placements", max_pages, progress))


def resolve_campaign(
    settings: Settings, name: str | None, hint: set[str]
) -> tuple[Campaign | None, str | None]:
    """The campaign relevance is measured against: the one named, else the only one the
    links belong to, else the only one configured; otherwise none, with a note why."""
    if name:
        return load_named(settings.campaigns_dir, name), None
    known = sorted(p.stem for p in settings.campaigns_dir.glob("*.toml"))
    if len(hint) == 1 and next(iter(hint)) in known:
        return load_named(settings.campaigns_dir, next(iter(hint))), None
    if len(known) == 1 and not hint - set(known):
        return load_named(settings.campaigns_dir, known[0]), None
    listed = f" (campaigns: {', '.join(known)})" if known else " (no campaign configured)"
    return None, ("relevance not assessed: name the campaign with --campaign NAME" + listed)


async def _run(
    settings: Settings,
    store: Store,
    source: Links,
    campaign: Campaign | None,
    kind: str,
    max_pages: int,
    progress: Progress | None,
) -> AuditResult:
    started = time.monotonic()
    ours = our_domains(source.links, [t.url for t in campaign.targets] if campaign else [])
    by_domain: dict[str, list[AuditLink]] = {}
    internal = 0
    for link in source.links:
        domain = registrable_domain(host_of(link.source_url))
        if domain in ours:
            internal += 1
        elif domain:
            by_domain.setdefault(domain, []).append(link)
    if internal:
        source.notes.append(f"{internal} links from our own site left out")
    order = sorted(by_domain, key=lambda d: (-len(by_domain[d]), d))
    plan = {domain: by_domain[domain] for domain in order}
    async with Fetcher(settings) as fetcher:
        pages, fetched = await read_domains(
            fetcher,
            plan,
            ours,
            max_pages=max_pages,
            concurrency=settings.discovery.concurrency,
            progress=progress,
        )
        authority = await authority_for(settings, store, fetcher, order)
    if len(pages) < len(plan):
        source.notes.append(
            f"{len(plan) - len(pages)} domains not read: --max-pages {max_pages} reached "
            "(the domains with most links were read first)"
        )
    audits = [DomainAudit(domain, plan[domain], pages.get(domain, [])) for domain in order]
    _score(settings, campaign, audits, authority)
    toxic = settings.scores.spam_threshold
    suspicious = toxic / 2
    keywords = []
    if campaign is not None:
        keywords = [*campaign.keywords, *(k for t in campaign.targets for k in t.keywords)]
    anchors = anchor_profile(audits, keywords)
    for audit in audits:
        assess(audit, anchors, len(audits), toxic, suspicious, look_for_link=bool(ours))
    audits.sort(key=lambda a: (VERDICTS.index(a.verdict), -a.toxicity, -len(a.links), a.domain))
    return AuditResult(
        source=kind,
        campaign=campaign.name if campaign else None,
        domains=audits,
        links=len(source.links),
        toxic_threshold=toxic,
        suspicious_threshold=suspicious,
        max_pages=max_pages,
        pages_fetched=fetched,
        file=source.file,
        tool=source.tool,
        bad_rows=source.bad_rows,
        notes=source.notes,
        elapsed_s=time.monotonic() - started,
    )


def _score(
    settings: Settings,
    campaign: Campaign | None,
    audits: list[DomainAudit],
    authority: Mapping[str, Component],
) -> None:
    """Authority, relevance and spam of every domain read (the qualify code, as is)."""
    site_facts = {
        audit.domain: [page.facts for page in audit.pages if page.facts] for audit in audits
    }
    shared = shared_tracking_ids(
        {
            domain: {
                "domain": domain,
                "tracking_ids": sorted({t for f in facts for t in f.get("tracking_ids") or []}),
            }
            for domain, facts in site_facts.items()
            if facts
        }
    )
    model = RelevanceModel(campaign, settings.relevance) if campaign else None
    for audit in audits:
        audit.authority = authority.get(audit.domain)
        if known_authority(audit.authority) is None:
            audit.authority = export_authority(audit.links) or audit.authority
        facts = site_facts[audit.domain]
        if facts:
            audit.spam = spam(facts[0], shared_ids=shared, site_pages=facts[1:])
        read = [page.facts for page in audit.pages if page.outcome == "read" and page.facts]
        if model is not None and read:
            audit.relevance = max((model.score(f) for f in read), key=lambda c: c.score)
