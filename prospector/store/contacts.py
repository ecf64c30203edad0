"""Contacts of prospects, and the MX cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from prospector.models import utcnow
from prospector.store.base import StoreBase

if TYPE_CHECKING:
    from prospector.qualify.contact_model import ContactResult


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


class ContactsStore(StoreBase):
    """Contacts of prospects, and the MX cache.

    A contact row is an address (``email``; ``form_url`` empty) or, when no address was
    found, a contact form (``kind = 'form'``, ``form_url`` set, ``email`` empty). ``source``
    is ``<page>:<how>`` (``contact:mailto``, ``write_for_us:form``) with ``:<offsite>``
    appended for an off-site address (``contact:plain:freemail``).
    """

    def save_contacts(self, prospect_id: int, result: ContactResult) -> None:
        """Replace the prospect's contacts with ``result``'s, atomically."""
        now = utcnow()
        rows: list[dict[str, Any]] = []
        for contact in result.contacts:
            source = contact.source + (f":{contact.offsite}" if contact.offsite else "")
            rows.append(
                {
                    "prospect_id": prospect_id,
                    "email": contact.email,
                    "name": contact.name,
                    "kind": contact.kind,
                    "source": source,
                    "source_url": contact.source_url,
                    "confidence": contact.confidence,
                    "syntax_ok": _flag(contact.syntax_ok),
                    "mx_ok": _flag(contact.mx_ok),
                    "form_url": None,
                    "found_at": now,
                }
            )
        for form in result.forms:
            rows.append(
                {
                    "prospect_id": prospect_id,
                    "email": None,
                    "name": None,
                    "kind": "form",
                    "source": f"{form.page}:form",
                    "source_url": form.url,
                    "confidence": form.confidence,
                    "syntax_ok": None,
                    "mx_ok": None,
                    "form_url": form.action or form.url,
                    "found_at": now,
                }
            )
        with self.transaction():
            self.db.execute("DELETE FROM contacts WHERE prospect_id = ?", [prospect_id])
            if rows:
                self.db.table("contacts").insert_all(rows)

    def contacts_of(self, prospect_id: int) -> list[dict[str, Any]]:
        """The prospect's contacts, best first: plain dicts (booleans as True/False/None,
        ``source`` split into ``page``, ``how`` and ``offsite`` as well)."""
        cursor = self.db.execute(
            "SELECT id, email, name, kind, source, source_url, confidence, syntax_ok, mx_ok, "
            "form_url, found_at FROM contacts WHERE prospect_id = ? "
            "ORDER BY confidence DESC, id",
            [prospect_id],
        )
        columns = [d[0] for d in cursor.description]
        out = []
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            for key in ("syntax_ok", "mx_ok"):
                row[key] = None if row[key] is None else bool(row[key])
            parts = (row["source"] or "").split(":")
            row["page"] = parts[0] if parts else None
            row["how"] = parts[1] if len(parts) > 1 else None
            row["offsite"] = parts[2] if len(parts) > 2 else None
            out.append(row)
        return out

    # -- MX cache ------------------------------------------------------------------------------

    def mx_cached(self, domain: str, max_age_days: float) -> tuple[bool, str] | None:
        """The cached MX answer of ``domain`` (ok, detail) when younger than
        ``max_age_days``, else None."""
        row = self.db.execute(
            "SELECT ok, detail, checked_at FROM mx_cache WHERE domain = ?", [domain.lower()]
        ).fetchone()
        if row is None or row[0] is None:
            return None
        try:
            checked = datetime.fromisoformat(row[2])
        except (TypeError, ValueError):
            return None
        if checked.tzinfo is None:
            checked = checked.replace(tzinfo=UTC)
        if datetime.now(UTC) - checked > timedelta(days=max_age_days):
            return None
        return bool(row[0]), str(row[1] or "")

    def put_mx(self, domain: str, ok: bool, detail: str) -> None:
        with self.transaction():
            self.db.table("mx_cache").upsert(
                {"domain": domain.lower(), "ok": int(ok), "detail": detail, "checked_at": utcnow()},
                pk="domain",
            )
