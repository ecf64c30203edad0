"""Earned links (placements) and their check history.

A placement's state change, its check, its events, its alert and its reclaim prospect are
written in one transaction. Syndicated copies live in ``store/syndication.py`` (a parent
class, so the Store object has both).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prospector.models import utcnow
from prospector.store.syndication import SyndicationStore

# Prospects whose placement is recorded (or already live) do not move back to 'placed'.
PLACED_STATES = ("placed", "live")


@dataclass(frozen=True)
class Recorded:
    """What ``record_placement`` did: the placement's id and whether anything changed."""

    id: int
    created: bool = False
    url_filled: bool = False


@dataclass
class CheckWrite:
    """One placement check and everything it changes, written together."""

    placement_id: int
    outcome: str
    page_verdict: str
    page_status: str
    http_status: int | None
    final_url: str
    evidence: dict[str, Any]
    state: str
    misses: int
    run_id: int | None = None
    live: bool = False  # found (live or downgraded): live_since is set if unset
    lost: bool = False  # became lost now
    alert: dict[str, Any] | None = None
    reclaim: dict[str, Any] | None = None  # add_prospect's arguments, for the reclaim task
    prospect_state: str | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class PlacementsStore(SyndicationStore):
    """Placements and placement checks (syndicated copies come from the parent class)."""

    # -- placements ---------------------------------------------------------------------------

    def record_placement(
        self,
        prospect_id: int | None,
        url: str | None,
        *,
        target: str,
        campaign: str | None,
        anchor: str | None,
        source: str,
        actor: str,
        run_id: int | None = None,
    ) -> Recorded:
        """Record an earned link, idempotently on (url, target). A placement of the prospect
        still waiting for its URL gets ``url`` filled in. The prospect moves to 'placed'."""
        now = utcnow()
        with self.transaction():
            found = self._existing(prospect_id, url, target)
            if found is not None:
                self._placed(prospect_id, found, url, actor, run_id)
                return Recorded(found)
            waiting = None
            if url is not None and prospect_id is not None:
                waiting = self.db.execute(
                    "SELECT id, target, source FROM placements WHERE prospect_id = ? "
                    "AND url IS NULL ORDER BY id LIMIT 1",
                    [prospect_id],
                ).fetchone()
            if waiting is not None:
                placement_id = int(waiting[0])
                changes: dict[str, Any] = {"url": url, "target": target, "updated_at": now}
                if anchor:
                    changes["anchor"] = anchor
                if source != waiting[2]:
                    changes["source"] = source
                self.db.table("placements").update(placement_id, changes)
                self._event(
                    "placement",
                    str(placement_id),
                    "url_known",
                    actor,
                    {"url": url, "target": target, "was_target": waiting[1], "source": source},
                    run_id,
                )
                result = Recorded(placement_id, url_filled=True)
            else:
                table = self.db.table("placements")
                table.insert(
                    {
                        "campaign": campaign,
                        "prospect_id": prospect_id,
                        "url": url,
                        "target": target,
                        "anchor": anchor or None,
                        "source": source,
                        "state": "pending",
                        "misses": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                placement_id = int(table.last_pk or 0)
                self._event(
                    "placement",
                    str(placement_id),
                    "recorded",
                    actor,
                    {
                        "url": url,
                        "target": target,
                        "anchor": anchor,
                        "campaign": campaign,
                        "prospect": prospect_id,
                        "source": source,
                    },
                    run_id,
                )
                result = Recorded(placement_id, created=True)
            self._placed(prospect_id, placement_id, url, actor, run_id)
        return result

    def _placed(
        self,
        prospect_id: int | None,
        placement_id: int,
        url: str | None,
        actor: str,
        run_id: int | None,
    ) -> None:
        """Move the prospect to 'placed' (unless it already is, or is live)."""
        if prospect_id is None:
            return
        row = self.db.execute("SELECT state FROM prospects WHERE id = ?", [prospect_id]).fetchone()
        if row is not None and row[0] not in PLACED_STATES:
            self.set_prospect_state(
                prospect_id,
                "placed",
                actor=actor,
                reason=f"placement #{placement_id}" + (f" on {url}" if url else ""),
                run_id=run_id,
            )

    def _existing(self, prospect_id: int | None, url: str | None, target: str) -> int | None:
        if url is not None:
            row = self.db.execute(
                "SELECT id FROM placements WHERE url = ? AND target = ?", [url, target]
            ).fetchone()
        else:
            row = self.db.execute(
                "SELECT id FROM placements WHERE url IS NULL AND target = ? AND prospect_id IS ?",
                [target, prospect_id],
            ).fetchone()
        return int(row[0]) if row else None

    def placements(
        self,
        campaign: str | None = None,
        states: Sequence[str] | None = None,
        *,
        prospect_id: int | None = None,
        placement_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Placements with their last check's outcome and time, oldest first."""
        where: list[str] = ["1 = 1"]
        args: list[Any] = []
        if campaign:
            where.append("p.campaign = ?")
            args.append(campaign)
        if states:
            where.append(f"p.state IN ({', '.join('?' for _ in states)})")
            args.extend(states)
        if prospect_id is not None:
            where.append("p.prospect_id = ?")
            args.append(prospect_id)
        if placement_id is not None:
            where.append("p.id = ?")
            args.append(placement_id)
        rows = self.db.execute(
            "SELECT p.*, c.outcome AS last_outcome, c.checked_at AS last_check_at "
            "FROM placements p LEFT JOIN placement_checks c ON c.id = "
            "(SELECT max(id) FROM placement_checks WHERE placement_id = p.id) "
            f"WHERE {' AND '.join(where)} ORDER BY p.id",
            args,
        )
        names = [d[0] for d in rows.description]
        out = []
        for values in rows.fetchall():
            row = dict(zip(names, values, strict=True))
            row["detail"] = json.loads(row.get("detail") or "{}")
            out.append(row)
        return out

    def placement(self, placement_id: int) -> dict[str, Any] | None:
        rows = self.placements(placement_id=placement_id)
        return rows[0] if rows else None

    def placement_checks(self, placement_id: int) -> list[dict[str, Any]]:
        """A placement's check history, oldest first."""
        rows = self.db.table("placement_checks").rows_where(
            "placement_id = ?", [placement_id], order_by="id"
        )
        return [dict(row, evidence=json.loads(row["evidence"] or "{}")) for row in rows]

    def checked_in_runs(self, run_ids: Sequence[int]) -> tuple[set[int], set[int]]:
        """(placement ids, copy ids) checked by the runs ``run_ids``."""
        if not run_ids:
            return set(), set()
        marks = ", ".join("?" for _ in run_ids)
        links = self.db.execute(
            f"SELECT DISTINCT placement_id FROM placement_checks WHERE run_id IN ({marks})",
            list(run_ids),
        ).fetchall()
        copies = self.db.execute(
            f"SELECT DISTINCT copy_id FROM syndication_checks WHERE run_id IN ({marks})",
            list(run_ids),
        ).fetchall()
        return {int(r[0]) for r in links}, {int(r[0]) for r in copies}

    def alerts_of_runs(self, run_ids: Sequence[int]) -> list[dict[str, Any]]:
        """The alerts the runs ``run_ids`` raised, oldest first: (entity, its id, the alert)."""
        if not run_ids:
            return []
        marks = ", ".join("?" for _ in run_ids)
        rows = self.db.execute(
            "SELECT entity, entity_id, data FROM events WHERE kind = 'alert' "
            f"AND entity IN ('placement', 'syndicated_copy') AND run_id IN ({marks}) ORDER BY id",
            list(run_ids),
        ).fetchall()
        return [
            {"entity": entity, "id": int(entity_id), "alert": json.loads(data or "{}")}
            for entity, entity_id, data in rows
        ]

    def save_placement_check(self, write: CheckWrite) -> tuple[int, int | None]:
        """Store a check and what it changes (state, misses, events, the alert, the reclaim
        prospect, the prospect's state) in one transaction: (check id, reclaim prospect id)."""
        now = utcnow()
        pid = str(write.placement_id)
        with self.transaction():
            row = self.db.execute(
                "SELECT state, live_since, prospect_id FROM placements WHERE id = ?",
                [write.placement_id],
            ).fetchone()
            if row is None:
                return 0, None
            checks = self.db.table("placement_checks")
            checks.insert(
                {
                    "placement_id": write.placement_id,
                    "checked_at": now,
                    "outcome": write.outcome,
                    "page_verdict": write.page_verdict,
                    "page_status": write.page_status,
                    "http_status": write.http_status,
                    "final_url": write.final_url,
                    "evidence": json.dumps(write.evidence),
                    "run_id": write.run_id,
                }
            )
            check_id = int(checks.last_pk or 0)
            changes: dict[str, Any] = {
                "state": write.state,
                "misses": write.misses,
                "last_checked_at": now,
                "updated_at": now,
                "detail": json.dumps(
                    {
                        "check": check_id,
                        "outcome": write.outcome,
                        "reasons": write.evidence.get("reasons", []),
                        "flags": write.evidence.get("flags", []),
                    }
                ),
            }
            if write.live and not row[1]:
                changes["live_since"] = now
            if write.lost:
                changes["lost_at"] = now
            self.db.table("placements").update(write.placement_id, changes)
            if write.state != row[0]:
                self._event(
                    "placement",
                    pid,
                    write.state,
                    "agent",
                    {"from": row[0], "to": write.state, "outcome": write.outcome},
                    write.run_id,
                )
            for kind, data in write.events:
                self._event("placement", pid, kind, "agent", data, write.run_id)
            reclaim_id = None
            if write.reclaim is not None:
                reclaim_id = self.add_prospect(**write.reclaim, run_id=write.run_id)
                if reclaim_id is None:
                    known = self.db.execute(
                        "SELECT id FROM prospects WHERE campaign = ? AND type = ? AND url = ?",
                        [write.reclaim["campaign"], write.reclaim["kind"], write.reclaim["url"]],
                    ).fetchone()
                    reclaim_id = int(known[0]) if known else None
            if write.alert is not None:
                alert = dict(write.alert, check=check_id, reclaim_prospect=reclaim_id)
                self._event("placement", pid, "alert", "agent", alert, write.run_id)
            if write.prospect_state and row[2] is not None:
                state = self.db.execute(
                    "SELECT state FROM prospects WHERE id = ?", [row[2]]
                ).fetchone()
                if state is not None and state[0] != write.prospect_state:
                    self.set_prospect_state(
                        int(row[2]),
                        write.prospect_state,
                        actor="agent",
                        reason=f"placement #{pid} {write.state}",
                        run_id=write.run_id,
                    )
        return check_id, reclaim_id
