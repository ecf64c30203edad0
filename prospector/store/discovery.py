"""Candidate pages (the resumable discovery frontier) and prospects."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from prospector.models import utcnow
from prospector.store.base import StoreBase


@dataclass(frozen=True)
class Candidate:
    """A page discovery should look at, and where it came from."""

    url: str
    source: str  # search | seed | site | sitemap | explore | probe | import
    source_detail: str = ""


class DiscoveryStore(StoreBase):
    """Candidate pages (the resumable discovery frontier) and prospects."""

    def add_candidates(
        self, campaign: str, candidates: Iterable[Candidate], run_id: int | None = None
    ) -> int:
        """Add candidates not yet known for the campaign; return how many were new."""
        now = utcnow()
        rows = [
            {
                "campaign": campaign,
                "url": c.url,
                "source": c.source,
                "source_detail": c.source_detail,
                "found_at": now,
                "state": "new",
                "attempts": 0,
                "run_id": run_id,
            }
            for c in candidates
        ]
        if not rows:
            return 0
        with self.transaction():
            before = self.db.table("candidates").count
            self.db.table("candidates").insert_all(rows, ignore=True)
            return self.db.table("candidates").count - before

    def pending_candidates(self, campaign: str, limit: int | None = None) -> list[dict[str, Any]]:
        return list(
            self.db.table("candidates").rows_where(
                "campaign = ? AND state = 'new'", [campaign], order_by="id", limit=limit
            )
        )

    def finish_candidate(self, candidate_id: int, state: str, detail: str = "") -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE candidates SET state = ?, detail = ?, attempts = attempts + 1 WHERE id = ?",
                [state, detail, candidate_id],
            )

    def candidates(self, campaign: str) -> list[dict[str, Any]]:
        return list(
            self.db.table("candidates").rows_where("campaign = ?", [campaign], order_by="id")
        )

    # -- prospects ---------------------------------------------------------------------------

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
    ) -> list[dict[str, Any]]:
        where, args = ["1 = 1"], []
        if campaign:
            where.append("campaign = ?")
            args.append(campaign)
        if kind:
            where.append("type = ?")
            args.append(kind)
        if states:
            where.append(f"state IN ({', '.join('?' for _ in states)})")
            args.extend(states)
        rows = self.db.table("prospects").rows_where(" AND ".join(where), args, order_by="id")
        return [dict(row, evidence=json.loads(row["evidence"] or "{}")) for row in rows]

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

    def latest_checks(self, urls: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The most recent check of each URL, if any."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(urls), 500):
            chunk = list(urls[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.query(
                f"SELECT * FROM url_checks WHERE url IN ({marks}) ORDER BY checked_at, id",
                chunk,
            ):
                out[row["url"]] = row
        return out

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
        with self.transaction():
            row = self.db.execute(
                "SELECT state, evidence FROM prospects WHERE id = ?", [prospect_id]
            ).fetchone()
            if row is None:
                return
            evidence = json.loads(row[1] or "{}")
            if reason:
                evidence[f"{state}_reason"] = reason
            self.db.execute(
                "UPDATE prospects SET state = ?, evidence = ?, updated_at = ? WHERE id = ?",
                [state, json.dumps(evidence), utcnow(), prospect_id],
            )
            self._event(
                "prospect",
                str(prospect_id),
                state,
                actor,
                {"from": row[0], "to": state, "reason": reason},
                run_id,
            )

    def campaign_outbound_links(self, campaign: str) -> list[dict[str, Any]]:
        """External content links on the campaign's on-topic pages (from its crawled frontier)."""
        rows = self.db.query(
            """
            SELECT c.detail AS classification, p.id AS page_id, p.final_url AS page_url,
                   p.title AS page_title, l.href, l.anchor
            FROM candidates c
            JOIN pages p ON p.url = c.url
            JOIN links l ON l.page_id = p.id
            WHERE c.campaign = ? AND c.state = 'done'
              AND json_extract(c.detail, '$.on_topic') = 1
              AND l.placement = 'content' AND l.internal = 0
              AND (l.visible IS NULL OR l.visible = 1)
              AND (l.href LIKE 'http://%' OR l.href LIKE 'https://%')
            ORDER BY p.id, l.id
            """,
            [campaign],
        )
        return list(rows)

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

    # -- suppression -------------------------------------------------------------------------

    def suppress(self, kind: str, value: str, *, reason: str, source: str) -> bool:
        """Add an email address or a domain to the do-not-contact list; False if known."""
        with self.transaction():
            table = self.db.table("suppression")
            before = table.count
            table.insert(
                {
                    "kind": kind,
                    "value": value.strip().lower(),
                    "reason": reason,
                    "source": source,
                    "added_at": utcnow(),
                },
                ignore=True,
            )
            added = table.count > before
            if added:
                self._event(
                    "suppression",
                    f"{kind}:{value.lower()}",
                    "added",
                    source,
                    {"reason": reason},
                    None,
                )
        return added

    def suppressed_domains(self) -> set[str]:
        rows = self.db.execute("SELECT value FROM suppression WHERE kind = 'domain'")
        return {str(row[0]) for row in rows.fetchall()}
