"""Inbound mail read over IMAP and the sync position of each mailbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from prospector.models import utcnow
from prospector.store.messages import MessagesStore


class RepliesStore(MessagesStore):
    """Replies, bounces and auto-replies; where each mailbox's sync stands."""

    def sync_position(self, mailbox: str) -> tuple[int, int] | None:
        """(uidvalidity, last processed uid) of a mailbox, or None before the first sync."""
        row = self.db.execute(
            "SELECT uidvalidity, last_uid FROM imap_sync WHERE mailbox = ?", [mailbox]
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else None

    def set_sync_position(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        with self.transaction():
            self.db.table("imap_sync").upsert(
                {
                    "mailbox": mailbox,
                    "uidvalidity": uidvalidity,
                    "last_uid": last_uid,
                    "synced_at": utcnow(),
                },
                pk="mailbox",
            )

    def reply_seen(self, mailbox: str, uidvalidity: int, uid: int, message_id: str) -> bool:
        """Already processed: the same UID, or the same mail under an earlier UIDVALIDITY."""
        row = self.db.execute(
            "SELECT 1 FROM replies WHERE (mailbox = ? AND uidvalidity = ? AND uid = ?) "
            "OR (message_id IS NOT NULL AND message_id != '' AND message_id = ?) LIMIT 1",
            [mailbox, uidvalidity, uid, message_id],
        ).fetchone()
        return row is not None

    def record_reply(
        self,
        row: Mapping[str, Any],
        effects: Callable[[], str],
        *,
        uidvalidity: int,
        run_id: int | None = None,
    ) -> int | None:
        """Store one inbound mail, apply its effects and advance the mailbox's sync position,
        all in one transaction: after a crash a mail is either fully processed or not at all.
        None when it was already processed."""
        with self.transaction():
            if self.reply_seen(
                row["mailbox"], uidvalidity, row["uid"], row.get("message_id") or ""
            ):
                self._advance(row["mailbox"], uidvalidity, int(row["uid"]))
                return None
            effect = effects()
            table = self.db.table("replies")
            table.insert(
                {
                    **row,
                    "uidvalidity": uidvalidity,
                    "effect": effect,
                    "processed_at": utcnow(),
                }
            )
            reply_id = int(table.last_pk or 0)
            self._event(
                "reply",
                str(reply_id),
                row["kind"],
                "inbox",
                {"prospect": row.get("prospect_id"), "effect": effect},
                run_id,
            )
            self._advance(row["mailbox"], uidvalidity, int(row["uid"]))
        return reply_id

    def _advance(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        current = self.sync_position(mailbox)
        last = current[1] if current and current[0] == uidvalidity else 0
        self.db.table("imap_sync").upsert(
            {
                "mailbox": mailbox,
                "uidvalidity": uidvalidity,
                "last_uid": max(last, uid),
                "synced_at": utcnow(),
            },
            pk="mailbox",
        )

    def replies_of(self, prospect_id: int) -> list[dict[str, Any]]:
        rows = self.db.table("replies").rows_where("prospect_id = ?", [prospect_id], order_by="id")
        return [dict(r, failed_recipients=json.loads(r["failed_recipients"] or "[]")) for r in rows]

    def latest_sent_to(self, address: str) -> dict[str, Any] | None:
        """Our most recent message that went out to ``address``."""
        row = self.db.execute(
            "SELECT id FROM messages WHERE lower(to_email) = ? AND state = 'sent' "
            "ORDER BY sent_at DESC, id DESC LIMIT 1",
            [address.strip().lower()],
        ).fetchone()
        return self.message(int(row[0])) if row else None

    def message_by_token(self, token: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT id FROM messages WHERE unsubscribe_token = ? ORDER BY step LIMIT 1", [token]
        ).fetchone()
        return self.message(int(row[0])) if row else None

    def cancel_pending(self, prospect_id: int, *, reason: str, actor: str) -> int:
        """Cancel the prospect's messages that have not gone out (follow-ups)."""
        cancelled = 0
        for message in self.thread(prospect_id):
            if message["state"] in ("draft", "approved"):
                cancelled += self.change_message(
                    int(message["id"]),
                    "cancelled",
                    actor=actor,
                    expect=["draft", "approved"],
                    reason=reason,
                )
        return cancelled
