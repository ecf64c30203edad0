"""Messages: pitches and follow-ups, their states, Message-IDs and send times.

A message and its prospect change state together, with their events, in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prospector.models import utcnow
from prospector.store.prospects import ProspectsStore

# Messages that count as "written to someone" for caps and the one-per-domain rule.
OUT_STATES = ("sending", "sent", "needs_review")
# Messages that may still change before they go out.
PENDING_STATES = ("draft", "approved")


class MessagesStore(ProspectsStore):
    """Pitches and follow-ups."""

    def add_message(
        self,
        prospect_id: int,
        fields: Mapping[str, Any],
        *,
        actor: str,
        prospect_state: str | None = None,
        run_id: int | None = None,
    ) -> int | None:
        """Store a new message (a draft, or an approved follow-up); None when that step of
        the prospect's thread already exists. The prospect moves to ``prospect_state``."""
        now = utcnow()
        with self.transaction():
            exists = self.db.execute(
                "SELECT id FROM messages WHERE prospect_id = ? AND step = ?",
                [prospect_id, fields["step"]],
            ).fetchone()
            if exists:
                return None
            table = self.db.table("messages")
            table.insert(
                {
                    **fields,
                    "prospect_id": prospect_id,
                    "attempts": 0,
                    "edited": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            message_id = int(table.last_pk or 0)
            self._event(
                "message",
                str(message_id),
                fields.get("state", "draft"),
                actor,
                {"prospect": prospect_id, "step": fields["step"], "to": fields.get("to_email")},
                run_id,
            )
            if prospect_state:
                self._transition(
                    prospect_id,
                    prospect_state,
                    actor=actor,
                    reason="",
                    run_id=run_id,
                    event={"message": message_id},
                )
        return message_id

    def message(self, message_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM messages WHERE id = ?", [message_id]).fetchone()
        if row is None:
            return None
        return self._row(row)

    def message_by_header(self, header_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM messages WHERE message_id = ?", [header_id]).fetchone()
        return self._row(row) if row else None

    def thread(self, prospect_id: int) -> list[dict[str, Any]]:
        """The prospect's messages, pitch first."""
        rows = self.db.execute(
            "SELECT * FROM messages WHERE prospect_id = ? ORDER BY step", [prospect_id]
        ).fetchall()
        return [self._row(row) for row in rows]

    def messages(
        self, states: Sequence[str] | None = None, campaign: str | None = None
    ) -> list[dict[str, Any]]:
        where: list[str] = ["1 = 1"]
        args: list[Any] = []
        if states:
            where.append(f"m.state IN ({', '.join('?' for _ in states)})")
            args.extend(states)
        if campaign:
            where.append("m.campaign = ?")
            args.append(campaign)
        rows = self.db.execute(
            "SELECT m.*, p.score AS prospect_score, p.domain AS prospect_domain, "
            "p.state AS prospect_state FROM messages m JOIN prospects p ON p.id = m.prospect_id "
            f"WHERE {' AND '.join(where)} ORDER BY m.id",
            args,
        )
        names = [d[0] for d in rows.description]
        return [dict(zip(names, row, strict=True)) for row in rows.fetchall()]

    def _row(self, row: Sequence[Any]) -> dict[str, Any]:
        names = [c.name for c in self.db.table("messages").columns]
        return dict(zip(names, row, strict=True))

    def change_message(
        self,
        message_id: int,
        state: str,
        *,
        actor: str,
        expect: Sequence[str] | None = None,
        columns: Mapping[str, Any] | None = None,
        prospect_state: str | None = None,
        reason: str = "",
        data: Mapping[str, Any] | None = None,
        run_id: int | None = None,
    ) -> bool:
        """Move a message to ``state`` (only from ``expect`` states when given), and its
        prospect to ``prospect_state``; False (and nothing written) when the message was not
        in an expected state."""
        with self.transaction():
            row = self.db.execute(
                "SELECT state, prospect_id FROM messages WHERE id = ?", [message_id]
            ).fetchone()
            if row is None or (expect is not None and row[0] not in expect):
                return False
            self.db.table("messages").update(
                message_id, {"state": state, "updated_at": utcnow(), **(columns or {})}
            )
            self._event(
                "message",
                str(message_id),
                state,
                actor,
                {"from": row[0], "reason": reason, **(data or {})},
                run_id,
            )
            if prospect_state:
                self._transition(
                    int(row[1]),
                    prospect_state,
                    actor=actor,
                    reason=reason,
                    run_id=run_id,
                    event={"message": message_id},
                )
        return True

    def sent_since(
        self, since: str, *, mailbox: str | None = None, campaign: str | None = None
    ) -> int:
        """Messages handed to SMTP since ``since`` (an ISO time), optionally per mailbox or
        campaign; interrupted ones count (they may have gone out)."""
        where = [f"state IN ({', '.join('?' for _ in OUT_STATES)})", "sending_at >= ?"]
        args: list[Any] = [*OUT_STATES, since]
        if mailbox is not None:
            where.append("mailbox = ?")
            args.append(mailbox)
        if campaign is not None:
            where.append("campaign = ?")
            args.append(campaign)
        row = self.db.execute(
            f"SELECT count(*) FROM messages WHERE {' AND '.join(where)}", args
        ).fetchone()
        return int(row[0])

    def last_sending_at(self, mailbox: str) -> str | None:
        row = self.db.execute(
            "SELECT max(sending_at) FROM messages WHERE mailbox = ?", [mailbox]
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def domain_written(
        self, campaign: str, domain: str, prospect_id: int, *, approved: bool = True
    ) -> int | None:
        """Another prospect of the campaign on ``domain`` already written to (or, with
        ``approved``, approved to be): its id, else None."""
        states = [*OUT_STATES, *(["approved"] if approved else [])]
        row = self.db.execute(
            "SELECT p.id FROM prospects p JOIN messages m ON m.prospect_id = p.id "
            "WHERE p.campaign = ? AND p.domain = ? AND p.id != ? AND m.step = 0 "
            f"AND m.state IN ({', '.join('?' for _ in states)}) LIMIT 1",
            [campaign, domain, prospect_id, *states],
        ).fetchone()
        return int(row[0]) if row else None
