"""Gathering the report: the daily list, the funnel and rates, link velocity and the links.

``--since`` (what ``prospector.pipeline.parse_since`` accepts) sets the start of both the
daily list and the period (link velocity, activity); without it the daily list is today's
(UTC) and the period is the last 7 days. The funnel counts all time, and again for the
period (prospects that first reached each stage in it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prospector.config import Settings
from prospector.pipeline import list_prospects, parse_since
from prospector.qualify.score import key_reasons
from prospector.report import metrics
from prospector.store import open_db

DEFAULT_PERIOD_DAYS = 7
DAILY_STATES = ["qualified", "drafted"]


@dataclass
class Report:
    """Every number and row the report shows; ``as_dict()`` is the ``--json`` output."""

    generated_at: str
    since: str  # start of the period: link velocity, activity, the period funnel
    list_since: str  # start of the daily list
    funnel: dict[str, int]
    period_funnel: dict[str, int]
    rates: dict[str, float | None]
    campaigns: list[dict[str, Any]]
    activity: dict[str, Any]
    velocity: dict[str, Any]
    links: dict[str, Any]
    daily: list[dict[str, Any]] = field(default_factory=list)
    placements: list[dict[str, Any]] = field(default_factory=list)
    syndication: dict[str, int] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def daily_row(row: dict[str, Any]) -> dict[str, Any]:
    """One prospect of the daily list, with its page title and key reasons."""
    page = (row.get("evidence") or {}).get("page") or {}
    title = page.get("title") if isinstance(page, dict) else None
    scores = row.get("scores") or {}
    return {
        "id": row["id"],
        "campaign": row["campaign"],
        "type": row["type"],
        "state": row["state"],
        "score": row.get("score"),
        "domain": row["domain"],
        "url": row["url"],
        "title": title if isinstance(title, str) else "",
        "reasons": key_reasons(scores) if isinstance(scores, dict) else [],
        "created_at": row["created_at"],
    }


def build_report(
    settings: Settings, since: str | None = None, *, now: datetime | None = None
) -> Report:
    """Compute the report from the database (read only)."""
    now = now or datetime.now(UTC)
    period = parse_since(since) if since else _iso(now - timedelta(days=DEFAULT_PERIOD_DAYS))
    list_since = since or "today"
    daily = list_prospects(settings, states=DAILY_STATES, since=list_since)
    with open_db(settings.database) as store:
        prospects = store.report_prospects()
        reached = metrics.stages_reached(prospects, store.report_events("prospect"))
        placements = store.report_placements()
        changes = metrics.link_changes(placements, store.report_events("placement"))
        sent = store.report_messages_sent(period)
        replies = store.report_replies(period)
        syndication = store.report_syndication()
        runs = store.report_last_runs()
    counts = metrics.funnel(reached.values())
    activity = {
        "prospects_found": sum(1 for p in prospects if (p.get("created_at") or "") >= period),
        "pitches_sent": sent["pitches"],
        "followups_sent": sent["followups"],
        "mail_read": replies,
    }
    return Report(
        generated_at=_iso(now),
        since=period,
        list_since=parse_since(list_since),
        funnel=counts,
        period_funnel=metrics.funnel(reached.values(), period),
        rates=metrics.rates(counts),
        campaigns=metrics.campaign_funnels(prospects, reached),
        activity=activity,
        velocity=metrics.velocity(changes, period, now),
        links=metrics.link_stats(placements),
        daily=[daily_row(row) for row in daily],
        placements=metrics.link_rows(placements),
        syndication=syndication,
        runs=runs,
    )
