"""Quality and spam components from a page's stored facts (:mod:`prospector.qualify.facts`).

**Spam** (0-100, higher is spammier) combines the signals of
:mod:`prospector.qualify.signal_rules` as independent pieces of evidence (a noisy-OR)::

    spam = 100 * (1 - prod(1 - weight_i / 100))

so the score never goes down when a signal fires, one weak signal (a sponsored-post
mention: 25, comment spam: 15, two hidden links: 35) stays well under the default
``scores.spam_threshold`` of 60, two or three together cross it, and each strong signal
crosses it alone: a parked domain (90), a link farm (85), a casino/pills/loans page (75), a
member of a private blog network sharing an analytics id with two or more other prospect
sites (65). Signals that describe the whole site also count, at :data:`SITE_FACTOR` of their
weight, on the site's other pages when those pages' facts are given (``site_pages``): the
"write for us" page of a casino site is a casino site's page.

**Quality** (0-100, higher is better) starts at 100 and subtracts documented penalties (see
:data:`PENALTIES`): thin content, too many outbound links or too little text per link,
noindex, paid footprints, hidden links, spam topics, comment spam, parked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from typing import Any

from prospector.qualify import signal_terms
from prospector.qualify.model import Component
from prospector.qualify.signal_rules import Signal, page_signals
from prospector.web.urls import registrable_domain

SITE_FACTOR = 0.8  # a site-wide signal found on another page of the same site counts at 80%
WIDGET_SPREAD = 25  # an id on more domains than this is a widget's or a vendor's, not a network

# Quality penalties (points off 100).
PENALTIES = {
    "thin_100": 35,  # under 100 words of editorial text
    "thin_250": 20,  # under 250 words
    "thin_500": 8,  # under 500 words
    "outbound_100": 30,  # over 100 outbound links in the content
    "outbound_50": 15,  # over 50
    "sparse_links": 15,  # 20+ outbound content links with under 6 words each
    "noindex": 25,  # the page asks not to be indexed: a link there passes little
    "paid": 20,  # paid-post or link-selling footprints (30 with a price)
    "hidden": 20,  # outbound links hidden from readers
    "spam_topics": 30,  # two or more spam-topic terms
    "comment_spam": 10,  # spam links in the comments
    "parked": 90,  # a parked or for-sale page
    "no_heading": 5,  # neither a title nor an h1
}


def shared_tracking_ids(facts_by_domain: Mapping[str, Mapping[str, Any]]) -> dict[str, set[str]]:
    """Tracking/ad IDs (by account: ``UA-123-1`` and ``UA-123-2`` are one) that two or more
    different registrable domains use: id -> the domains. ``facts_by_domain`` maps a domain
    to one page's facts (or to a mapping with the union of its pages' ``tracking_ids``).
    An id used by more than :data:`WIDGET_SPREAD` domains is left out: that is an embedded
    widget's or a vendor's id, not one owner's network."""
    users: dict[str, set[str]] = {}
    for domain, facts in facts_by_domain.items():
        owner = registrable_domain(str(facts.get("domain") or domain))
        for tracking_id in facts.get("tracking_ids") or []:
            users.setdefault(signal_terms.id_account(str(tracking_id)), set()).add(owner)
    return {
        tid: domains for tid, domains in sorted(users.items()) if 2 <= len(domains) <= WIDGET_SPREAD
    }


def spam(
    facts: Mapping[str, Any],
    *,
    shared_ids: Mapping[str, Set[str]] | None = None,
    site_pages: Iterable[Mapping[str, Any]] = (),
) -> Component:
    """The spam component of one page: the combined weight of its signals (module docstring).

    ``shared_ids`` comes from :func:`shared_tracking_ids` over the campaign's prospect
    sites; ``site_pages`` are facts of other pages of the same site (optional)."""
    signals = {s.name: s for s in page_signals(facts, shared_ids)}
    own_url = facts.get("url")
    for page in site_pages:
        if page.get("url") == own_url or page.get("domain") != facts.get("domain"):
            continue
        for found in page_signals(page, shared_ids):
            weight = found.weight * SITE_FACTOR
            if not found.site_wide or weight <= _weight(signals.get(found.name)):
                continue
            where = str(page.get("url") or "another page")
            signals[found.name] = Signal(
                found.name,
                weight,
                f"elsewhere on this site ({where}): {found.reason}",
                {**found.evidence, "page": where},
            )
    fired = sorted(signals.values(), key=lambda s: -s.weight)
    remaining = 1.0
    for found in fired:
        remaining *= 1.0 - found.weight / 100.0
    score = round(100.0 * (1.0 - remaining), 1)
    reasons = tuple(found.reason for found in fired) or ("no spam signals",)
    evidence = {
        "signals": [
            {"name": s.name, "weight": round(s.weight, 1), "reason": s.reason, **s.evidence}
            for s in fired
        ]
    }
    return Component("spam", min(100.0, score), reasons, evidence)


def _weight(found: Signal | None) -> float:
    return found.weight if found is not None else 0.0


def quality(facts: Mapping[str, Any]) -> Component:
    """The quality component of one page (0-100, higher is better; module docstring)."""
    off: list[tuple[int, str]] = []
    words = int(facts.get("word_count") or 0)
    links = facts.get("links") or {}
    outbound = int(links.get("content_external") or 0)
    per_link = links.get("words_per_content_link")
    if words < 100:
        off.append((PENALTIES["thin_100"], f"thin content: {words} words"))
    elif words < 250:
        off.append((PENALTIES["thin_250"], f"thin content: {words} words"))
    elif words < 500:
        off.append((PENALTIES["thin_500"], f"short content: {words} words"))
    if outbound > 100:
        off.append((PENALTIES["outbound_100"], f"{outbound} outbound links in the content"))
    elif outbound > 50:
        off.append((PENALTIES["outbound_50"], f"{outbound} outbound links in the content"))
    if outbound >= 20 and per_link is not None and per_link < 6:
        off.append((PENALTIES["sparse_links"], f"{per_link:g} words per outbound link"))
    if facts.get("noindex"):
        off.append((PENALTIES["noindex"], "noindex: a link here passes little"))
    paid = list(facts.get("paid_footprints") or [])
    if paid:
        priced = any(f.get("priced") for f in paid)
        points = PENALTIES["paid"] + (10 if priced else 0)
        off.append((points, f"paid-post footprints: '{paid[0]['phrase']}'"))
    hidden = int((facts.get("hidden_links") or {}).get("count") or 0)
    if hidden:
        off.append((PENALTIES["hidden"], f"{hidden} hidden outbound links"))
    terms = dict(facts.get("spam_terms") or {})
    if len(terms) >= 2:
        off.append((PENALTIES["spam_topics"], f"spam topics: {', '.join(list(terms)[:3])}"))
    comment_spam = int((facts.get("comments") or {}).get("spam") or 0)
    if comment_spam:
        off.append((PENALTIES["comment_spam"], f"{comment_spam} spam links in the comments"))
    if facts.get("parked"):
        off.append((PENALTIES["parked"], "parked / for-sale domain"))
    head = facts.get("headings") or {}
    if not facts.get("title") and not head.get("h1"):
        off.append((PENALTIES["no_heading"], "no title or main heading"))
    score = max(0.0, 100.0 - sum(points for points, _ in off))
    if off:
        reasons = tuple(f"{why} (-{points})" for points, why in off)
    else:
        reasons = (f"substantial content ({words} words), {outbound} outbound links",)
    evidence = {
        "word_count": words,
        "outbound_links": outbound,
        "outbound_domains": links.get("content_domains", 0),
        "words_per_link": per_link,
        "penalties": [{"points": p, "reason": r} for p, r in off],
    }
    return Component("quality", score, reasons, evidence)
