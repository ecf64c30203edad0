"""Checking one earned link: is the page up and indexable, and does it still link to our page
— followable, visible, in the content, in the served HTML and the rendered DOM alike?

Outcomes: ``live`` (found, followable, visible, on an indexable page), ``downgraded`` (found,
but nofollow/sponsored/ugc, hidden, on a noindexed page, canonicalised elsewhere, disallowed
by robots.txt, or only in one of the served HTML and the rendered DOM — with the reasons),
``missing`` (the page answers and does not link to our page; a dead page counts too) and
``inconclusive`` (the page could not be judged: blocked, rate-limited, timing out, failing —
never counted as a miss).

A link counts when its href is our page after normalisation, or is one of our own URLs (on the
target's registrable domain) that redirects there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from prospector.models import Link
from prospector.verify.page import PageLoader, PageView, domain_of, page_key, same_page

NOT_FOLLOWED = ("nofollow", "sponsored", "ugc")
SITEWIDE_PLACEMENTS = ("header", "footer", "navigation", "sidebar")
MAX_RESOLVED = 10  # our own URLs on one page followed to see where they redirect
MAX_LISTED = 10


@dataclass(frozen=True)
class Hit:
    """A link on the page that points to our page (directly or through our redirect)."""

    link: Link
    via: str | None = None  # our URL that redirects to the target, when not direct

    def as_dict(self) -> dict[str, Any]:
        return {
            "href": self.link.href,
            "via_redirect": self.via is not None,
            "anchor": self.link.anchor,
            "rel": list(self.link.rel),
            "placement": self.link.placement,
            "visible": self.link.visible,
        }


@dataclass
class PlacementCheck:
    """The outcome of checking one placement, with its reasons and the evidence."""

    outcome: str
    reasons: list[str]
    flags: list[str]
    evidence: dict[str, Any]
    view: PageView

    @property
    def found(self) -> bool:
        return self.outcome in ("live", "downgraded")


async def matching(loader: PageLoader, links: tuple[Link, ...], target: str) -> list[Hit]:
    """Links that point to ``target``: directly, or via our own redirecting URLs."""
    goal = page_key(target)
    ours = domain_of(target)
    hits: list[Hit] = []
    others: dict[str, list[Link]] = {}
    for link in links:
        if page_key(link.href) == goal:
            hits.append(Hit(link))
        elif ours and domain_of(link.href) == ours:
            others.setdefault(page_key(link.href), []).append(link)
    for same in list(others.values())[:MAX_RESOLVED]:
        final = await loader.resolve(same[0].href)
        if final is not None and page_key(final) == goal:
            hits.extend(Hit(link, via=link.href) for link in same)
    return hits


def _rank(hit: Hit) -> tuple[bool, bool, bool, bool]:
    link = hit.link
    return (
        any(t in NOT_FOLLOWED for t in link.rel),
        link.visible is False,
        link.placement != "content",
        hit.via is not None,
    )


def anchor_match(anchor: str, expected: str | None) -> str | None:
    """'exact', 'partial' (one contains the other) or 'different'; None when none expected."""
    if not expected:
        return None
    have, want = _words(anchor), _words(expected)
    if have == want:
        return "exact"
    if want and (want in have or (have and have in want)):
        return "partial"
    return "different"


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def indexing(view: PageView) -> tuple[dict[str, Any], list[str]]:
    """Noindex, page-level nofollow, canonical elsewhere and robots.txt, with reasons."""
    raw, rendered = view.raw, view.rendered
    parts = [e for e in (raw, rendered) if e is not None]
    final = view.check.final_url
    canonicals = {
        "html": raw.canonical if raw else None,
        "header": raw.canonical_header if raw else None,
        "rendered": rendered.canonical if rendered else None,
    }
    elsewhere = {src: url for src, url in canonicals.items() if url and not same_page(url, final)}
    noindex = sorted({s for e in parts for s in e.noindex_sources})
    tokens = {t for e in parts for t in (*e.meta_robots, *e.x_robots_tag)}
    nofollow = bool(tokens & {"nofollow", "none"})
    facts = {
        "noindex": bool(noindex),
        "noindex_sources": noindex,
        "page_nofollow": nofollow,
        "canonical": canonicals,
        "canonical_elsewhere": elsewhere or None,
    }
    reasons = []
    if noindex:
        reasons.append(f"the page is noindexed ({' and '.join(noindex)})")
    if nofollow:
        reasons.append("the page's robots directives say nofollow (every link on it)")
    for url in dict.fromkeys(elsewhere.values()):
        where = " and ".join(src for src, u in elsewhere.items() if u == url)
        reasons.append(f"the page's canonical points elsewhere: {url} ({where})")
    if view.robots.get("allowed") is False:
        reasons.append("robots.txt disallows crawling the page")
    elif view.robots.get("search_engines_allowed") is False:
        reasons.append("robots.txt disallows search engines (Googlebot) from the page")
    return facts, reasons


async def sitewide(loader: PageLoader, view: PageView, best: Hit, target: str) -> list[str]:
    """Why the link looks sitewide: its placement, or the same link on the home page."""
    why = []
    if best.link.placement in SITEWIDE_PLACEMENTS:
        why.append(f"placed in the page's {best.link.placement}")
    parts = urlsplit(view.check.final_url)
    home = f"{parts.scheme}://{parts.netloc}/"
    if not same_page(home, view.check.final_url):
        front = await loader.load(home, render=False)
        if front.raw is not None and await matching(loader, front.raw.links, target):
            why.append(f"also on the site's home page {home}")
    return why


async def check_placement(
    loader: PageLoader, url: str, target: str, anchor: str | None = None
) -> PlacementCheck:
    """Load the linking page and judge the link to ``target`` on it."""
    view = await loader.load(url)
    evidence: dict[str, Any] = {
        "page": view.summary(),
        "robots": view.robots,
        "notes": list(view.notes),
        "target": target,
    }
    check = view.check
    if check.verdict == "dead":
        reason = f"the linking page is dead: {check.status} ({check.detail})"
        return _done("missing", [reason], [], evidence, view)
    if check.verdict != "live":
        why = f"the page could not be checked: {check.status} ({check.detail})"
        if check.status == "robots_disallowed":
            why = f"robots.txt disallows our user agent: the page was not fetched ({check.detail})"
        return _done("inconclusive", [why], [], evidence, view)
    if view.raw is None:
        return _done("inconclusive", ["the page is not HTML", *view.notes], [], evidence, view)
    facts, page_reasons = indexing(view)
    evidence["indexing"] = facts
    raw_hits = await matching(loader, view.raw.links, target)
    rendered_hits = (
        await matching(loader, view.rendered.links, target) if view.rendered is not None else None
    )
    flags = [n for n in (view.render_note,) if n]
    if check.final_url != url and not same_page(check.final_url, url):
        flags.append(f"the page redirects to {check.final_url}")
    if not raw_hits and not rendered_hits:
        return await _missing(loader, view, target, evidence, flags)
    hits = sorted(rendered_hits or raw_hits, key=_rank)
    best = hits[0]
    in_raw, in_rendered = bool(raw_hits), None if rendered_hits is None else bool(rendered_hits)
    reasons = [f"the link is {t}" for t in best.link.rel if t in NOT_FOLLOWED]
    if best.link.visible is False:
        reasons.append("the link is hidden")
    if in_rendered is False:
        reasons.append("the link is only in the served HTML: scripts remove it")
    elif in_rendered and not in_raw:
        reasons.append("the link is only in the rendered DOM: scripts add it")
    reasons += page_reasons
    match = anchor_match(best.link.anchor, anchor)
    if match == "different":
        flags.append(f"anchor text is '{best.link.anchor}', expected '{anchor}'")
    if best.via is not None:
        flags.append(f"links to our redirect {best.via}, which lands on the target")
    if best.link.placement not in ("content", *SITEWIDE_PLACEMENTS):
        flags.append(f"placed in the page's {best.link.placement}, not the content")
    wide = await sitewide(loader, view, best, target)
    if wide:
        flags.append("sitewide: " + "; ".join(wide))
    evidence["link"] = {
        **best.as_dict(),
        "found": True,
        "expected_anchor": anchor,
        "anchor_match": match,
        "in_raw": in_raw,
        "in_rendered": in_rendered,
        "instances": [h.as_dict() for h in hits[:MAX_LISTED]],
    }
    evidence["sitewide"] = {"sitewide": bool(wide), "why": wide}
    return _done("downgraded" if reasons else "live", reasons, flags, evidence, view)


async def _missing(
    loader: PageLoader,
    view: PageView,
    target: str,
    evidence: dict[str, Any],
    flags: list[str],
) -> PlacementCheck:
    seen = view.seen
    ours = domain_of(target)
    nearby = [link.href for link in (seen.links if seen else ()) if domain_of(link.href) == ours]
    evidence["link"] = {
        "found": False,
        "links_to_our_site": list(dict.fromkeys(nearby))[:MAX_LISTED],
    }
    browser_up = loader.renderer is not None and loader.renderer.failed is None
    if view.rendered is None and browser_up:
        why = f"no link in the served HTML, and scripts could not be run ({view.render_note})"
        return _done("inconclusive", [why], flags, evidence, view)
    if view.fetched is not None and view.fetched.truncated:
        why = "no link in the part of the page read (it is larger than fetch.max_body_bytes)"
        return _done("inconclusive", [why], flags, evidence, view)
    return _done("missing", [f"the page does not link to {target}"], flags, evidence, view)


def _done(
    outcome: str, reasons: list[str], flags: list[str], evidence: dict[str, Any], view: PageView
) -> PlacementCheck:
    evidence.update(outcome=outcome, reasons=reasons, flags=flags)
    return PlacementCheck(outcome, reasons, flags, evidence, view)


@dataclass(frozen=True)
class Transition:
    """A placement's next state after one check."""

    state: str
    misses: int
    alert: str | None = None  # 'lost' | 'downgraded': raise an alert and a reclaim prospect
    notes: list[str] = field(default_factory=list)


def transition(
    state: str, misses: int, outcome: str, *, asserted: bool, lost_after: int = 2
) -> Transition:
    """The state machine. A live check resets the misses; a missing one adds one, and the link
    is lost after ``lost_after`` in a row — if it was ever seen, or ``asserted`` (recorded as
    existing, by hand or import); an inconclusive check changes nothing. Alerts: becoming
    lost, and going from live to downgraded."""
    if outcome == "inconclusive":
        return Transition(state, misses)
    if outcome == "live":
        return Transition("live", 0)
    if outcome == "downgraded":
        return Transition("downgraded", 0, "downgraded" if state == "live" else None)
    misses += 1
    seen = state in ("live", "downgraded") or asserted
    if state == "lost" or misses < lost_after or not seen:
        note = [] if seen or state == "lost" else ["not seen yet: a link never found is not lost"]
        return Transition(state, misses, None, note)
    return Transition("lost", misses, "lost")
