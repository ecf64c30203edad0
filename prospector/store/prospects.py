"""Prospects: their states, evidence and scores."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from prospector.models import utcnow
from prospector.store.base import StoreBase


class ProspectsStore(StoreBase):
    """Prospects: their states, evidence and scores."""

    def add_prospect(
        self,
        campaign: str,
        kind: str,
        url: str,
        domain: str,
        evidence: dict[str, Any],
        *,
        page_id: int | None = None,
        state: str = "new",
        run_id: int | None = None,
    ) -> int | None:
        """Record a prospect and its 'found' event atomically; None when already known."""
        now = utcnow()
        with self.transaction():
            existing = self.db.execute(
                "SELECT id FROM prospects WHERE campaign = ? AND type = ? AND url = ?",
                [campaign, kind, url],
            ).fetchone()
            if existing:
                return None
            table = self.db.table("prospects")
            table.insert(
                {
                    "campaign": campaign,
                    "type": kind,
                    "url": url,
                    "domain": domain,
                    "page_id": page_id,
                    "state": state,
                    "evidence": json.dumps(evidence),
                    "created_at": now,
                    "updated_at": now,
                    "run_id": run_id,
                }
            )
            prospect_id = int(table.last_pk or 0)
            self._event(
                "prospect",
                str(prospect_id),
                "found",
                "agent",
                {"campaign": campaign, "type": kind, "url": url, "state": state},
                run_id,
            )
        return prospect_id

    def prospects(
        self,
        campaign: str | None = None,
        kind: str | None = None,
        states: Sequence[str] | None = None,
        *,
        url: str | None = None,
        domain: str | None = None,
    ) -> list[dict[str, Any]]:
        where, args = ["1 = 1"], []
        for column, value in (("campaign", campaign), ("type", kind)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        for column, value in (("url", url), ("domain", domain)):
            if value is not None:  # indexed lookups: (campaign, type, url), (campaign, domain)
                where.append(f"{column} = ?")
                args.append(value)
        if states:
            where.append(f"state IN ({', '.join('?' for _ in states)})")
            args.extend(states)
        rows = self.db.table("prospects").rows_where(" AND ".join(where), args, order_by="id")
        return [
            dict(
                row,
                evidence=json.loads(row["evidence"] or "{}"),
                scores=json.loads(row.get("scores") or "{}"),
            )
            for row in rows
        ]

    def prospect_domains(self, campaign: str, states: Sequence[str]) -> dict[str, int]:
        """How many prospects in ``states`` each domain has in the campaign."""
        marks = ", ".join("?" for _ in states)
        rows = self.db.execute(
            f"SELECT domain, count(*) FROM prospects WHERE campaign = ? AND state IN ({marks}) "
            "GROUP BY domain",
            [campaign, *states],
        ).fetchall()
        return {str(domain): int(count) for domain, count in rows}

    def contacted_domains(self, states: Sequence[str]) -> set[str]:
        """Domains any campaign has already written to (prospects in ``states``)."""
        marks = ", ".join("?" for _ in states)
        rows = self.db.execute(
            f"SELECT DISTINCT domain FROM prospects WHERE state IN ({marks})", list(states)
        )
        return {str(row[0]) for row in rows.fetchall()}

    def set_prospect_state(
        self,
        prospect_id: int,
        state: str,
        *,
        actor: str,
        reason: str = "",
        run_id: int | None = None,
    ) -> None:
        """Change a prospect's state; the change and its event are one transaction."""
        self._transition(prospect_id, state, actor=actor, reason=reason, run_id=run_id)

    def _transition(
        self,
        prospect_id: int,
        state: str,
        *,
        actor: str,
        reason: str,
        run_id: int | None,
        columns: dict[str, Any] | None = None,
        event: dict[str, Any] | None = None,
    ) -> None:
        with self.transaction():
            row = self.db.execute(
                "SELECT state, evidence FROM prospects WHERE id = ?", [prospect_id]
            ).fetchone()
            if row is None:
                return
            evidence = json.loads(row[1] or "{}")
            if reason:
                evidence[f"{state}_reason"] = reason
            self.db.table("prospects").update(
                prospect_id,
                {
                    "state": state,
                    "evidence": json.dumps(evidence),
                    "updated_at": utcnow(),
                    **(columns or {}),
                },
            )
            self._event(
                "prospect",
                str(prospect_id),
                state,
                actor,
                {"from": row[0], "to": state, "reason": reason, **(event or {})},
                run_id,
            )

    def update_prospect_evidence(
        self,
        prospect_id: int,
        evidence: dict[str, Any],
        *,
        actor: str,
        note: str = "",
        run_id: int | None = None,
    ) -> None:
        """Replace a prospect's evidence (new findings), with its event, atomically."""
        with self.transaction():
            self.db.execute(
                "UPDATE prospects SET evidence = ?, updated_at = ? WHERE id = ?",
                [json.dumps(evidence), utcnow(), prospect_id],
            )
            self._event("prospect", str(prospect_id), "evidence", actor, {"note": note}, run_id)

    def prospect(self, prospect_id: int) -> dict[str, Any] | None:
        rows = list(self.db.table("prospects").rows_where("id = ?", [prospect_id]))
        if not rows:
            return None
        row = rows[0]
        return dict(
            row,
            evidence=json.loads(row["evidence"] or "{}"),
            scores=json.loads(row.get("scores") or "{}"),
        )

    def save_score(
        self,
        prospect_id: int,
        score: float,
        scores: dict[str, Any],
        *,
        state: str,
        reason: str = "",
        run_id: int | None = None,
    ) -> None:
        """Store a prospect's score and breakdown and move it to ``state``, with its event."""
        self._transition(
            prospect_id,
            state,
            actor="agent",
            reason=reason,
            run_id=run_id,
            columns={
                "score": round(score, 1),
                "scores": json.dumps(scores),
                "qualified_at": utcnow(),
            },
            event={"score": round(score, 1)},
        )
