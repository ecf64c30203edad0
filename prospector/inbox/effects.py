"""What an inbound mail changes.

- any human reply stops the follow-ups (the prospect is ``replied``); a positive one records
  the placement we now expect;
- hard bounces, complaints and unsubscribes put the address on the suppression list and stop
  the thread;
- a soft bounce queues the message again for later (up to ``sending.max_attempts``);
- an auto-reply pauses the sequence until the stated return date (or for
  ``imap.auto_reply_pause_days``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prospector.campaigns import load_named
from prospector.config import Settings
from prospector.errors import CampaignError
from prospector.inbox.classify import Classification
from prospector.outreach.context import replacement_for
from prospector.store.db import Store

ACTOR = "inbox"
# Prospect states a reply can still move on from (nothing later has happened yet).
OPEN_STATES = ("approved", "sending", "sent", "bounced")


class Effects:
    def __init__(self, settings: Settings, store: Store, now: datetime) -> None:
        self.settings = settings
        self.store = store
        self.now = now

    def apply(self, mail: Classification, message: dict[str, Any] | None) -> str:
        """Apply the effects of ``mail`` (answering ``message``, if matched); a description."""
        kind = mail.kind
        if kind == "bounce" and mail.bounce_type == "hard":
            return self._hard_bounce(mail, message)
        if kind == "bounce":
            return self._soft_bounce(mail, message)
        if kind == "complaint":
            return self._stop(mail, message, "complaint", "suppressed")
        if kind == "unsubscribe":
            return self._stop(mail, message, "unsubscribe", "suppressed")
        if kind == "auto_reply":
            return self._pause(mail, message)
        return self._reply(mail, message)

    # -- kinds -------------------------------------------------------------------------------

    def _addresses(self, mail: Classification, message: dict[str, Any] | None) -> list[str]:
        found = [a.lower() for a in mail.failed_recipients]
        if message and message["to_email"].lower() not in found:
            found.append(message["to_email"].lower())
        if mail.kind == "unsubscribe" and mail.sender and mail.sender.lower() not in found:
            found.append(mail.sender.lower())
        return found

    def _suppress(self, addresses: list[str], reason: str) -> list[str]:
        added = []
        for address in addresses:
            if "@" in address and self.store.suppress(
                "email", address, reason=reason, source=ACTOR
            ):
                added.append(address)
        return added

    def _hard_bounce(self, mail: Classification, message: dict[str, Any] | None) -> str:
        code = mail.status_code or "?"
        added = self._suppress(self._addresses(mail, message), f"hard_bounce {code}")
        parts = [f"suppressed {', '.join(added)}" if added else "already suppressed"]
        if message:
            pid = int(message["prospect_id"])
            self.store.cancel_pending(pid, reason=f"hard bounce {code}", actor=ACTOR)
            self._prospect(pid, "bounced", f"hard bounce {code}: {mail.bounce_reason or ''}")
            parts.append(f"prospect #{pid} bounced")
        return "; ".join(parts)

    def _soft_bounce(self, mail: Classification, message: dict[str, Any] | None) -> str:
        if message is None or message["state"] != "sent":
            return "soft bounce: nothing to retry"
        attempts = int(message.get("attempts") or 0)
        pid, step0 = int(message["prospect_id"]), message["step"] == 0
        reason = f"soft bounce {mail.status_code or ''} {mail.bounce_reason or ''}".strip()
        if attempts >= self.settings.sending.max_attempts:
            self.store.change_message(
                int(message["id"]),
                "failed",
                actor=ACTOR,
                expect=["sent"],
                reason=reason,
                columns={"error": reason},
                prospect_state="bounced" if step0 else None,
            )
            self.store.cancel_pending(pid, reason=reason, actor=ACTOR)
            return f"soft bounce after {attempts} attempts: message failed"
        later = self.now + timedelta(hours=self.settings.imap.soft_bounce_retry_hours)
        self.store.change_message(
            int(message["id"]),
            "approved",
            actor=ACTOR,
            expect=["sent"],
            reason=f"{reason}: queued again",
            columns={
                "message_id": None,
                "date_header": None,
                "sending_at": None,
                "sent_at": None,
                "error": reason,
                "next_attempt_at": later.isoformat(timespec="seconds"),
            },
            prospect_state="approved" if step0 else None,
            data={"old_message_id": message["message_id"]},
        )
        return f"soft bounce: queued again from {later:%Y-%m-%d %H:%M}"

    def _stop(
        self, mail: Classification, message: dict[str, Any] | None, reason: str, state: str
    ) -> str:
        added = self._suppress(self._addresses(mail, message), reason)
        parts = [f"suppressed {', '.join(added)}" if added else "already suppressed"]
        if message:
            pid = int(message["prospect_id"])
            self.store.cancel_pending(pid, reason=reason, actor=ACTOR)
            self._prospect(pid, state, reason)
            parts.append(f"prospect #{pid} {state}")
        return "; ".join(parts)

    def _pause(self, mail: Classification, message: dict[str, Any] | None) -> str:
        if mail.auto_reply_type == "delivery_report" or message is None:
            return "no effect"
        if mail.return_date:
            until = datetime.combine(mail.return_date, datetime.min.time(), UTC)
        else:
            until = self.now + timedelta(days=self.settings.imap.auto_reply_pause_days)
        pid = int(message["prospect_id"])
        prospect = self.store.prospect(pid)
        if prospect is None:
            return "no effect"
        evidence = dict(prospect["evidence"], paused_until=until.isoformat(timespec="seconds"))
        self.store.update_prospect_evidence(
            pid, evidence, actor=ACTOR, note=f"auto-reply: follow-ups paused until {until:%Y-%m-%d}"
        )
        return f"follow-ups paused until {until:%Y-%m-%d}"

    def _reply(self, mail: Classification, message: dict[str, Any] | None) -> str:
        if message is None:
            return "not matched to a thread: for a person to read"
        pid = int(message["prospect_id"])
        cancelled = self.store.cancel_pending(pid, reason="a reply came", actor=ACTOR)
        prospect = self.store.prospect(pid)
        if prospect is None:
            return "no effect"
        evidence = dict(prospect["evidence"], reply_intent=mail.intent)
        self.store.update_prospect_evidence(pid, evidence, actor=ACTOR, note="reply")
        parts = [f"follow-ups stopped ({cancelled} cancelled)"]
        if prospect["state"] in OPEN_STATES:
            self._prospect(pid, "replied", f"{mail.intent or 'neutral'} reply")
            parts.append(f"prospect #{pid} replied ({mail.intent})")
        if mail.intent == "positive":
            parts.append(self._expect_placement(prospect))
        return "; ".join(parts)

    def _expect_placement(self, prospect: dict[str, Any]) -> str:
        from prospector.verify.placements import record_placement

        try:
            campaign = load_named(self.settings.campaigns_dir, prospect["campaign"])
        except CampaignError as exc:
            return f"no placement recorded: {exc}"
        url = None if prospect["type"] == "guest_post" else prospect["url"]
        placement = record_placement(
            self.store,
            int(prospect["id"]),
            url,
            target=replacement_for(prospect, campaign)["url"],
            campaign=prospect["campaign"],
            source="reply",
            actor=ACTOR,
        )
        where = url or "a page to be named (prospector placed ID URL)"
        return f"placement #{placement} expected on {where}"

    def _prospect(self, prospect_id: int, state: str, reason: str) -> None:
        prospect = self.store.prospect(prospect_id)
        if prospect is not None and prospect["state"] != state:
            self.store.set_prospect_state(prospect_id, state, actor=ACTOR, reason=reason)
