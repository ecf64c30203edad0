"""Where the audited links come from: a backlink export (the same CSV formats discovery
imports, read by :func:`prospector.discover.imports.read_backlinks`) or our own earned links
(the ``placements`` table)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospector.audit.model import AuditLink
from prospector.discover.imports import read_backlinks
from prospector.qualify.authority.providers import answer
from prospector.qualify.model import Component
from prospector.store import Store
from prospector.web.urls import host_of, registrable_domain

# Export columns (as metric keys) that carry a 0-100 domain-level authority, best first:
# Ahrefs' Domain Rating, Moz's Domain Authority, Semrush's Authority Score.
EXPORT_AUTHORITY = (
    ("domain_rating", "Domain Rating"),
    ("dr", "Domain Rating"),
    ("domain_authority", "Domain Authority"),
    ("da", "Domain Authority"),
    ("authority_score", "Authority Score"),
    ("domain_ascore", "Authority Score"),
)


@dataclass
class Links:
    """The links to audit and what reading them said."""

    links: list[AuditLink]
    file: str | None = None
    tool: str | None = None
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    campaigns: set[str] = field(default_factory=set)  # the campaigns the links belong to
    notes: list[str] = field(default_factory=list)


def links_from_file(path: Path) -> Links:
    """The backlinks of an export; ``ImportFormatError`` (exit 2) when it is unusable."""
    parsed = read_backlinks(path)
    links = [
        AuditLink(
            source_url=row.source_url,
            target_url=row.target_url,
            anchor=" ".join((row.anchor or "").split()),
            nofollow=row.nofollow,
            origin=f"line {row.line}",
            metrics=dict(row.metrics),
        )
        for row in parsed.rows
    ]
    notes = []
    if parsed.bad:
        notes.append(f"{len(parsed.bad)} bad rows in {path.name} skipped (--json lists them)")
    return Links(
        links,
        file=str(path),
        tool=parsed.tool,
        bad_rows=[bad.as_dict() for bad in parsed.bad],
        notes=notes,
    )


def links_from_placements(store: Store, campaign: str | None) -> Links:
    """Our earned links (every state) whose linking page is known."""
    rows = store.placements(campaign)
    links = [
        AuditLink(
            source_url=str(row["url"]),
            target_url=str(row.get("target") or ""),
            anchor=" ".join(str(row.get("anchor") or "").split()),
            origin=f"placement #{row['id']} ({row.get('state') or 'pending'})",
        )
        for row in rows
        if row.get("url")
    ]
    notes = []
    waiting = len(rows) - len(links)
    if waiting:
        notes.append(f"{waiting} placements without a linking page URL yet skipped")
    return Links(
        links, campaigns={str(row["campaign"]) for row in rows if row.get("campaign")}, notes=notes
    )


def export_authority(links: Iterable[AuditLink]) -> Component | None:
    """The domain-level authority the export itself gives (Ahrefs DR, Moz DA, Semrush AS):
    the highest value found for the domain's links, or None."""
    best: tuple[float, str, str] | None = None
    for link in links:
        for key, label in EXPORT_AUTHORITY:
            value = link.metrics.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if 0 <= value <= 100 and (best is None or value > best[0]):
                best = (float(value), key, label)
            break
    if best is None:
        return None
    value, key, label = best
    return answer("export", value, value, (f"{label} {value:g} in the export",), column=key)


def our_domains(links: Sequence[AuditLink], campaign_targets: Sequence[str]) -> set[str]:
    """The registrable domains of the pages linked to: links from them are internal."""
    hosts = [host_of(link.target_url) for link in links if link.target_url]
    hosts += [host_of(url) for url in campaign_targets]
    return {registrable_domain(host) for host in hosts if host}
