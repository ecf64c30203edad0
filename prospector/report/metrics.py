"""The report's numbers, computed from rows the store hands over (pure functions, no I/O).

The funnel counts prospects that ever reached a stage, from the event log: a prospect now
``lost`` was once sent, replied to and placed. A stage counts every prospect that reached it
or a later one, so the funnel never widens.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prospector.web.urls import host_of, registrable_domain

STAGES = ("found", "qualified", "approved", "sent", "replied", "placed", "live")
# The furthest stage each prospect state shows the prospect reached (an index into STAGES).
STATE_STAGE = {
    "new": 0,
    "qualified": 1,
    "drafted": 1,
    "approved": 2,
    "sending": 2,
    "sent": 3,
    "bounced": 3,
    "no_reply": 3,
    "replied": 4,
    "placed": 5,
    "lost": 5,
    "live": 6,
}
# Placement states in which the link is on the page.
FOUND_STATES = ("live", "downgraded")
PLACEMENT_STATES = ("pending", "live", "downgraded", "lost", "unknown")
REL_KINDS = ("dofollow", "nofollow", "sponsored", "ugc", "unknown")
NO_ANCHOR = "(no anchor text)"
TOP_ANCHORS = 12


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places; None when nothing to divide by."""
    return round(part / whole, 4) if whole else None


def _parse(at: str | None) -> datetime | None:
    if not at:
        return None
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- the funnel ---------------------------------------------------------------------------------


def stages_reached(
    prospects: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]]
) -> dict[int, dict[str, str]]:
    """For each prospect id: every stage it reached and when it first did (ISO time).

    A state event reaching a later stage also reaches every earlier one. A prospect's
    current state and its creation count too, so rows written without events are not lost.
    """
    firsts: dict[int, list[str | None]] = {}
    for row in prospects:
        reached: list[str | None] = [None] * len(STAGES)
        _reach(reached, 0, row.get("created_at") or "")
        stage = STATE_STAGE.get(str(row.get("state")))
        if stage is not None:
            _reach(reached, stage, row.get("updated_at") or row.get("created_at") or "")
        firsts[int(row["id"])] = reached
    for event in events:
        try:
            pid = int(event["entity_id"])
        except (TypeError, ValueError):
            continue
        if pid not in firsts:
            continue
        kind = str(event.get("kind"))
        if kind == "found":  # added straight into a state (a reclaim task is 'qualified')
            kind = str((event.get("data") or {}).get("state") or "new")
        stage = STATE_STAGE.get(kind)
        if stage is not None:
            _reach(firsts[pid], stage, str(event.get("at") or ""))
    return {
        pid: {STAGES[i]: at for i, at in enumerate(reached) if at is not None}
        for pid, reached in firsts.items()
    }


def _reach(reached: list[str | None], stage: int, at: str) -> None:
    for i in range(stage + 1):
        current = reached[i]
        if current is None or (at and (not current or at < current)):
            reached[i] = at


def funnel(reached: Iterable[Mapping[str, str]], since: str | None = None) -> dict[str, int]:
    """How many prospects reached each stage (first reached at or after ``since``, if given)."""
    counts = dict.fromkeys(STAGES, 0)
    for stages in reached:
        for stage, at in stages.items():
            if since is None or (at and at >= since):
                counts[stage] += 1
    return counts


def rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    """Reply rate (replied / sent) and placement rate (placed / sent)."""
    return {
        "reply_rate": rate(counts["replied"], counts["sent"]),
        "placement_rate": rate(counts["placed"], counts["sent"]),
    }


def campaign_funnels(
    prospects: Iterable[Mapping[str, Any]], reached: Mapping[int, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """The funnel and rates of each campaign, campaigns by name."""
    by_campaign: dict[str, list[Mapping[str, str]]] = defaultdict(list)
    for row in prospects:
        by_campaign[str(row.get("campaign") or "")].append(reached.get(int(row["id"]), {}))
    out = []
    for name in sorted(by_campaign):
        counts = funnel(by_campaign[name])
        out.append({"campaign": name, "funnel": counts, **rates(counts)})
    return out


# -- links --------------------------------------------------------------------------------------


def link_changes(
    placements: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]]
) -> list[tuple[str, str, int]]:
    """Every time a link appeared ('new') or was lost ('lost'): (kind, ISO time, placement).

    Walks each placement's state events in order: moving into live or downgraded from any
    other state (but 'unknown', which says nothing) is a new link; moving into lost is a lost
    one. A placement with
    ``live_since`` / ``lost_at`` but no such event (written by hand) counts at that time.
    """
    states: dict[int, str] = {}
    changes: list[tuple[str, str, int]] = []
    for event in events:
        kind = str(event.get("kind"))
        if kind not in PLACEMENT_STATES or kind == "unknown":  # unknown: nothing learnt
            continue
        try:
            pid = int(event["entity_id"])
        except (TypeError, ValueError):
            continue
        before = states.get(pid, "pending")
        at = str(event.get("at") or "")
        if kind in FOUND_STATES and before not in FOUND_STATES:
            changes.append(("new", at, pid))
        elif kind == "lost" and before != "lost":
            changes.append(("lost", at, pid))
        states[pid] = kind
    seen = {(kind, pid) for kind, _, pid in changes}
    for row in placements:
        pid = int(row["id"])
        if row.get("live_since") and ("new", pid) not in seen:
            changes.append(("new", str(row["live_since"]), pid))
        if row.get("lost_at") and ("lost", pid) not in seen:
            changes.append(("lost", str(row["lost_at"]), pid))
    return sorted(changes, key=lambda c: (c[1], c[2]))


def bucket_size(start: datetime, end: datetime) -> str:
    """'day' for up to a month, 'week' up to half a year, else 'month'."""
    span = end - start
    if span <= timedelta(days=31):
        return "day"
    if span <= timedelta(days=183):
        return "week"
    return "month"


def _bucket(day: date, size: str) -> date:
    if size == "week":
        return day - timedelta(days=day.weekday())
    if size == "month":
        return day.replace(day=1)
    return day


def _next(day: date, size: str) -> date:
    if size == "day":
        return day + timedelta(days=1)
    if size == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def velocity(changes: Iterable[tuple[str, str, int]], since: str, now: datetime) -> dict[str, Any]:
    """New and lost links per day, week or month from ``since`` to ``now`` (every period,
    empty ones too), with the totals."""
    start = _parse(since) or now
    size = bucket_size(start, now)
    periods: dict[date, dict[str, int]] = {}
    cursor = _bucket(start.astimezone(UTC).date(), size)
    last = _bucket(now.astimezone(UTC).date(), size)
    while cursor <= last:
        periods[cursor] = {"new": 0, "lost": 0}
        cursor = _next(cursor, size)
    for kind, at, _ in changes:
        moment = _parse(at)
        if moment is None or moment < start or moment > now:
            continue
        key = _bucket(moment.astimezone(UTC).date(), size)
        if key in periods:
            periods[key][kind] += 1
    rows: list[dict[str, Any]] = [
        {"period": day.isoformat() if size != "month" else day.strftime("%Y-%m"), **counts}
        for day, counts in periods.items()
    ]
    new = sum(counts["new"] for counts in periods.values())
    lost = sum(counts["lost"] for counts in periods.values())
    return {"bucket": size, "periods": rows, "new": new, "lost": lost, "net": new - lost}


def seen_link(row: Mapping[str, Any]) -> dict[str, Any]:
    """The link as the last check that found it recorded it (``{}`` when never found)."""
    link = (row.get("seen") or {}).get("link")
    return link if isinstance(link, dict) and link.get("found", True) else {}


def seen_anchor(row: Mapping[str, Any]) -> str | None:
    """The anchor text on the page, else the one we expected; None when neither is known."""
    anchor = seen_link(row).get("anchor")
    if not isinstance(anchor, str):
        anchor = row.get("anchor")
    if not isinstance(anchor, str):
        return None
    return re.sub(r"\s+", " ", anchor).strip()


def rel_tokens(row: Mapping[str, Any]) -> list[str] | None:
    """The link's rel tokens from the last check that found it; None when not known."""
    link = seen_link(row)
    if "rel" not in link:
        return None
    rel = link["rel"]
    if isinstance(rel, str):
        rel = rel.split()
    if not isinstance(rel, list):
        return None
    return [str(token).lower() for token in rel]


def rel_kind(row: Mapping[str, Any]) -> str:
    """One of REL_KINDS: sponsored over ugc over nofollow; dofollow when none of them."""
    tokens = rel_tokens(row)
    if tokens is None:
        return "unknown"
    for kind in ("sponsored", "ugc", "nofollow"):
        if kind in tokens:
            return kind
    return "dofollow"


def link_domain(row: Mapping[str, Any]) -> str:
    url = row.get("url")
    return registrable_domain(host_of(url)) if isinstance(url, str) and url else ""


def link_stats(placements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Links by state, referring domains, anchor texts and the rel mix of the links that are
    there now (placements live or downgraded)."""
    by_state = Counter(str(row.get("state")) for row in placements)
    current = [row for row in placements if row.get("state") in FOUND_STATES]
    domains: Counter[str] = Counter(link_domain(row) for row in current if link_domain(row))
    anchors: Counter[str] = Counter((seen_anchor(row) or NO_ANCHOR) for row in current)
    top = anchors.most_common(TOP_ANCHORS)
    other = sum(anchors.values()) - sum(count for _, count in top)
    rel = Counter(rel_kind(row) for row in current)
    return {
        "total": len(placements),
        "current": len(current),
        "by_state": {state: by_state.get(state, 0) for state in PLACEMENT_STATES}
        | {s: n for s, n in by_state.items() if s not in PLACEMENT_STATES},
        "referring_domains": len(domains),
        "domains": [
            {"domain": domain, "links": count}
            for domain, count in sorted(domains.items(), key=lambda i: (-i[1], i[0]))
        ],
        "anchors": [{"anchor": anchor, "links": count} for anchor, count in top]
        + ([{"anchor": "(other anchors)", "links": other}] if other else []),
        "distinct_anchors": len(anchors),
        "rel": {kind: rel.get(kind, 0) for kind in REL_KINDS},
    }


def link_rows(placements: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per placement, for the table and the CSV export."""
    out = []
    for row in placements:
        tokens = rel_tokens(row)
        out.append(
            {
                "id": row["id"],
                "campaign": row.get("campaign") or "",
                "state": row.get("state") or "",
                "url": row.get("url") or "",
                "domain": link_domain(row),
                "target": row.get("target") or "",
                "anchor": seen_anchor(row) or "",
                "expected_anchor": row.get("anchor") or "",
                "rel": " ".join(tokens) if tokens is not None else "",
                "rel_kind": rel_kind(row) if row.get("state") in FOUND_STATES else "",
                "live_since": row.get("live_since") or "",
                "lost_at": row.get("lost_at") or "",
                "last_checked_at": row.get("last_checked_at") or "",
                "last_outcome": row.get("last_outcome") or "",
                "source": row.get("source") or "",
            }
        )
    return out
