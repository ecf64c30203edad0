"""Read-only queries for the daily report: prospects, the event log, placements with the last
check that saw their link, and activity counts. Nothing here writes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from prospector.store.base import StoreBase

# Placement check outcomes in which the link was on the page.
FOUND_OUTCOMES = ("live", "downgraded")


def _json(text: Any) -> Any:
    """Parse stored JSON defensively: a bad or missing value is an empty object."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {}


class ReportsStore(StoreBase):
    """The report's reads (metrics are computed in ``prospector.report``)."""

    def _rows(self, sql: str, args: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, args or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def report_prospects(self) -> list[dict[str, Any]]:
        """Every prospect: its campaign, type, state, score and times (no evidence)."""
        return self._rows(
            "SELECT id, campaign, type, url, domain, state, score, created_at, updated_at, "
            "qualified_at "
            "FROM prospects ORDER BY id"
        )

    def report_events(
        self, entity: str, data_kinds: Sequence[str] = ("found",)
    ) -> list[dict[str, Any]]:
        """The event log of one kind of entity, oldest first; ``data`` parsed for the kinds in
        ``data_kinds`` only (``{}`` for the others: the log can be long)."""
        marks = ", ".join("?" for _ in data_kinds) or "NULL"
        rows = self._rows(
            f"SELECT id, entity_id, kind, at, CASE WHEN kind IN ({marks}) THEN data END AS data "
            "FROM events WHERE entity = ? ORDER BY id",
            [*data_kinds, entity],
        )
        for row in rows:
            data = _json(row["data"])
            row["data"] = data if isinstance(data, dict) else {}
        return rows

    def report_placements(self) -> list[dict[str, Any]]:
        """Every placement with its last check's outcome and the evidence of the last check
        that found the link (``seen``: anchor, rel, ... as the verifier recorded them)."""
        marks = ", ".join("?" for _ in FOUND_OUTCOMES)
        rows = self._rows(
            "SELECT p.id, p.campaign, p.prospect_id, p.url, p.target, p.anchor, p.source, "
            "p.state, p.live_since, p.lost_at, p.last_checked_at, p.created_at, "
            "(SELECT c.outcome FROM placement_checks c WHERE c.placement_id = p.id "
            " ORDER BY c.id DESC LIMIT 1) AS last_outcome, "
            "(SELECT c.evidence FROM placement_checks c WHERE c.placement_id = p.id "
            f" AND c.outcome IN ({marks}) ORDER BY c.id DESC LIMIT 1) AS seen_evidence, "
            "(SELECT c.checked_at FROM placement_checks c WHERE c.placement_id = p.id "
            f" AND c.outcome IN ({marks}) ORDER BY c.id DESC LIMIT 1) AS seen_at "
            "FROM placements p ORDER BY p.id",
            [*FOUND_OUTCOMES, *FOUND_OUTCOMES],
        )
        for row in rows:
            evidence = _json(row.pop("seen_evidence"))
            row["seen"] = evidence if isinstance(evidence, dict) else {}
        return rows

    def report_messages_sent(self, since: str) -> dict[str, int]:
        """Pitches and follow-ups sent since ``since`` (an ISO time)."""
        rows = self.db.execute(
            "SELECT step = 0, count(*) FROM messages WHERE state = 'sent' AND sent_at >= ? "
            "GROUP BY step = 0",
            [since],
        ).fetchall()
        counts = {"pitches": 0, "followups": 0}
        for is_pitch, count in rows:
            counts["pitches" if is_pitch else "followups"] = int(count)
        return counts

    def report_replies(self, since: str) -> dict[str, int]:
        """Inbound mail read since ``since``, by kind (replies by intent: 'reply:positive')."""
        rows = self.db.execute(
            "SELECT kind, intent, count(*) FROM replies WHERE processed_at >= ? "
            "GROUP BY kind, intent ORDER BY kind, intent",
            [since],
        ).fetchall()
        counts: dict[str, int] = {}
        for kind, intent, count in rows:
            key = f"{kind}:{intent}" if kind == "reply" and intent else str(kind)
            counts[key] = counts.get(key, 0) + int(count)
        return counts

    def report_syndication(self) -> dict[str, int]:
        """Syndicated copies by their last verdict ('unchecked' when never checked)."""
        rows = self.db.execute(
            "SELECT coalesce(verdict, 'unchecked'), count(*) FROM syndicated_copies "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        return {str(verdict): int(count) for verdict, count in rows}

    def report_last_runs(self) -> list[dict[str, Any]]:
        """The latest run of each job."""
        return self._rows(
            "SELECT r.job, r.campaign, r.started_at, r.finished_at, r.status, r.error "
            "FROM runs r WHERE r.id = (SELECT max(id) FROM runs WHERE job = r.job) "
            "ORDER BY r.job"
        )
