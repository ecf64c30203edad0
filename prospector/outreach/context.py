"""The variables a pitch template sees, built from a prospect and what we know about it.

Documented in ``templates/README.md``; every variable is always present (None where it
does not apply), so a template that names a variable that does not exist fails at once.
"""

from __future__ import annotations

from typing import Any

from prospector.campaigns import Campaign
from prospector.config import SenderSettings
from prospector.outreach.compose import unsubscribe_links
from prospector.web.urls import host_of


def first_name(name: str) -> str:
    parts = (name or "").strip().split()
    if not parts:
        return ""
    first = parts[0].strip(",.")
    return first if first.isalpha() and len(first) > 1 else ""


def replacement_for(prospect: dict[str, Any], campaign: Campaign) -> dict[str, str]:
    """Our page we offer: the dead link's matched target, else the closest target by
    relevance, else the campaign's first target."""
    url = ""
    dead = (prospect.get("evidence") or {}).get("dead_links") or []
    if dead:
        url = (dead[0].get("replacement") or {}).get("url", "")
    if not url:
        relevance = (prospect.get("scores") or {}).get("relevance") or {}
        url = ((relevance.get("evidence") or {}).get("closest_target") or {}).get("url", "")
    target = next((t for t in campaign.targets if t.url == url), campaign.targets[0])
    return {"url": target.url, "title": target.title, "summary": target.summary}


def _dead_links(prospect: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for dead in (prospect.get("evidence") or {}).get("dead_links") or []:
        out.append(
            {
                "url": dead.get("href", ""),
                "anchor": dead.get("anchor") or "",
                "status": dead.get("status", ""),
                "wayback": dead.get("wayback"),
            }
        )
    return out


def _wayback(dead: dict[str, Any] | None) -> dict[str, str] | None:
    archived = (dead or {}).get("wayback")
    if not archived:
        return None
    return {
        "url": archived.get("snapshot_url") or archived.get("url") or "",
        "title": archived.get("title") or "",
        "timestamp": archived.get("last_good") or archived.get("timestamp") or "",
    }


def pitch_context(
    prospect: dict[str, Any],
    page: dict[str, Any] | None,
    facts: dict[str, Any] | None,
    contact: dict[str, Any],
    campaign: Campaign,
    sender: SenderSettings,
    token: str,
    *,
    original: dict[str, Any] | None = None,
    followup: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every template variable for one message of one prospect's thread."""
    page = page or {}
    facts = facts or {}
    evidence_page = (prospect.get("evidence") or {}).get("page") or {}
    url = prospect["url"]
    dead_links = _dead_links(prospect)
    dead = dead_links[0] if dead_links else None
    name = contact.get("name") or ""
    return {
        "prospect": {
            "id": prospect["id"],
            "type": prospect["type"],
            "url": url,
            "domain": prospect.get("domain") or "",
            "score": prospect.get("score"),
            "campaign": prospect["campaign"],
        },
        "page": {
            "url": url,
            "title": page.get("title") or evidence_page.get("title") or "",
            "host": host_of(url),
            "site_name": facts.get("site_name") or "",
            "author": facts.get("author") or "",
        },
        "contact": {"email": contact["email"], "name": name, "first_name": first_name(name)},
        "dead_link": (
            {"url": dead["url"], "anchor": dead["anchor"], "status": dead["status"]}
            if dead
            else None
        ),
        "dead_links": [
            {"url": d["url"], "anchor": d["anchor"], "status": d["status"]} for d in dead_links
        ],
        "wayback": _wayback(dead),
        "replacement": replacement_for(prospect, campaign),
        "campaign": {
            "name": campaign.name,
            "description": campaign.description,
            "keywords": list(campaign.keywords),
        },
        "sender": {
            "name": sender.name,
            "email": sender.email,
            "organisation": sender.organisation,
            "postal_address": sender.postal_address,
            "website": sender.website,
        },
        "unsubscribe": unsubscribe_links(sender, token),
        "original": original,
        "followup": followup,
    }
