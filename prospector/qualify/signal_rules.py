"""The spam signals of one page, each with its weight, its reason and its evidence.

A signal's ``weight`` (0-100) is how spammy the page is on that signal alone;
:func:`prospector.qualify.spam.spam` combines the weights. The weights, strongest first:

==========================  =====  ===============================================
signal                      weight  fires when
==========================  =====  ===============================================
parked                        90   a parked or for-sale page (``web.signals.parked``)
link_farm                     85   >= 50 outbound content domains, < 8 words per link
spam_topics                   75   >= 3 spam-topic terms (gambling, pharma, loans...)
                              45   2 terms;  20 for a single term
paid_links                    55   >= 3 kinds of paid/link-selling footprint; 40 for
                                   2, 25 for 1; +15 (at least 50) when a price is near
shared_ids                    65   an analytics/ad ID shared with >= 2 other prospect
                                   sites (private blog network); 45 with one other
hidden_links                  50   >= 3 outbound links hidden from readers; 35 for 1-2
anchor_stuffing               40   a commercial anchor repeated >= 5 times in the
                                   content; 30 for 3-4 times
comment_spam                  25   >= 3 spam links in comments/forum posts; 15 for 1-2
many_outbound                 25   >= 100 outbound content links (not a link farm)
==========================  =====  ===============================================

``site_wide`` signals describe the site rather than the page (everything but comment spam
and the outbound count), so they also count on the site's other pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from prospector.qualify import signal_terms

LINK_FARM_DOMAINS = 50
LINK_FARM_WORDS_PER_LINK = 8.0
MANY_OUTBOUND = 100


@dataclass(frozen=True)
class Signal:
    name: str
    weight: float  # 0-100: how spammy this signal alone makes the page
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    site_wide: bool = True


def page_signals(
    facts: Mapping[str, Any], shared_ids: Mapping[str, Set[str]] | None = None
) -> list[Signal]:
    """Every spam signal that fires on one page's facts, strongest first."""
    found = [
        _parked(facts),
        _link_farm(facts),
        _spam_topics(facts),
        _paid(facts),
        _shared(facts, shared_ids or {}),
        _hidden(facts),
        _stuffing(facts),
        _comments(facts),
    ]
    return sorted((s for s in found if s is not None), key=lambda s: -s.weight)


def _parked(facts: Mapping[str, Any]) -> Signal | None:
    why = facts.get("parked")
    if not why:
        return None
    return Signal("parked", 90, f"parked / for-sale domain: {why}", {"parked": why})


def _link_farm(facts: Mapping[str, Any]) -> Signal | None:
    links = facts.get("links") or {}
    count = int(links.get("content_external") or 0)
    domains = int(links.get("content_domains") or 0)
    per_link = links.get("words_per_content_link")
    evidence = {"outbound_links": count, "domains": domains, "words_per_link": per_link}
    if (
        domains >= LINK_FARM_DOMAINS
        and per_link is not None
        and per_link < LINK_FARM_WORDS_PER_LINK
    ):
        reason = (
            f"link farm: {count} outbound links to {domains} domains, {per_link:g} words per link"
        )
        return Signal("link_farm", 85, reason, evidence)
    if count >= MANY_OUTBOUND:
        reason = f"many outbound links: {count} links to {domains} domains in the content"
        return Signal("many_outbound", 25, reason, evidence, site_wide=False)
    return None


def _spam_topics(facts: Mapping[str, Any]) -> Signal | None:
    terms: dict[str, int] = dict(facts.get("spam_terms") or {})
    if not terms:
        return None
    weight = 75 if len(terms) >= 3 else 45 if len(terms) == 2 else 20
    categories = signal_terms.spam_categories(terms)
    shown = ", ".join(f"'{t}'" for t in list(terms)[:4])
    reason = f"spam topics ({', '.join(categories)}): {shown}"
    return Signal("spam_topics", weight, reason, {"terms": terms, "categories": categories})


def _paid(facts: Mapping[str, Any]) -> Signal | None:
    found: list[dict[str, Any]] = list(facts.get("paid_footprints") or [])
    if not found:
        return None
    labels = sorted({str(f["label"]) for f in found})
    priced = [f for f in found if f.get("priced")]
    weight = {1: 25, 2: 40}.get(len(labels), 55)
    if priced:
        weight = max(weight + 15, 50)
    shown = [f"'{f['phrase']}'" + (f" ({f['price']})" if f.get("price") else "") for f in found[:3]]
    kind = "paid-post footprint" if len(found) == 1 else "paid-post footprints"
    reason = f"{kind}: {', '.join(shown)}"
    return Signal("paid_links", weight, reason, {"labels": labels, "footprints": found[:5]})


def _shared(facts: Mapping[str, Any], shared_ids: Mapping[str, Set[str]]) -> Signal | None:
    domain = str(facts.get("domain") or "")
    best: tuple[str, list[str]] | None = None
    for tracking_id in facts.get("tracking_ids") or []:
        account = signal_terms.id_account(str(tracking_id))
        others = sorted(set(shared_ids.get(account, ())) - {domain})
        if others and (best is None or len(others) > len(best[1])):
            best = (account, others)
    if best is None:
        return None
    account, others = best
    kind = signal_terms.id_kind(account)
    sites = f"{len(others)} other prospect site" + ("s" if len(others) > 1 else "")
    reason = f"shares {kind} id {account} with {sites} (possible private blog network)"
    weight = 65 if len(others) >= 2 else 45
    return Signal("shared_ids", weight, reason, {"id": account, "shared_with": others[:10]})


def _hidden(facts: Mapping[str, Any]) -> Signal | None:
    hidden = facts.get("hidden_links") or {}
    count = int(hidden.get("count") or 0)
    if not count:
        return None
    where = "the rendered page" if facts.get("rendered") else "the page (hidden by its styles)"
    noun = "link" if count == 1 else "links"
    reason = f"hidden links: {count} invisible outbound {noun} in {where}"
    examples = list(hidden.get("examples") or [])
    return Signal(
        "hidden_links", 50 if count >= 3 else 35, reason, {"count": count, "examples": examples}
    )


def _stuffing(facts: Mapping[str, Any]) -> Signal | None:
    repeated = [
        r for r in (facts.get("anchors") or {}).get("repeated") or [] if r.get("commercial")
    ]
    if not repeated:
        return None
    top = max(repeated, key=lambda r: int(r["count"]))
    weight = 40 if int(top["count"]) >= 5 else 30
    reason = f"exact-match anchor stuffing: '{top['anchor']}' used {top['count']} times"
    if len(repeated) > 1:
        reason += f" (and {len(repeated) - 1} more repeated commercial anchors)"
    return Signal("anchor_stuffing", weight, reason, {"anchors": repeated[:5]})


def _comments(facts: Mapping[str, Any]) -> Signal | None:
    comments = facts.get("comments") or {}
    count = int(comments.get("spam") or 0)
    if not count:
        return None
    examples = list(comments.get("examples") or [])
    shown = ", ".join(f"'{e['anchor']}'" for e in examples[:3])
    noun = "link" if count == 1 else "links"
    reason = f"comment spam: {count} spam {noun} in the comments ({shown})"
    evidence = {"count": count, "followed": comments.get("followed", 0), "examples": examples}
    return Signal("comment_spam", 25 if count >= 3 else 15, reason, evidence, site_wide=False)
