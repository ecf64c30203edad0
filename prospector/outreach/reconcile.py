"""After a crash: messages left ``sending`` may or may not have gone out. They are never
resent blindly. With an IMAP Sent folder they are looked up by Message-ID; otherwise a
person decides (``prospector resolve``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prospector.config import Settings
from prospector.errors import NetworkError, UserError
from prospector.inbox.imap import find_message_ids, session
from prospector.store.db import Store

ACTOR = "reconcile"


@dataclass
class ReconcileSummary:
    found_sent: int = 0
    requeued: int = 0
    waiting: int = 0
    needs_review: int = 0
    notes: list[str] = field(default_factory=list)


def reconcile(
    settings: Settings, store: Store, now: datetime, run_id: int | None = None
) -> ReconcileSummary:
    summary = ReconcileSummary()
    pending = store.messages(["sending"])
    if not pending:
        return summary
    imap = settings.imap
    if not (imap.configured and imap.sent_mailbox):
        for message in pending:
            store.change_message(
                int(message["id"]),
                "needs_review",
                actor=ACTOR,
                expect=["sending"],
                reason="interrupted during the SMTP transaction and no IMAP Sent folder is "
                "configured to check it: a person decides (prospector resolve)",
                run_id=run_id,
            )
            summary.needs_review += 1
        return summary
    mailboxes = [imap.sent_mailbox] + ([imap.mailbox] if settings.sending.copy_to_self else [])
    try:
        with session(imap, settings.network.ca_bundle) as client:
            found = find_message_ids(client, [m["message_id"] for m in pending], mailboxes)
    except NetworkError as exc:
        summary.waiting = len(pending)
        summary.notes.append(f"could not check the Sent folder ({exc}); nothing resent")
        return summary
    grace = timedelta(minutes=settings.sending.reconcile_after_minutes)
    for message in pending:
        if message["message_id"] in found:
            store.change_message(
                int(message["id"]),
                "sent",
                actor=ACTOR,
                expect=["sending"],
                columns={"sent_at": message["sending_at"], "error": None},
                prospect_state="sent" if message["step"] == 0 else None,
                reason=f"found in {imap.sent_mailbox} by its Message-ID",
                run_id=run_id,
            )
            summary.found_sent += 1
        elif now - datetime.fromisoformat(message["sending_at"]) >= grace:
            store.change_message(
                int(message["id"]),
                "approved",
                actor=ACTOR,
                expect=["sending"],
                columns={"message_id": None, "date_header": None, "sending_at": None},
                prospect_state="approved" if message["step"] == 0 else None,
                reason=f"not in {imap.sent_mailbox} after {grace}: it did not go out; queued again",
                data={"old_message_id": message["message_id"]},
                run_id=run_id,
            )
            summary.requeued += 1
        else:
            summary.waiting += 1
    return summary


def resolve(settings: Settings, message_id: int, *, sent: bool, actor: str) -> str:
    """A person's answer for an interrupted message: it went out, or it did not."""
    from prospector.store import open_db

    with open_db(settings.database) as store:
        message = store.message(message_id)
        if message is None:
            raise UserError(f"no message #{message_id}")
        if message["state"] not in ("needs_review", "sending"):
            raise UserError(f"message #{message_id} is {message['state']}, not awaiting a decision")
        step0 = message["step"] == 0
        if sent:
            store.change_message(
                message_id,
                "sent",
                actor=actor,
                expect=["needs_review", "sending"],
                columns={"sent_at": message["sending_at"]},
                prospect_state="sent" if step0 else None,
                reason="a person confirmed it went out",
            )
            return f"message #{message_id} marked sent"
        store.change_message(
            message_id,
            "approved",
            actor=actor,
            expect=["needs_review", "sending"],
            columns={"message_id": None, "date_header": None, "sending_at": None},
            prospect_state="approved" if step0 else None,
            reason="a person confirmed it did not go out; queued again",
            data={"old_message_id": message["message_id"]},
        )
        return f"message #{message_id} queued to send again"
