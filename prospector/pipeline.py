"""The jobs: called by the CLI and the scheduled agent alike. No printing, no exiting."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from prospector.campaigns import load_all, load_named
from prospector.config import Settings
from prospector.discover.runner import DiscoverySummary, discover
from prospector.errors import UserError
from prospector.outreach.drafts import draft_campaign
from prospector.qualify.stage import qualify
from prospector.store import open_db
from prospector.web.browser import LazyBrowser
from prospector.web.fetch import Fetcher
from prospector.web.linkstatus import LinkCheck, LinkChecker


async def check_urls_async(
    settings: Settings,
    urls: list[str],
    *,
    render: bool = True,
    history: bool = True,
    on_result: Callable[[LinkCheck], None] | None = None,
) -> list[LinkCheck]:
    store = open_db(settings.database) if history else None
    run_id = store.start_run("check") if store else None

    def record(check: LinkCheck) -> None:
        if store is not None:
            store.record_check(check, run_id)
        if on_result is not None:
            on_result(check)

    try:
        async with contextlib.AsyncExitStack() as stack:
            fetcher = await stack.enter_async_context(Fetcher(settings))
            browser = LazyBrowser(settings, stack) if render else None
            checker = LinkChecker(
                fetcher, render=browser.settle if browser else None, on_result=record
            )
            checks = await checker.check_many(urls)
        if store is not None and run_id is not None:
            counts: dict[str, int] = {}
            for check in checks:
                counts[check.verdict] = counts.get(check.verdict, 0) + 1
            store.finish_run(run_id, status="ok", counts=counts)
        return checks
    except BaseException as exc:
        if store is not None and run_id is not None:
            store.finish_run(run_id, status="failed", counts={}, error=str(exc)[:500])
        raise
    finally:
        if store is not None:
            store.close()


def check_urls(settings: Settings, urls: list[str], **options: object) -> list[LinkCheck]:
    """Check URLs: one ``LinkCheck`` per URL, in order; history kept in the database."""
    return asyncio.run(check_urls_async(settings, urls, **options))  # type: ignore[arg-type]


async def prospect_async(
    settings: Settings,
    names: list[str],
    progress: Callable[[str, str, int, int], None] | None = None,
) -> list[DiscoverySummary]:
    """Discovery for the named campaigns (all campaigns when none are named)."""
    campaigns = (
        [load_named(settings.campaigns_dir, name, settings.templates_dir) for name in names]
        if names
        else load_all(settings.campaigns_dir, settings.templates_dir)
    )
    if not campaigns:
        raise UserError(
            f"no campaigns in {settings.campaigns_dir}: write one "
            "(see campaigns/example.toml) or run 'prospector init'"
        )
    summaries = []
    with open_db(settings.database) as store:
        for campaign in campaigns:
            report = None
            if progress is not None:
                report = functools.partial(progress, campaign.name)
            # one run per campaign at a time; a run a killed process left 'running' is
            # closed (failed, interrupted) and this one continues its work
            with store.job_running("prospect", campaign.name):
                summary = await discover(settings, campaign, store, report)
                async with Fetcher(settings) as fetcher:
                    scored = await qualify(
                        settings, campaign, store, fetcher, summary.run_id, report
                    )
                summary.qualified, summary.spam_rejected = scored.qualified, scored.rejected
                drafts = draft_campaign(settings, campaign, store, summary.run_id)
                summary.drafts = drafts.as_dict()
            summaries.append(summary)
    return summaries


def prospect(
    settings: Settings,
    names: list[str],
    progress: Callable[[str, str, int, int], None] | None = None,
) -> list[DiscoverySummary]:
    """The 'prospect' job: discover opportunities and write prospects with evidence."""
    return asyncio.run(prospect_async(settings, names, progress))


def list_prospects(
    settings: Settings,
    *,
    campaign: str | None = None,
    kind: str | None = None,
    states: list[str] | None = None,
    min_score: float | None = None,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """The daily list: best score first (unscored after), rejected ones only when asked."""
    after = parse_since(since) if since else None
    with open_db(settings.database) as store:
        rows = store.prospects(campaign, kind, states)
    if not states:
        rows = [r for r in rows if r["state"] != "rejected"]
    if min_score is not None:
        rows = [r for r in rows if r.get("score") is not None and r["score"] >= min_score]
    if after is not None:
        rows = [r for r in rows if r["created_at"] >= after]
    return sorted(rows, key=lambda r: (r.get("score") is None, -(r.get("score") or 0), r["id"]))


def parse_since(value: str) -> str:
    """'today', 'YYYY-MM-DD' or 'Nd' -> an ISO timestamp to compare with."""
    now = datetime.now(UTC)
    text = value.strip().lower()
    if text == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0).isoformat(timespec="seconds")
    if text.endswith("d") and text[:-1].isdigit():
        return (now - timedelta(days=int(text[:-1]))).isoformat(timespec="seconds")
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise UserError(f"--since {value}: use 'today', a date (YYYY-MM-DD) or '7d'") from None
    return day.isoformat(timespec="seconds")


def prospect_details(settings: Settings, prospect_id: int) -> dict[str, Any]:
    """Everything about one prospect, for ``prospector show``."""
    with open_db(settings.database) as store:
        row = store.prospect(prospect_id)
        if row is None:
            raise UserError(f"no prospect #{prospect_id}")
        page = store.page_row(row["page_id"]) if row.get("page_id") else None
        thread = store.thread(prospect_id)
        return {
            "prospect": row,
            "page": page,
            "contacts": store.contacts_of(prospect_id),
            "draft": next((m for m in thread if m["state"] in ("draft", "approved")), None),
            "messages": thread,
            "history": store.events("prospect", str(prospect_id)),
        }
