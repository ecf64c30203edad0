"""What the backlink audit passes around: the links audited, the pages read, and the verdict
on each linking domain with its reasons."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from prospector.qualify.model import Component

VERDICTS = ("toxic", "suspicious", "unknown", "ok")  # the order the table shows them in


@dataclass(frozen=True)
class AuditLink:
    """One backlink to audit: a page (``source_url``) linking to one of our pages."""

    source_url: str
    target_url: str = ""  # "" when the export does not say
    anchor: str = ""
    nofollow: bool | None = None
    origin: str = ""  # where it came from: "line 12" of the file, "placement #3"
    metrics: dict[str, Any] = field(default_factory=dict)  # the export's other columns

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_url": self.source_url,
            "target_url": self.target_url,
            "anchor": self.anchor,
            "nofollow": self.nofollow,
            "origin": self.origin,
        }


@dataclass
class PageRead:
    """One page fetched for the audit, and what it showed.

    ``outcome``: ``read`` (a page with content), ``parked`` (a parked or for-sale page),
    ``gone`` (404, 410, soft-404, redirect loop: the page, not the site), ``dead_domain``
    (the host does not resolve), ``inconclusive`` (a bot wall, a rate limit, a timeout, a
    server or TLS error, not HTML) or ``skipped`` (robots.txt, a refused address, an invalid
    URL). Only ``read``, ``parked`` and ``dead_domain`` are conclusive about the site.
    """

    url: str
    final_url: str
    outcome: str
    status: str  # the link-status label (prospector.web.linkstatus): ok, parked, not_found...
    http_status: int | None
    detail: str
    facts: dict[str, Any] | None = None
    links_to_us: list[dict[str, Any]] = field(default_factory=list)

    @property
    def conclusive(self) -> bool:
        return self.outcome in ("read", "parked", "dead_domain")

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "final_url": self.final_url,
            "outcome": self.outcome,
            "status": self.status,
            "http_status": self.http_status,
            "detail": self.detail,
            "links_to_us": self.links_to_us,
        }


@dataclass(frozen=True)
class Flag:
    """One reason a domain's links may hurt: ``weight`` 0-100 (how toxic on its own)."""

    name: str
    weight: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "weight": round(self.weight, 1), "reason": self.reason}


@dataclass
class DomainAudit:
    """The verdict on one linking domain: ``ok``, ``suspicious``, ``toxic`` or ``unknown``."""

    domain: str
    links: list[AuditLink]
    pages: list[PageRead] = field(default_factory=list)
    authority: Component | None = None
    relevance: Component | None = None
    spam: Component | None = None
    flags: list[Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    toxicity: float = 0.0
    verdict: str = "unknown"

    @property
    def linking_pages(self) -> int:
        return len({link.source_url for link in self.links})

    def anchors(self) -> list[tuple[str, int]]:
        """Anchors by use, most used first ('' for links without anchor text)."""
        counts = Counter(" ".join(link.anchor.split()) for link in self.links)
        return counts.most_common()

    def reasons(self) -> list[str]:
        """The flags' reasons, strongest first, then the notes; for an ``unknown`` domain,
        why it could not be assessed comes first."""
        flags = [f.reason for f in sorted(self.flags, key=lambda f: -f.weight)]
        if self.verdict == "unknown":
            return self.notes + flags
        return flags + self.notes

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "verdict": self.verdict,
            "toxicity": round(self.toxicity, 1),
            "reasons": self.reasons(),
            "flags": [f.as_dict() for f in sorted(self.flags, key=lambda f: -f.weight)],
            "notes": self.notes,
            "links": len(self.links),
            "linking_pages": self.linking_pages,
            "nofollow": sum(1 for link in self.links if link.nofollow),
            "anchors": [{"anchor": a, "count": n} for a, n in self.anchors()],
            "authority": _component(self.authority),
            "relevance": _component(self.relevance),
            "spam": _component(self.spam),
            "pages": [page.as_dict() for page in self.pages],
            "backlinks": [link.as_dict() for link in self.links],
        }


def _component(part: Component | None) -> dict[str, Any] | None:
    return None if part is None else part.as_dict()


@dataclass
class AuditResult:
    """The whole audit: one :class:`DomainAudit` per linking domain, worst first."""

    source: str  # file | placements
    campaign: str | None
    domains: list[DomainAudit]
    links: int
    toxic_threshold: float
    suspicious_threshold: float
    max_pages: int
    pages_fetched: int = 0
    file: str | None = None
    tool: str | None = None
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def counts(self) -> dict[str, int]:
        found = Counter(d.verdict for d in self.domains)
        return {verdict: found.get(verdict, 0) for verdict in VERDICTS}

    def domain(self, name: str) -> DomainAudit | None:
        return next((d for d in self.domains if d.domain == name), None)

    def flagged(self) -> list[DomainAudit]:
        """The toxic domains: what ``--confirm-all-flagged`` confirms."""
        return [d for d in self.domains if d.verdict == "toxic"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "tool": self.tool,
            "campaign": self.campaign,
            "links": self.links,
            "bad_rows": self.bad_rows,
            "domains_audited": len(self.domains),
            "counts": self.counts(),
            "thresholds": {
                "toxic": self.toxic_threshold,
                "suspicious": self.suspicious_threshold,
            },
            "pages_fetched": self.pages_fetched,
            "max_pages": self.max_pages,
            "notes": self.notes,
            "elapsed_s": round(self.elapsed_s, 2),
            "domains": [d.as_dict() for d in self.domains],
        }
