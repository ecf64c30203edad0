"""The 'verify' job: check every earned link and every syndicated copy, keep the history,
move placements through their states, and raise alerts and reclaim prospects.

Called by ``prospector verify`` and the scheduled agent alike: no printing, no exiting.
Running it twice in a row duplicates nothing: alerts and reclaim prospects come from state
changes (becoming lost, live turning downgraded, a copy starting to fail), not from runs. A run
after a killed one continues it (``prospector.verify.resume``): what was checked is not checked
again, so a kill never counts one miss twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prospector.campaigns import Campaign, load_all, load_named
from prospector.config import Settings
from prospector.store import Store, open_db
from prospector.store.placements import CheckWrite
from prospector.verify.links import PlacementCheck, check_placement, transition
from prospector.verify.page import PageLoader, Renderer
from prospector.verify.resume import Resumed, copy_line, earlier_alerts, link_line, resumed
from prospector.verify.syndication import CopyCheck, check_copy
from prospector.web.fetch import Fetcher
from prospector.web.urls import host_of, normalize, registrable_domain

Progress = Callable[[str, int, int], None]  # stage, done, total
AWAITING_URL = "awaiting the URL: prospector placed ID URL"


@dataclass
class VerifySummary:
    campaign: str | None = None
    run_id: int = 0
    placements: list[dict[str, Any]] = field(default_factory=list)
    awaiting_url: list[dict[str, Any]] = field(default_factory=list)
    copies: list[dict[str, Any]] = field(default_factory=list)
    copies_synced: Counter[str] = field(default_factory=Counter)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    reclaims: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def outcomes(self) -> Counter[str]:
        return Counter(p["outcome"] for p in self.placements)

    def verdicts(self) -> Counter[str]:
        return Counter(c["verdict"] for c in self.copies)

    def counts(self) -> dict[str, int]:
        return {
            **{f"links_{k}": v for k, v in self.outcomes().items()},
            **{f"copies_{k}": v for k, v in self.verdicts().items()},
            "copies_failing": sum(1 for c in self.copies if c["ok"] is False),
            "awaiting_url": len(self.awaiting_url),
            "alerts": len(self.alerts),
            "reclaims": len(self.reclaims),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "run_id": self.run_id,
            "counts": self.counts(),
            "placements": self.placements,
            "awaiting_url": self.awaiting_url,
            "copies": self.copies,
            "copies_synced": dict(self.copies_synced),
            "alerts": self.alerts,
            "reclaims": self.reclaims,
            "notes": self.notes,
            "elapsed_s": self.elapsed_s,
        }


def verify(
    settings: Settings, campaign: str | None = None, progress: Progress | None = None
) -> VerifySummary:
    """Check earned links and syndicated copies (of one campaign, or all)."""
    return asyncio.run(verify_async(settings, campaign, progress))


async def verify_async(
    settings: Settings, campaign: str | None = None, progress: Progress | None = None
) -> VerifySummary:
    started = time.monotonic()
    campaigns = (
        [load_named(settings.campaigns_dir, campaign)]
        if campaign
        else load_all(settings.campaigns_dir)
    )
    summary = VerifySummary(campaign=campaign)
    # one verify run at a time; runs a killed process left 'running' are closed, and this
    # run continues their round (see prospector/verify/resume.py)
    with open_db(settings.database) as store, store.job_running("verify"):
        _sync_copies(store, campaigns, summary)
        earlier = resumed(store)
        summary.run_id = run_id = store.start_run("verify", campaign)
        try:
            await _check_all(settings, store, summary, campaign, progress, earlier)
        except BaseException as exc:
            store.finish_run(run_id, status="failed", counts={}, error=str(exc)[:500])
            raise
        summary.elapsed_s = round(time.monotonic() - started, 1)
        store.finish_run(run_id, status="ok", counts=summary.counts())
    return summary


def _sync_copies(store: Store, campaigns: list[Campaign], summary: VerifySummary) -> None:
    """Campaign files' ``[[syndicated]]`` entries into the database (added or changed)."""
    for campaign in campaigns:
        for copy in campaign.syndicated:
            _, what = store.upsert_syndicated_copy(
                normalize(copy.url),
                normalize(copy.original),
                campaign=campaign.name,
                require=copy.require,
                attribution=copy.attribution,
                source="campaign",
                actor="agent",
            )
            if what != "unchanged":
                summary.copies_synced[what] += 1


async def _check_all(
    settings: Settings,
    store: Store,
    summary: VerifySummary,
    campaign: str | None,
    progress: Progress | None,
    earlier: Resumed,
) -> None:
    placements = store.placements(campaign)
    todo = [p for p in placements if p["url"] and p["id"] not in earlier.placements]
    for p in placements:
        if not p["url"]:
            summary.awaiting_url.append(
                {"id": p["id"], "prospect_id": p["prospect_id"], "note": AWAITING_URL}
            )
    every_copy = store.syndicated_copies(campaign)
    copies = [c for c in every_copy if c["id"] not in earlier.copies]
    if earlier.runs:
        _resume(store, summary, earlier, placements, every_copy)
    total, done = len(todo) + len(copies), 0
    gate = asyncio.Semaphore(settings.verify.concurrency)
    lost_after = settings.verify.lost_after_misses
    suppressed = store.suppressed_domains()

    def tick(stage: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(stage, done, total)

    async with contextlib.AsyncExitStack() as stack:
        fetcher = await stack.enter_async_context(Fetcher(settings))
        renderer = Renderer(settings, stack) if settings.verify.render else None
        loader = PageLoader(fetcher, renderer)

        async def one_link(row: dict[str, Any]) -> None:
            async with gate:
                check = await check_placement(loader, row["url"], row["target"], row["anchor"])
            write = placement_write(row, check, lost_after, summary.run_id, suppressed)
            _, reclaim = store.save_placement_check(write)
            summary.placements.append(_link_line(row, check, write, reclaim))
            if write.alert is not None:
                summary.alerts.append(
                    {"placement": row["id"], **write.alert, "reclaim_prospect": reclaim}
                )
            if write.reclaim is not None and reclaim is not None:
                summary.reclaims.append(reclaim)
            tick("links")

        async def one_copy(row: dict[str, Any]) -> None:
            async with gate:
                check = await check_copy(
                    loader, row["url"], row["original"], row["require"], row["attribution"]
                )
            alert = copy_alert(row, check)
            store.save_syndication_check(
                row["id"],
                verdict=check.verdict,
                ok=check.ok,
                evidence=check.evidence,
                alert=alert,
                run_id=summary.run_id,
            )
            summary.copies.append(_copy_line(row, check, alert))
            if alert is not None:
                summary.alerts.append({"copy": row["id"], **alert})
            tick("copies")

        await asyncio.gather(*(one_link(p) for p in todo), *(one_copy(c) for c in copies))
        if renderer is not None and renderer.failed:
            summary.notes.append(f"the browser could not start: {renderer.failed}")
    summary.placements.sort(key=lambda line: line["id"])
    summary.copies.sort(key=lambda line: line["id"])


def _resume(
    store: Store,
    summary: VerifySummary,
    earlier: Resumed,
    placements: list[dict[str, Any]],
    copies: list[dict[str, Any]],
) -> None:
    """The round's results so far (from the interrupted runs) into this run's summary."""
    links = {p["id"]: link_line(store, p) for p in placements if p["id"] in earlier.placements}
    copied = {c["id"]: copy_line(c) for c in copies if c["id"] in earlier.copies}
    summary.placements += links.values()
    summary.copies += copied.values()
    for alert in earlier_alerts(earlier, set(links), set(copied)):
        summary.alerts.append(alert)
        if "placement" in alert:
            line = links[alert["placement"]]
            line["alert"], line["reclaim_prospect"] = alert["change"], alert["reclaim_prospect"]
            if alert["reclaim_prospect"] is not None:
                summary.reclaims.append(alert["reclaim_prospect"])
        else:
            copied[alert["copy"]]["alert"] = True
    if links or copied:
        summary.notes.append(earlier.note(len(links), len(copied)))


def placement_write(
    row: dict[str, Any],
    check: PlacementCheck,
    lost_after: int,
    run_id: int | None,
    suppressed: set[str],
) -> CheckWrite:
    """What one check changes: the state machine's answer, the alert and the reclaim task."""
    asserted = row["source"] != "reply" or bool(row["live_since"])
    step = transition(
        row["state"], row["misses"] or 0, check.outcome, asserted=asserted, lost_after=lost_after
    )
    view = check.view
    evidence = dict(check.evidence, state={"from": row["state"], "to": step.state})
    if step.notes:
        evidence["state"]["notes"] = step.notes
    write = CheckWrite(
        placement_id=int(row["id"]),
        outcome=check.outcome,
        page_verdict=view.check.verdict,
        page_status=view.check.status,
        http_status=view.check.http_status,
        final_url=view.check.final_url,
        evidence=evidence,
        state=step.state,
        misses=step.misses,
        run_id=run_id,
        live=check.found,
        lost=step.alert == "lost",
    )
    if check.found and row["state"] not in ("live", "downgraded"):
        write.prospect_state = "live"
    if step.alert is None:
        return write
    write.alert = {
        "change": step.alert,
        "from": row["state"],
        "to": step.state,
        "url": row["url"],
        "target": row["target"],
        "reasons": check.reasons,
        "live_since": row["live_since"],
    }
    if step.alert == "lost":
        write.prospect_state = "lost"
    if not row["campaign"]:
        write.alert["note"] = "no campaign: no reclaim prospect"
        return write
    domain = registrable_domain(host_of(row["url"]))
    evidence = {
        "reclaim": {
            "placement": row["id"],
            "change": step.alert,
            "was": row["state"],
            "url": row["url"],
            "target": row["target"],
            "anchor": row["anchor"],
            "reasons": check.reasons,
            "live_since": row["live_since"],
            "original_prospect": row["prospect_id"],
        }
    }
    state = "qualified"
    if domain in suppressed:
        state, evidence["rejected_reason"] = "rejected", f"{domain} is on the do-not-contact list"
    write.reclaim = {
        "campaign": row["campaign"],
        "kind": "reclaim",
        "url": row["url"],
        "domain": domain,
        "evidence": evidence,
        "state": state,
    }
    return write


def copy_alert(row: dict[str, Any], check: CopyCheck) -> dict[str, Any] | None:
    """An alert when a copy starts failing what it requires (not again while it keeps failing)."""
    if check.ok is not False or row["settled_ok"] is False:
        return None
    return {
        "change": "syndication_failing",
        "url": row["url"],
        "original": row["original"],
        "verdict": check.verdict,
        "reasons": check.reasons,
    }


def _link_line(
    row: dict[str, Any], check: PlacementCheck, write: CheckWrite, reclaim: int | None
) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "target": row["target"],
        "outcome": check.outcome,
        "state": write.state,
        "was": row["state"],
        "misses": write.misses,
        "reasons": check.reasons,
        "flags": check.flags,
        "alert": write.alert["change"] if write.alert else None,
        "reclaim_prospect": reclaim if write.reclaim is not None else None,
    }


def _copy_line(
    row: dict[str, Any], check: CopyCheck, alert: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "original": row["original"],
        "require": row["require"],
        "verdict": check.verdict,
        "ok": check.ok,
        "reasons": check.reasons,
        "flags": check.flags,
        "alert": alert is not None,
    }
