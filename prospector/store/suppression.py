"""The global do-not-contact list."""

from __future__ import annotations

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
