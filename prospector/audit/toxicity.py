"""Toxicity: why a linking domain's links may hurt, each reason with a weight, and the verdict.

The flags of one domain, each a weight 0-100 (how toxic it is on its own):

=========================  ======  ==========================================================
flag                       weight  fires when
=========================  ======  ==========================================================
spam                       score   the qualify stage's spam score of the site's page (parked,
                                   link farm, spam topics, paid links, an analytics id shared
                                   with other linking domains: a private blog network...)
parked                       90    a parked page whose facts could not be read (else in spam)
dead_domain                  60    the linking host does not resolve (NXDOMAIN)
spam_anchor                  60    an anchor of spam-topic words ('cheap viagra')
off_topic_low_authority      60    relevance < 25 and a known authority < 10
sitewide_unrelated           60    a footer/sidebar/navigation link, or links from 5+ pages,
                                   on a site with relevance < 25
anchor_stuffing            40/50   a commercial or exact-keyword anchor that 3+ linking
                                   domains (and 10%+ of them) use; 50 from 6 domains
off_topic                    30    relevance < 25, authority unknown (15 when known, >= 10)
=========================  ======  ==========================================================

They combine as independent evidence (a noisy-OR, as the spam score does)::

    toxicity = 100 * (1 - prod(1 - weight_i / 100))

``toxic`` at or over ``scores.spam_threshold`` (so a spam score over the threshold is toxic
on its own), ``suspicious`` from half of it, ``ok`` below. A domain none of whose pages could
be read conclusively (a bot wall, a timeout, a TLS error, robots.txt, not fetched) is
``unknown`` whatever its flags: a link is never called toxic on an inconclusive fetch.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from prospector.audit.model import DomainAudit, Flag
from prospector.qualify import signal_terms
from prospector.qualify.model import Component
from prospector.web.urls import host_of

OFF_TOPIC = 25.0  # relevance under this is off-topic (demo: recipes/travel/finance 0-23)
VERY_LOW_AUTHORITY = 10.0
SITEWIDE_PAGES = 5  # linking pages of one domain that make its link "sitewide"
BOILERPLATE = ("footer", "sidebar", "navigation", "header")
STUFFING_DOMAINS = 3
STUFFING_SHARE = 0.10
PARKED = 90.0  # the spam signal's weight, for a parked page whose facts could not be read
STRONG = 60.0  # the weight of a flag that is toxic on its own at the default threshold


@dataclass(frozen=True)
class AnchorUse:
    anchor: str
    kind: str  # spam | commercial | exact
    domains: frozenset[str]


def anchor_profile(domains: Sequence[DomainAudit], keywords: Sequence[str]) -> dict[str, AnchorUse]:
    """Every spam, commercial or exact-keyword anchor of the profile, with its domains."""
    exact = {" ".join(k.lower().split()) for k in keywords}
    users: defaultdict[str, set[str]] = defaultdict(set)
    for audit in domains:
        for anchor, _count in audit.anchors():
            if anchor:
                users[anchor.lower()].add(audit.domain)
    out: dict[str, AnchorUse] = {}
    for anchor, names in users.items():
        if signal_terms.spam_terms(anchor):
            kind = "spam"
        elif signal_terms.commercial(anchor):
            kind = "commercial"
        elif anchor in exact:
            kind = "exact"
        else:
            continue
        out[anchor] = AnchorUse(anchor, kind, frozenset(names))
    return out


def known_authority(authority: Component | None) -> float | None:
    if authority is None or authority.evidence.get("provider") is None:
        return None
    return authority.score


def assess(
    audit: DomainAudit,
    anchors: dict[str, AnchorUse],
    total_domains: int,
    toxic: float,
    suspicious: float,
    *,
    look_for_link: bool = True,
) -> None:
    """Set the domain's flags, notes, toxicity and verdict. ``look_for_link``: the pages
    were searched for links to our site (we know which site is ours)."""
    flags: list[Flag] = []
    notes: list[str] = []
    conclusive = any(page.conclusive for page in audit.pages)
    dead = next((p for p in audit.pages if p.outcome == "dead_domain"), None)
    if dead is not None:
        host = host_of(dead.url) or audit.domain
        flags.append(
            Flag(
                "dead_domain",
                STRONG,
                f"dead domain: {host} does not resolve (NXDOMAIN); the link is gone and "
                "expired names are often re-registered for spam",
            )
        )
    if audit.spam is not None and audit.spam.score > 0:
        flags.append(_spam_flag(audit.spam, toxic))
    parked = next((p for p in audit.pages if p.outcome == "parked"), None)
    if parked is not None and (audit.spam is None or audit.spam.score < PARKED):
        flags.append(Flag("parked", PARKED, f"parked / for-sale domain: {parked.detail}"))
    flags.extend(_topic_flags(audit, notes))
    flags.extend(_anchor_flags(audit, anchors, total_domains))
    notes.extend(_page_notes(audit, look_for_link))
    if audit.links and all(link.nofollow for link in audit.links):
        notes.append("every link is nofollow: search engines mostly ignore it")
    audit.flags = flags
    audit.notes = notes
    remaining = 1.0
    for flag in flags:
        remaining *= 1.0 - min(100.0, flag.weight) / 100.0
    audit.toxicity = round(100.0 * (1.0 - remaining), 1)
    if not conclusive:
        audit.verdict = "unknown"
    elif audit.toxicity >= toxic:
        audit.verdict = "toxic"
    elif audit.toxicity >= suspicious:
        audit.verdict = "suspicious"
    else:
        audit.verdict = "ok"


def _spam_flag(spam: Component, toxic: float) -> Flag:
    # the spam signals speak of "prospect sites"; here they are the other linking sites
    reasons = [r.replace("prospect site", "linking site") for r in spam.reasons[:3]]
    over = ">=" if spam.score >= toxic else "<"
    return Flag(
        "spam", spam.score, f"spam score {spam.score:.0f} {over} {toxic:g}: " + "; ".join(reasons)
    )


def _topic_flags(audit: DomainAudit, notes: list[str]) -> list[Flag]:
    relevance = audit.relevance
    if relevance is None:
        return []
    flags: list[Flag] = []
    authority = known_authority(audit.authority)
    topic = f"relevance {relevance.score:.0f}"
    off_topic = relevance.score < OFF_TOPIC
    if off_topic and authority is not None and authority < VERY_LOW_AUTHORITY:
        provider = (audit.authority.evidence.get("provider") if audit.authority else None) or ""
        flags.append(
            Flag(
                "off_topic_low_authority",
                STRONG,
                f"off-topic ({topic}) with very low authority ({authority:.0f}, {provider})",
            )
        )
    elif off_topic and authority is None:
        flags.append(Flag("off_topic", 30.0, f"off-topic ({topic}); authority unknown"))
    elif off_topic:
        flags.append(Flag("off_topic", 15.0, f"off-topic ({topic}), authority {authority:.0f}"))
    where = _boilerplate(audit)
    pages = audit.linking_pages
    if where or pages >= SITEWIDE_PAGES:
        kind = f"{where} link" if where else "link"
        spread = f"{pages} linking pages" if pages > 1 else "1 linking page"
        if off_topic:
            flags.append(
                Flag(
                    "sitewide_unrelated",
                    STRONG,
                    f"sitewide {kind} from an unrelated site ({topic}): {spread}",
                )
            )
        else:
            notes.append(f"sitewide {kind} from a related site ({topic}): {spread}")
    return flags


def _boilerplate(audit: DomainAudit) -> str:
    for page in audit.pages:
        for link in page.links_to_us:
            if link.get("placement") in BOILERPLATE:
                return str(link["placement"])
    return ""


def _anchor_flags(
    audit: DomainAudit, anchors: dict[str, AnchorUse], total_domains: int
) -> list[Flag]:
    spam: Flag | None = None
    stuffing: Flag | None = None
    for anchor, count in audit.anchors():
        use = anchors.get(anchor.lower())
        if use is None:
            continue
        links = f"{count} link" + ("s" if count != 1 else "")
        if use.kind == "spam" and spam is None:
            categories = ", ".join(signal_terms.spam_categories(signal_terms.spam_terms(anchor)))
            spam = Flag(
                "spam_anchor", STRONG, f"spam anchor text '{anchor}' ({categories}) on {links}"
            )
        elif use.kind != "spam" and stuffing is None:
            spread = len(use.domains)
            if spread >= STUFFING_DOMAINS and spread >= STUFFING_SHARE * total_domains:
                what = "commercial" if use.kind == "commercial" else "keyword"
                stuffing = Flag(
                    "anchor_stuffing",
                    50.0 if spread >= 6 else 40.0,
                    f"exact-match {what} anchor '{anchor}' used by {spread} linking domains "
                    "(anchor stuffing)",
                )
    return [flag for flag in (spam, stuffing) if flag is not None]


def _page_notes(audit: DomainAudit, look_for_link: bool) -> list[str]:
    notes: list[str] = []
    if not audit.pages:
        return ["not read: the --max-pages budget was spent on domains with more links"]
    conclusive = any(page.conclusive for page in audit.pages)
    for page in audit.pages:
        if page.outcome == "gone":
            notes.append(f"linking page gone ({page.status}: {page.detail}): the link is not there")
        elif not page.conclusive:
            prefix = "not assessed" if not conclusive else "not read"
            notes.append(f"{prefix}: {page.url}: {page.status.replace('_', ' ')}: {page.detail}")
    first = audit.pages[0]
    if look_for_link and first.outcome == "read" and not first.links_to_us:
        notes.append("no link to our site on the linking page now (removed or added by script)")
    return [_SPACES.sub(" ", note) for note in notes]


_SPACES = re.compile(r"\s+")
