"""The global do-not-contact list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prospector.models import utcnow
from prospector.store.base import StoreBase


class SuppressionStore(StoreBase):
    """The global do-not-contact list."""

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

    def suppression_reason(self, email: str, domains: Sequence[str] = ()) -> str | None:
        """Why ``email`` (or any of ``domains``, or the address's own domain) must not be
        written to; None when it may."""
        email = email.strip().lower()
        candidates = {email.rpartition("@")[2], *(d.lower() for d in domains if d)}
        row = self.db.execute(
            "SELECT kind, value, reason FROM suppression WHERE (kind = 'email' AND value = ?) "
            f"OR (kind = 'domain' AND value IN ({', '.join('?' for _ in candidates)})) LIMIT 1",
            [email, *candidates],
        ).fetchone()
        if row is None:
            return None
        return f"{row[0]} {row[1]} is suppressed ({row[2] or 'do not contact'})"

    def suppression_list(self) -> list[dict[str, Any]]:
        rows = self.db.table("suppression").rows_where(order_by="kind, value")
        return [dict(row) for row in rows]

    def unsuppress(self, kind: str, value: str, *, actor: str) -> bool:
        with self.transaction():
            cursor = self.db.execute(
                "DELETE FROM suppression WHERE kind = ? AND value = ?", [kind, value.lower()]
            )
            removed = cursor.rowcount > 0
            if removed:
                self._event("suppression", f"{kind}:{value.lower()}", "removed", actor, {}, None)
        return removed
