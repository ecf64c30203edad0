"""Syndicated copies of our content and their checks.

A copy's check, its latest verdict and its alert are written in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from prospector.models import utcnow
from prospector.store.prospects import ProspectsStore


class SyndicationStore(ProspectsStore):
    """Syndicated copies and their checks."""

    def upsert_syndicated_copy(
        self,
        url: str,
        original: str,
        *,
        campaign: str | None,
        require: str,
        attribution: bool,
        source: str,
        actor: str,
    ) -> tuple[int, str]:
        """Add a copy, or update what it requires: (id, 'added' | 'changed' | 'unchanged')."""
        wanted = {
            "campaign": campaign,
            "require": require,
            "attribution": int(attribution),
            "source": source,
        }
        with self.transaction():
            row = self.db.execute(
                "SELECT id, campaign, require, attribution, source FROM syndicated_copies "
                "WHERE url = ? AND original = ?",
                [url, original],
            ).fetchone()
            if row is not None:
                have = dict(
                    zip(("campaign", "require", "attribution", "source"), row[1:], strict=True)
                )
                if have == wanted:
                    return int(row[0]), "unchanged"
                self.db.table("syndicated_copies").update(int(row[0]), wanted)
                self._event(
                    "syndicated_copy", str(row[0]), "changed", actor, {"was": have, **wanted}, None
                )
                return int(row[0]), "changed"
            table = self.db.table("syndicated_copies")
            table.insert({"url": url, "original": original, "created_at": utcnow(), **wanted})
            copy_id = int(table.last_pk or 0)
            self._event(
                "syndicated_copy",
                str(copy_id),
                "added",
                actor,
                {"url": url, "original": original, **wanted},
                None,
            )
        return copy_id, "added"

    def syndicated_copies(self, campaign: str | None = None) -> list[dict[str, Any]]:
        """Copies with their last check (ok, evidence, and the last conclusive ``ok``)."""
        where, args = "1 = 1", []
        if campaign:
            where, args = "s.campaign = ?", [campaign]
        rows = self.db.execute(
            "SELECT s.*, c.ok AS last_ok, c.evidence AS last_evidence, c.checked_at AS "
            "last_check_at, (SELECT ok FROM syndication_checks WHERE copy_id = s.id AND ok "
            "IS NOT NULL ORDER BY id DESC LIMIT 1) AS settled_ok "
            "FROM syndicated_copies s LEFT JOIN syndication_checks c ON c.id = "
            "(SELECT max(id) FROM syndication_checks WHERE copy_id = s.id) "
            f"WHERE {where} ORDER BY s.id",
            args,
        )
        names = [d[0] for d in rows.description]
        out = []
        for values in rows.fetchall():
            row = dict(zip(names, values, strict=True))
            row["attribution"] = bool(row["attribution"])
            for key in ("last_ok", "settled_ok"):  # settled: the last conclusive check's
                row[key] = None if row[key] is None else bool(row[key])
            row["last_evidence"] = json.loads(row["last_evidence"] or "{}")
            out.append(row)
        return out

    def syndication_checks(self, copy_id: int) -> list[dict[str, Any]]:
        rows = self.db.table("syndication_checks").rows_where(
            "copy_id = ?", [copy_id], order_by="id"
        )
        return [dict(row, evidence=json.loads(row["evidence"] or "{}")) for row in rows]

    def save_syndication_check(
        self,
        copy_id: int,
        *,
        verdict: str,
        ok: bool | None,
        evidence: Mapping[str, Any],
        alert: Mapping[str, Any] | None = None,
        run_id: int | None = None,
    ) -> int:
        """Store a copy's check, its latest verdict, and the alert if any, in one transaction."""
        now = utcnow()
        with self.transaction():
            table = self.db.table("syndication_checks")
            table.insert(
                {
                    "copy_id": copy_id,
                    "checked_at": now,
                    "verdict": verdict,
                    "ok": None if ok is None else int(ok),
                    "evidence": json.dumps(dict(evidence)),
                    "run_id": run_id,
                }
            )
            check_id = int(table.last_pk or 0)
            self.db.table("syndicated_copies").update(
                copy_id, {"verdict": verdict, "last_checked_at": now}
            )
            if alert is not None:
                self._event(
                    "syndicated_copy",
                    str(copy_id),
                    "alert",
                    "agent",
                    {**alert, "check": check_id},
                    run_id,
                )
        return check_id
