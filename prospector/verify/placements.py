"""Placements: the earned links we expect or know of — recorded from positive replies, by
hand (``prospector placed``, ``prospector links add``) or from a CSV file — and their list.

URLs are stored normalised (``prospector.web.urls.normalize``), so one link recorded twice,
from a reply and by hand, is one placement. A placement whose page is not known yet (a guest
post still to be published) has no URL until ``prospector placed ID URL`` names it.
"""

from __future__ import annotations

from typing import Any

from prospector.campaigns import load_named
from prospector.config import Settings
from prospector.errors import CampaignError, UserError
from prospector.outreach.context import replacement_for
from prospector.store import Store, open_db
from prospector.store.placements import Recorded
from prospector.web.urls import invalid_url, normalize

SOURCES = ("reply", "manual", "import", "reclaim")
STATES = ("pending", "live", "downgraded", "lost")


def checked_url(value: str, what: str = "URL") -> str:
    """``value`` normalised, or a UserError saying why it is not an absolute http(s) URL."""
    text = value.strip()
    problem = invalid_url(text)
    if problem is None:
        try:
            return normalize(text)
        except ValueError as exc:
            problem = f"malformed URL: {exc}"
    if problem == "not a URL":
        problem = "not an absolute http(s) URL"
    raise UserError(f"{what} '{value}': {problem}")


def record(
    store: Store,
    prospect_id: int | None,
    url: str | None,
    *,
    target: str,
    campaign: str | None,
    anchor: str | None = None,
    source: str,
    actor: str,
) -> Recorded:
    """``record_placement`` with what it did (created, URL filled in, or already known)."""
    if url is None and prospect_id is None:
        raise UserError("a placement without a URL must belong to a prospect")
    if source not in SOURCES:
        raise UserError(f"placement source '{source}': use one of {', '.join(SOURCES)}")
    return store.record_placement(
        prospect_id,
        checked_url(url) if url is not None else None,
        target=checked_url(target, "target"),
        campaign=campaign,
        anchor=(anchor or "").strip() or None,
        source=source,
        actor=actor,
    )


def record_placement(
    store: Store,
    prospect_id: int | None,
    url: str | None,
    *,
    target: str,
    campaign: str | None,
    anchor: str | None = None,
    source: str,
    actor: str,
) -> int:
    """Record an earned link we expect (or know of) and return its placement id.

    Idempotent on (url, target). ``url`` is the page the link is on, or None while unknown
    (a guest post not published yet); when the prospect already has a placement waiting for
    its URL, a URL given now fills it in. ``target`` is our page the link points to. The
    prospect, if any, moves to 'placed' (with its event, in the same transaction).
    """
    return record(
        store,
        prospect_id,
        url,
        target=target,
        campaign=campaign,
        anchor=anchor,
        source=source,
        actor=actor,
    ).id


def default_target(settings: Settings, prospect: dict[str, Any]) -> str:
    """The page a prospect's link should point to: a reclaim's lost target; else the dead
    link's replacement, the closest target by relevance, or the campaign's first target."""
    reclaim = (prospect.get("evidence") or {}).get("reclaim") or {}
    if reclaim.get("target"):
        return str(reclaim["target"])
    try:
        campaign = load_named(settings.campaigns_dir, prospect["campaign"])
    except CampaignError as exc:
        raise UserError(f"{exc}; name the target with --target URL") from None
    return replacement_for(prospect, campaign)["url"]


def place(
    settings: Settings,
    prospect_id: int,
    url: str,
    *,
    target: str | None = None,
    anchor: str | None = None,
    actor: str,
) -> dict[str, Any]:
    """``prospector placed ID URL``: the prospect's link is (or will be) on ``url``. The
    target defaults to that of the prospect's placement awaiting its URL, if any, else to
    ``default_target``."""
    page = checked_url(url)
    with open_db(settings.database) as store:
        prospect = store.prospect(prospect_id)
        if prospect is None:
            raise UserError(f"no prospect #{prospect_id}")
        waiting = [p for p in store.placements(prospect_id=prospect_id) if p["url"] is None]
        if target:
            goal = checked_url(target, "--target")
        else:  # the link a reply promised, else the page offered to the prospect
            goal = waiting[0]["target"] if waiting else default_target(settings, prospect)
        done = record(
            store,
            prospect_id,
            page,
            target=goal,
            campaign=prospect["campaign"],
            anchor=anchor,
            source="manual",
            actor=actor,
        )
        row = store.placement(done.id)
        assert row is not None
        state = store.prospect(prospect_id)
    return {
        "placement": row,
        "created": done.created,
        "url_filled": done.url_filled,
        "prospect_state": state["state"] if state else None,
    }


def add_link(
    settings: Settings,
    url: str,
    *,
    target: str,
    anchor: str | None = None,
    campaign: str | None = None,
    actor: str,
) -> dict[str, Any]:
    """``prospector links add``: a link we know of, not tied to a prospect."""
    name = load_named(settings.campaigns_dir, campaign).name if campaign else None
    with open_db(settings.database) as store:
        done = record(
            store,
            None,
            url,
            target=target,
            campaign=name,
            anchor=anchor,
            source="manual",
            actor=actor,
        )
        row = store.placement(done.id)
    assert row is not None
    return {"placement": row, "created": done.created}


def list_placements(
    settings: Settings, *, campaign: str | None = None, states: list[str] | None = None
) -> list[dict[str, Any]]:
    """Placements with their state and last check, oldest first."""
    for state in states or []:
        if state not in STATES:
            raise UserError(f"--state {state}: use one of {', '.join(STATES)}")
    with open_db(settings.database) as store:
        return store.placements(campaign, states)


def placement_history(settings: Settings, placement_id: int) -> dict[str, Any]:
    """One placement, every check of it (oldest first) and its events."""
    with open_db(settings.database) as store:
        row = store.placement(placement_id)
        if row is None:
            raise UserError(f"no placement #{placement_id}")
        return {
            "placement": row,
            "checks": store.placement_checks(placement_id),
            "events": store.events("placement", str(placement_id)),
        }
