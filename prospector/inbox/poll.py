"""The replies job: read new mail over IMAP (UID-based and incremental, surviving restarts
and UIDVALIDITY changes), classify each, match it to our thread and apply its effects.

The mailbox is opened read-only and fetched with BODY.PEEK: nothing is marked read or moved.
Each mail is processed in one transaction with the sync position, so a crash never processes
a mail twice nor skips one. One run at a time per database (a lock the kernel releases however
the process ends); the next run closes a run a killed process left 'running' as interrupted.
"""

from __future__ import annotations

import imaplib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prospector.config import Settings
from prospector.errors import ConfigError, NetworkError
from prospector.inbox.classify import Classification, classify
from prospector.inbox.effects import Effects
from prospector.inbox.imap import quote_mailbox, session
from prospector.inbox.message import MailParseError
from prospector.inbox.threading import match
from prospector.store import open_db
from prospector.store.db import Store

MAIL_READ_BYTES = 4 << 20  # of each mail: its text is at the start; attachments are not needed


@dataclass
class RepliesSummary:
    mailbox: str
    new: int = 0
    processed: int = 0
    already_seen: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    unmatched: int = 0
    uidvalidity_changed: bool = False
    more_waiting: bool = False
    items: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mailbox": self.mailbox,
            "new": self.new,
            "processed": self.processed,
            "already_seen": self.already_seen,
            "kinds": dict(self.kinds),
            "unmatched": self.unmatched,
            "uidvalidity_changed": self.uidvalidity_changed,
            "more_waiting": self.more_waiting,
            "items": self.items,
        }


def _uidvalidity(client: imaplib.IMAP4) -> int:
    _, data = client.response("UIDVALIDITY")
    if not data or data[0] is None:
        raise NetworkError("IMAP: the server did not report UIDVALIDITY")
    value = data[0]
    return int(value.decode() if isinstance(value, bytes) else str(value))


def _raw(data: list[Any]) -> bytes | None:
    for part in data:
        if isinstance(part, tuple) and len(part) >= 2 and isinstance(part[1], bytes):
            return part[1]
    return None


def _row(mailbox: str, uid: int, mail: Classification) -> dict[str, Any]:
    return {
        "mailbox": mailbox,
        "uid": uid,
        "message_id": mail.message_id,
        "in_reply_to": mail.in_reply_to,
        "refs": " ".join(mail.references),
        "from_addr": mail.sender,
        "subject": mail.subject[:500],
        "kind": mail.kind,
        "bounce_type": mail.bounce_type,
        "status_code": mail.status_code,
        "failed_recipients": json.dumps(mail.failed_recipients),
        "intent": mail.intent,
        "reply_text": (mail.reply_text or "")[:5000] or None,
        "return_date": mail.return_date.isoformat() if mail.return_date else None,
        "evidence": json.dumps(mail.evidence[:20]),
    }


class Poller:
    def __init__(self, settings: Settings, store: Store, now: datetime, run_id: int | None) -> None:
        self.settings = settings
        self.store = store
        self.effects = Effects(settings, store, now)
        self.run_id = run_id
        self.summary = RepliesSummary(settings.imap.mailbox)

    def run(self, client: imaplib.IMAP4, progress: Callable[[str], None]) -> RepliesSummary:
        mailbox = self.settings.imap.mailbox
        status, detail = client.select(quote_mailbox(mailbox), readonly=True)
        if status != "OK":
            raise NetworkError(f"IMAP: cannot open mailbox {mailbox!r}: {detail!r}")
        uidvalidity = _uidvalidity(client)
        position = self.store.sync_position(mailbox)
        last = position[1] if position and position[0] == uidvalidity else 0
        self.summary.uidvalidity_changed = position is not None and position[0] != uidvalidity
        status, data = client.uid("SEARCH", "UID", f"{last + 1}:*")
        if status != "OK":
            raise NetworkError(f"IMAP: UID SEARCH failed: {data!r}")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last)
        self.summary.new = len(uids)
        batch = uids[: self.settings.imap.batch]
        self.summary.more_waiting = len(uids) > len(batch)
        for uid in batch:
            self._one(client, mailbox, uidvalidity, uid, progress)
        if not batch:  # a first sync, or a new UIDVALIDITY, with nothing new to read
            self.store.set_sync_position(mailbox, uidvalidity, last)
        return self.summary

    def _one(
        self,
        client: imaplib.IMAP4,
        mailbox: str,
        uidvalidity: int,
        uid: int,
        progress: Callable[[str], None],
    ) -> None:
        # the first MAIL_READ_BYTES only: what a reply, bounce or auto-reply says is at the
        # start; a 100 MB attachment is not read into memory (a truncated MIME part is fine)
        status, data = client.uid("FETCH", str(uid), f"(BODY.PEEK[]<0.{MAIL_READ_BYTES}>)")
        raw = _raw(data) if status == "OK" else None
        if raw is None:
            raise NetworkError(f"IMAP: could not fetch UID {uid} of {mailbox}")
        try:
            mail = classify(raw)
        except MailParseError as exc:
            mail = Classification(kind="unreadable", evidence=[str(exc)[:200]])
        found = match(self.store, mail)
        row = _row(mailbox, uid, mail) | {
            "matched_message": found.message["id"] if found.message else None,
            "prospect_id": found.message["prospect_id"] if found.message else None,
            "matched_by": found.how,
        }
        said: list[str] = []  # what the effects did, as stored with the reply

        def effects(apply: Callable[[], str]) -> Callable[[], str]:
            def run() -> str:
                said[:] = [apply()]
                return said[0]

            return run

        if mail.kind == "unreadable":
            applied = effects(lambda: "not a readable mail message")
        else:
            applied = effects(lambda: self.effects.apply(mail, found.message))
        try:
            reply_id = self.store.record_reply(
                row, applied, uidvalidity=uidvalidity, run_id=self.run_id
            )
        except Exception as exc:  # one bad mail must not block the mailbox: keep it for a person
            failed = f"not applied ({type(exc).__name__}: {exc}); for a person to look at"
            reply_id = self.store.record_reply(
                row, effects(lambda: failed[:500]), uidvalidity=uidvalidity, run_id=self.run_id
            )
        if reply_id is None:
            self.summary.already_seen += 1
            return
        self.summary.processed += 1
        self.summary.kinds[mail.kind] += 1
        self.summary.unmatched += found.message is None
        item = {
            "reply": reply_id,
            "kind": mail.kind,
            "bounce_type": mail.bounce_type,
            "intent": mail.intent,
            "from": mail.sender,
            "subject": mail.subject,
            "prospect": row["prospect_id"],
            "matched_by": found.how,
            "effect": said[0],
        }
        self.summary.items.append(item)
        progress(f"{mail.kind}: {mail.sender} '{mail.subject[:60]}' -> {said[0]}")


def poll_replies(
    settings: Settings,
    *,
    progress: Callable[[str], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RepliesSummary:
    """The 'replies' job."""
    imap = settings.imap
    if not imap.configured:
        raise ConfigError("cannot read replies: imap.host is not set (configure [imap])")
    # one replies run at a time; a run a killed process left 'running' is closed first
    with open_db(settings.database) as store, store.job_running("replies"):
        run_id = store.start_run("replies")
        poller = Poller(settings, store, clock(), run_id)
        try:
            with session(imap, settings.network.ca_bundle) as client:
                summary = poller.run(client, progress or (lambda _line: None))
        except (imaplib.IMAP4.error, OSError) as exc:
            store.finish_run(run_id, status="failed", counts={}, error=str(exc)[:500])
            raise NetworkError(f"IMAP {imap.host}:{imap.port}: {exc}") from None
        except BaseException as exc:
            store.finish_run(run_id, status="failed", counts={}, error=str(exc)[:500])
            raise
        store.finish_run(
            run_id, status="ok", counts={"processed": summary.processed, **summary.kinds}
        )
    return summary
