"""Writing prospects: exclusions, one prospect per domain per campaign, and what wins when
two opportunities share a domain. Nothing found is thrown away: a prospect that cannot go
ahead is recorded as ``rejected`` with the reason."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Protocol

from prospector.campaigns import Campaign
from prospector.store import Store
from prospector.web.urls import host_of, registrable_domain

ACTIVE = ("new", "qualified", "drafted")
CONTACTED = (
    "approved",
    "sending",
    "sent",
    "replied",
    "bounced",
    "no_reply",
    "placed",
    "live",
    "lost",
)
PRIORITY = {"broken_link": 3, "resource_page": 2, "guest_post": 1}


class Tally(Protocol):
    prospects: Counter[str]
    held: Counter[str]


class ProspectWriter:
    def __init__(self, store: Store, campaign: Campaign, run_id: int, tally: Tally) -> None:
        self.store = store
        self.campaign = campaign
        self.run_id = run_id
        self.tally = tally
        self.own = {registrable_domain(host_of(t.url)) for t in campaign.targets}
        self.patterns = [re.compile(p) for p in campaign.exclusions.url_patterns]
        self.contacted = store.contacted_domains(CONTACTED)
        self.suppressed = store.suppressed_domains()
        self.per_domain = campaign.limits.prospects_per_domain

    def excluded(self, url: str) -> str | None:
        """Why a URL may not become a prospect at all (our own site, an excluded domain)."""
        host = host_of(url)
        domain = registrable_domain(host)
        if domain in self.own:
            return "our own site"
        for rule in self.campaign.exclusions.domains:
            bare = rule.removeprefix("*.")
            if host == bare or host.endswith("." + bare) or domain == bare:
                return f"excluded domain {rule}"
        for pattern in self.patterns:
            if pattern.search(url):
                return f"excluded URL pattern {pattern.pattern}"
        return None

    def add(
        self,
        kind: str,
        url: str,
        page_id: int | None,
        evidence: dict[str, Any],
        merge: str | None = None,
    ) -> None:
        """Record an opportunity; with ``merge``, a known prospect in state 'new' (or held
        back) gains the new items of ``evidence[merge]`` instead of being duplicated."""
        if self.excluded(url) is not None:
            return
        if merge is not None and self._merge(kind, url, evidence, merge):
            return
        domain = registrable_domain(host_of(url))
        reason = None
        if domain in self.suppressed:
            reason = f"{domain} is on the do-not-contact list"
        elif domain in self.contacted and not self._ours_contacted(domain):
            reason = f"{domain} was already contacted by another campaign"
        else:
            reason = self._domain_limit(kind, domain)
        state = "rejected" if reason else "new"
        if reason:
            evidence = {**evidence, "rejected_reason": reason}
        created = self.store.add_prospect(
            self.campaign.name,
            kind,
            url,
            domain,
            evidence,
            page_id=page_id,
            state=state,
            run_id=self.run_id,
        )
        if created is not None:
            (self.tally.held if reason else self.tally.prospects)[kind] += 1

    def _merge(self, kind: str, url: str, evidence: dict[str, Any], key: str) -> bool:
        existing = self.store.prospects(self.campaign.name, kind, url=url)
        if not existing:
            return False
        row = existing[0]
        if row["state"] not in ("new", "qualified", "rejected"):
            return True  # drafted or further: its evidence is what the pitch says
        have = {item.get("href") for item in row["evidence"].get(key, [])}
        fresh = [item for item in evidence.get(key, []) if item.get("href") not in have]
        if fresh:
            merged = {**row["evidence"], key: [*row["evidence"].get(key, []), *fresh]}
            self.store.update_prospect_evidence(
                row["id"],
                merged,
                actor="agent",
                note=f"{len(fresh)} more {key}",
                run_id=self.run_id,
            )
        return True

    def _ours_contacted(self, domain: str) -> bool:
        return bool(self.store.prospects(self.campaign.name, states=CONTACTED, domain=domain))

    def _domain_limit(self, kind: str, domain: str) -> str | None:
        """None when the domain has room; otherwise why not (after superseding if it wins)."""
        active = self.store.prospects(self.campaign.name, states=ACTIVE, domain=domain)
        if len(active) < self.per_domain:
            return None
        weakest = min(active, key=lambda row: (PRIORITY.get(row["type"], 0), -row["id"]))
        if PRIORITY[kind] > PRIORITY.get(weakest["type"], 0) and weakest["state"] == "new":
            self.store.set_prospect_state(
                weakest["id"],
                "rejected",
                actor="agent",
                reason=f"superseded by a {kind.replace('_', '-')} opportunity on {domain}",
                run_id=self.run_id,
            )
            return None
        return (
            f"one prospect per domain: {domain} already has prospect #{weakest['id']} "
            f"({weakest['type']})"
        )
