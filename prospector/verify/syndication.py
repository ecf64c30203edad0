"""Checking a syndicated copy of our content: does it point search engines to the original
(canonical — in the HTML, the HTTP ``Link`` header or the rendered DOM), or keep itself out of
the index (noindex — meta or ``X-Robots-Tag``), and does it credit the original with a
visible link? And how close is its text to the original's?

Verdicts: ``canonicalised``, ``noindexed``, ``attributed_only``, ``missing_attribution``; a
copy that is gone is ``removed``, one that could not be read ``inconclusive``. ``ok`` says
whether the copy meets its ``require`` and ``attribution`` settings. A canonical that only
scripts add, or that scripts change, is flagged: search engines may not see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from prospector.campaigns import load_named
from prospector.config import Settings
from prospector.errors import UserError
from prospector.store import open_db
from prospector.verify.links import NOT_FOLLOWED, matching
from prospector.verify.page import PageLoader, PageView, page_key, same_page
from prospector.verify.placements import checked_url
from prospector.web import signals

REQUIRES = ("canonical", "noindex", "canonical_or_noindex", "none")
VERDICTS = (
    "canonicalised",
    "noindexed",
    "attributed_only",
    "missing_attribution",
    "removed",
    "inconclusive",
)
ATTRIBUTION_TEXT = re.compile(
    r"\b(?:originally|first)\s+(?:appeared|published|posted|ran)\b|"
    r"\b(?:republished|reprinted|reproduced|syndicated|shared)\s+(?:here\s+)?with\s+"
    r"(?:kind\s+)?permission\b|"
    r"\bcross-?posted\s+from\b|\bthis\s+(?:article|post|story)\s+(?:is\s+)?(?:from|via)\b",
    re.IGNORECASE,
)
SIMILAR = 0.5  # Jaccard of word 4-shingles above which the copy reads as our text


@dataclass
class CopyCheck:
    verdict: str
    ok: bool | None
    reasons: list[str]  # why the copy fails what it requires (empty when ok)
    flags: list[str]
    evidence: dict[str, Any]


def attribution_text(text: str) -> dict[str, Any] | None:
    """An 'originally appeared on' style credit in ``text``: the phrase, where it is (top,
    middle or bottom of the text) and the sentence around it."""
    match = ATTRIBUTION_TEXT.search(text)
    if match is None:
        return None
    share = match.start() / max(len(text), 1)
    where = "top" if share < 0.25 else "bottom" if share > 0.75 else "middle"
    start = max(text.rfind("\n", 0, match.start()) + 1, match.start() - 120)
    end = text.find("\n", match.end())
    end = min(end if end >= 0 else len(text), match.end() + 160)
    return {"phrase": match.group(0), "where": where, "text": text[start:end].strip()}


def canonical_facts(view: PageView, original: str) -> tuple[dict[str, Any], list[str]]:
    """Where the copy's canonical is said, whether it is the original, and scripts' part."""
    raw, rendered = view.raw, view.rendered
    said = {
        "html": raw.canonical if raw else None,
        "header": raw.canonical_header if raw else None,
        "rendered": rendered.canonical if rendered else None,
    }
    to_original = [src for src, url in said.items() if same_page(url, original)]
    flags = []
    by_script = None
    served, dom = said["html"], said["rendered"]
    if rendered is not None and (served or dom) and not same_page(served, dom):
        if served is None:
            by_script = "injected"
            flags.append(f"the canonical is injected by JavaScript: {dom}")
        elif dom is None:
            by_script = "removed"
            flags.append(f"JavaScript removes the canonical ({served})")
        else:
            by_script = "changed"
            flags.append(f"JavaScript changes the canonical from {served} to {dom}")
    conflict = len({page_key(url) for url in said.values() if url}) > 1
    if conflict:
        flags.append(
            "conflicting canonicals: " + ", ".join(f"{s} {u}" for s, u in said.items() if u)
        )
    facts = {
        **said,
        "to_original": to_original,
        "set_by_script": by_script,
        "conflict": conflict,
    }
    return facts, flags


async def check_copy(
    loader: PageLoader, url: str, original: str, require: str, attribution: bool
) -> CopyCheck:
    """Load the copy (and the original, for the similarity) and judge it."""
    view = await loader.load(url)
    evidence: dict[str, Any] = {
        "page": view.summary(),
        "original": original,
        "require": require,
        "attribution_required": attribution,
        "notes": list(view.notes),
    }
    check = view.check
    if check.verdict == "dead":
        why = f"the copy is gone: {check.status} ({check.detail})"
        return _done("removed", True, [], [why], evidence)
    if check.verdict != "live" or view.raw is None:
        why = f"the copy could not be checked: {check.status} ({check.detail})"
        return _done("inconclusive", None, [], [why, *view.notes], evidence)
    seen = view.seen or view.raw
    canonical, flags = canonical_facts(view, original)
    noindex = sorted({s for e in (view.raw, view.rendered) if e for s in e.noindex_sources})
    raw_hits = await matching(loader, view.raw.links, original)
    hits = await matching(loader, view.rendered.links, original) if view.rendered else raw_hits
    visible = [h for h in hits if h.link.visible is not False]
    credit = attribution_text(seen.main_text) or attribution_text(view.raw.main_text)
    link = visible[0] if visible else (hits[0] if hits else None)
    evidence.update(
        canonical=canonical,
        noindex={"noindex": bool(noindex), "sources": noindex},
        attribution={
            "link": link.as_dict() if link else None,
            "visible": bool(visible),
            "followed": link is not None and not set(link.link.rel) & set(NOT_FOLLOWED),
            "in_raw": bool(raw_hits),
            "text": credit,
        },
        similarity=await _similarity(loader, seen.main_text, original),
    )
    if view.render_note:
        flags.append(view.render_note)
    if canonical["to_original"]:
        verdict = "canonicalised"
    elif noindex:
        verdict = "noindexed"
    elif visible:
        verdict = "attributed_only"
    else:
        verdict = "missing_attribution"
    if canonical["to_original"] and noindex:
        flags.append("both a canonical to the original and noindex: search engines may drop both")
    reasons = _unmet(canonical, bool(noindex), bool(visible), require, attribution)
    if link is not None and not visible:
        flags.append("the attribution link is hidden")
    return _done(verdict, not reasons, reasons, flags, evidence)


def _unmet(
    canonical: dict[str, Any],
    noindex: bool,
    linked: bool,
    require: str,
    attribution: bool,
) -> list[str]:
    reliable = bool(canonical["to_original"]) and canonical["set_by_script"] != "changed"
    missing = "no canonical to the original"
    if canonical["to_original"] and not reliable:
        missing = "the canonical to the original only comes from JavaScript overriding another"
    reasons = []
    if require == "canonical" and not reliable:
        reasons.append(missing)
    elif require == "noindex" and not noindex:
        reasons.append("not noindexed")
    elif require == "canonical_or_noindex" and not reliable and not noindex:
        reasons.append(f"{missing}, and not noindexed")
    if attribution and not linked:
        reasons.append("no visible link to the original (attribution)")
    return reasons


async def _similarity(loader: PageLoader, text: str, original: str) -> dict[str, Any]:
    page = await loader.load(original, render=False)
    if page.raw is None:
        return {"score": None, "note": f"original not read: {page.check.status}"}
    score = signals.similarity(text, page.raw.main_text)
    return {"score": round(score, 3), "same_text": score >= SIMILAR}


def _done(
    verdict: str,
    ok: bool | None,
    reasons: list[str],
    flags: list[str],
    evidence: dict[str, Any],
) -> CopyCheck:
    evidence.update(verdict=verdict, ok=ok, reasons=reasons, flags=flags)
    return CopyCheck(verdict, ok, reasons, flags, evidence)


def add_copy(
    settings: Settings,
    url: str,
    *,
    original: str,
    require: str = "canonical_or_noindex",
    attribution: bool = True,
    campaign: str | None = None,
    actor: str,
) -> dict[str, Any]:
    """``prospector syndication add``: a copy to check (or new settings for a known one)."""
    if require not in REQUIRES:
        raise UserError(f"--require {require}: use one of {', '.join(REQUIRES)}")
    name = load_named(settings.campaigns_dir, campaign).name if campaign else None
    with open_db(settings.database) as store:
        copy_id, what = store.upsert_syndicated_copy(
            checked_url(url, "copy URL"),
            checked_url(original, "--original"),
            campaign=name,
            require=require,
            attribution=attribution,
            source="manual",
            actor=actor,
        )
        row = next(c for c in store.syndicated_copies() if c["id"] == copy_id)
    return {"copy": row, "change": what}


def list_copies(settings: Settings, campaign: str | None = None) -> list[dict[str, Any]]:
    """Syndicated copies with their latest verdict and check, oldest first."""
    with open_db(settings.database) as store:
        return store.syndicated_copies(campaign)
