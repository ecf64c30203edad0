"""The combined score: ``score = sum(weight x component) / sum(weights)``, components 0-100,
each kept with its evidence; spam over the threshold removes a prospect with its reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prospector.config import ScoreSettings
from prospector.qualify.model import Component

TYPE_FIT = {"broken_link": 100.0, "resource_page": 80.0, "guest_post": 60.0}


@dataclass(frozen=True)
class Verdict:
    score: float
    state: str  # qualified | rejected
    reason: str
    breakdown: dict[str, Any]


def fit(kind: str, contact: Component, facts: Mapping[str, Any]) -> Component:
    """Can we actually get the link: a placement to offer, someone to write to, a live,
    indexable page."""
    placement = TYPE_FIT.get(kind, 50.0)
    indexable = 0.0 if facts.get("noindex") else 100.0
    score = 0.5 * contact.score + 0.3 * placement + 0.2 * indexable
    reasons = [f"{kind.replace('_', '-')} opportunity"]
    reasons.append("a contact was found" if contact.score > 0 else "no contact found yet")
    if facts.get("noindex"):
        reasons.append("the page is noindex: a link there carries little weight")
    return Component(
        "fit",
        round(score, 1),
        tuple(reasons),
        {"placement": placement, "contact": contact.score, "indexable": indexable},
    )


def combine(
    conf: ScoreSettings,
    relevance: Component,
    authority: Component,
    quality: Component,
    fit_: Component,
    spam: Component,
) -> Verdict:
    weights = {
        "relevance": conf.relevance_weight,
        "authority": conf.authority_weight,
        "quality": conf.quality_weight,
        "fit": conf.fit_weight,
    }
    parts = {"relevance": relevance, "authority": authority, "quality": quality, "fit": fit_}
    total = sum(weights.values())
    score = sum(weights[name] * part.score for name, part in parts.items()) / total
    breakdown: dict[str, Any] = {
        name: {**part.as_dict(), "weight": weights[name]} for name, part in parts.items()
    }
    breakdown["spam"] = {**spam.as_dict(), "threshold": conf.spam_threshold}
    if spam.score >= conf.spam_threshold:
        reason = f"spam score {spam.score:.0f} >= {conf.spam_threshold:g}: " + "; ".join(
            spam.reasons[:3]
        )
        return Verdict(round(score, 1), "rejected", reason, breakdown)
    return Verdict(round(score, 1), "qualified", "", breakdown)


def key_reasons(breakdown: Mapping[str, Any], limit: int = 3) -> list[str]:
    """The few reasons the daily list shows on one line."""
    out: list[str] = []
    for name in ("relevance", "authority", "fit", "quality", "spam"):
        part = breakdown.get(name) or {}
        reasons = part.get("reasons") or []
        if name == "spam" and part.get("score", 0) < 30:
            continue
        if reasons:
            out.append(f"{name} {part.get('score', 0):.0f}: {reasons[0]}")
        if len(out) >= limit:
            break
    return out
