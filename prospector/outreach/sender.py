"""The send job: approved messages go out over SMTP exactly once, within the rules.

Per message: the rules are checked (window, caps, suppression, one prospect per domain,
no reply yet for follow-ups), the gap is waited, then the message moves to ``sending``
with its Message-ID (committed) before the SMTP transaction, and to ``sent`` after. A crash
in between leaves it ``sending``, and the next run reconciles it instead of resending.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prospector.campaigns import Campaign, load_all
from prospector.config import Settings
from prospector.errors import ConfigError, NetworkError, UserError
from prospector.models import utcnow
from prospector.outreach.compose import checked_address, compose, envelope_sender, new_message_id
from prospector.outreach.drafts import sender_missing
from prospector.outreach.followups import queue_followups
from prospector.outreach.outbox import SendSummary, ready_queue, write_eml
from prospector.outreach.reconcile import reconcile
from prospector.outreach.rules import Window, day_start, gap_s
from prospector.outreach.smtp import Delivery, SmtpTransport
from prospector.store import open_db
from prospector.store.db import Store

Clock = Callable[[], datetime]
STOPPED = "stopped on request, between two messages"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Sender:
    """One send run. ``sleep`` and ``clock`` are the waiting and the time it uses."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        dry_run: bool,
        limit: int | None,
        campaign: str | None,
        progress: Callable[[str], None] | None,
        sleep: Callable[[float], None],
        clock: Clock,
        rng: random.Random,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.stop = stop
        self.store = store
        self.dry_run = dry_run
        self.limit = limit
        self.campaign = campaign
        self.progress = progress or (lambda _line: None)
        self.sleep = sleep
        self.clock = clock
        self.rng = rng
        self.summary = SendSummary(dry_run=dry_run)
        self.window = Window.from_settings(settings.sending, settings.sender.timezone)
        self.mailbox = (settings.smtp.username or settings.sender.email).lower()
        self.campaigns: dict[str, Campaign] = {
            c.name: c for c in load_all(settings.campaigns_dir, settings.templates_dir)
        }
        self.capped_campaigns: set[str] = set()
        self.last_at: datetime | None = None
        self.run_id: int | None = None

    # -- the rules ---------------------------------------------------------------------

    def _cap_reached(self, message: dict[str, Any], now: datetime) -> str:
        """Why nothing more goes out (''), for the whole run; campaign caps skip one."""
        since = day_start(now, self.settings.sender.timezone)
        extra = len(self.summary.written)
        if self.store.sent_since(since) + extra >= self.settings.sending.max_per_day:
            return f"daily cap reached (sending.max_per_day = {self.settings.sending.max_per_day})"
        mailbox_sent = self.store.sent_since(since, mailbox=self.mailbox) + extra
        if mailbox_sent >= self.settings.smtp.max_per_day:
            return (
                f"mailbox {self.mailbox} reached its daily cap "
                f"(smtp.max_per_day = {self.settings.smtp.max_per_day})"
            )
        return ""

    def _campaign_capped(self, message: dict[str, Any], now: datetime) -> bool:
        name = message["campaign"]
        campaign = self.campaigns.get(name)
        if campaign is None:
            return False
        since = day_start(now, self.settings.sender.timezone)
        done = self.store.sent_since(since, campaign=name)
        done += sum(1 for m in self.summary.written if m["campaign"] == name)
        if done >= campaign.limits.max_sends_per_day:
            if name not in self.capped_campaigns:
                self.capped_campaigns.add(name)
                self.summary.skipped.append(
                    f"campaign {name}: daily cap reached "
                    f"(limits.max_sends_per_day = {campaign.limits.max_sends_per_day})"
                )
            return True
        return False

    def _blocked(self, message: dict[str, Any]) -> tuple[str, str] | None:
        """(reason, prospect state) when this message must not go out at all."""
        prospect = self.store.prospect(int(message["prospect_id"]))
        if prospect is None:
            return "its prospect is gone", ""
        try:
            checked_address(message["to_email"])
        except UserError as exc:
            return str(exc), ""
        reason = self.store.suppression_reason(message["to_email"], [prospect["domain"] or ""])
        if reason:
            return reason, "suppressed" if message["step"] == 0 else ""
        if message["step"] == 0:
            other = self.store.domain_written(
                message["campaign"], prospect["domain"], int(prospect["id"]), approved=False
            )
            if other is not None:
                return (
                    f"{prospect['domain']} was already written to in this campaign "
                    f"(prospect #{other}): one prospect per domain",
                    "rejected",
                )
        elif prospect["state"] != "sent":
            return f"no follow-up: the prospect is {prospect['state']}", ""
        return None

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> SendSummary:
        now = self.clock()
        if not self.dry_run:
            self.summary.reconciled = reconcile(self.settings, self.store, now, self.run_id)
        self.summary.followups = queue_followups(
            self.settings,
            self.campaigns,
            self.store,
            now,
            write=not self.dry_run,
            run_id=self.run_id,
        )
        self.summary.window = self.window.describe()
        queue = ready_queue(self.store, now, self.campaign)
        self.summary.queued = len(queue)
        if not self.dry_run and not self.window.is_open(now):
            self.summary.next_window = self.window.next_open(now).isoformat(timespec="minutes")
            self.summary.stopped = f"outside the send window ({self.summary.window})"
            return self.summary
        transport = (
            None
            if self.dry_run
            else SmtpTransport(self.settings.smtp, self.settings.network.ca_bundle)
        )
        try:
            if transport is not None and queue:
                problem = transport.open()
                if problem is not None:
                    smtp = self.settings.smtp
                    raise NetworkError(
                        f"SMTP {smtp.host}:{smtp.port} unreachable ({problem}); nothing was sent"
                    )
            for message in queue:
                if self.stop is not None and self.stop.is_set():
                    self.summary.stopped = STOPPED
                    break
                if self.limit is not None and self._done() >= self.limit:
                    self.summary.stopped = f"--limit {self.limit} reached"
                    break
                if not self._one(message, transport):
                    break
        finally:
            if transport is not None:
                transport.close()
        return self.summary

    def _done(self) -> int:
        return len(self.summary.written) if self.dry_run else len(self.summary.sent)

    def _one(self, message: dict[str, Any], transport: SmtpTransport | None) -> bool:
        """Handle one queued message; False stops the run."""
        now = self.clock()
        stop = self._cap_reached(message, now)
        if stop:
            self.summary.stopped = stop
            return False
        if self._campaign_capped(message, now):
            return True
        blocked = self._blocked(message)
        if blocked is not None:
            reason, prospect_state = blocked
            if not self.dry_run:
                self.store.change_message(
                    int(message["id"]),
                    "cancelled",
                    actor="agent",
                    expect=["approved"],
                    reason=reason,
                    prospect_state=prospect_state or None,
                    run_id=self.run_id,
                )
            self.summary.cancelled.append({"message": message["id"], "reason": reason})
            self.progress(f"#{message['prospect_id']} not sent: {reason}")
            return True
        if not self.dry_run and not self._wait_gap():
            return False
        header_id = new_message_id(self.settings.sender)
        date = self.clock().astimezone(ZoneInfo(self.settings.sender.timezone))
        if transport is None:
            self._write_eml(message, header_id, date)
            return True
        return self._deliver(message, transport, header_id, date)

    def _wait_gap(self) -> bool:
        """Wait out the gap since this mailbox's last message; False when the window
        closes first."""
        now = self.clock()
        last = self.last_at
        if last is None:
            stored = self.store.last_sending_at(self.mailbox)
            last = datetime.fromisoformat(stored) if stored else None
        if last is not None:
            ready = last + timedelta(seconds=gap_s(self.settings.sending, self.rng))
            closes = self.window.closes_at(now)
            if closes is not None and ready >= closes:
                self.summary.stopped = "the send window closes before the next gap ends"
                return False
            wait = (ready - now).total_seconds()
            if wait > 0 and self.stop is not None:
                if self.stop.wait(wait):
                    self.summary.stopped = STOPPED
                    return False
            elif wait > 0:
                self.sleep(wait)
        return self.window.is_open(self.clock()) or self._closed()

    def _closed(self) -> bool:
        self.summary.stopped = f"the send window closed ({self.summary.window})"
        return False

    def _write_eml(self, message: dict[str, Any], header_id: str, date: datetime) -> None:
        email = compose(message, self.settings.sender, message_id=header_id, date=date)
        path = write_eml(self.settings.outbox_dir, message, email.as_bytes())
        self.summary.written.append(
            {
                "message": message["id"],
                "prospect": message["prospect_id"],
                "to": message["to_email"],
                "campaign": message["campaign"],
                "path": str(path),
            }
        )
        self.progress(f"#{message['prospect_id']} written to {path}")

    def _deliver(
        self, message: dict[str, Any], transport: SmtpTransport, header_id: str, date: datetime
    ) -> bool:
        step0 = message["step"] == 0
        email = compose(message, self.settings.sender, message_id=header_id, date=date)
        claimed = self.store.change_message(
            int(message["id"]),
            "sending",
            actor="agent",
            expect=["approved"],
            columns={
                "message_id": header_id,
                "date_header": date.isoformat(timespec="seconds"),
                "mailbox": self.mailbox,
                "sending_at": utcnow(),
                "attempts": int(message.get("attempts") or 0) + 1,
            },
            prospect_state="sending" if step0 else None,
            data={"message_id": header_id},
            run_id=self.run_id,
        )
        if not claimed:
            return True  # another run took it
        self.last_at = self.clock()
        copy_to = self.settings.sender.email if self.settings.sending.copy_to_self else ""
        delivery = transport.send(
            envelope_sender(self.settings.sender), message["to_email"], email.as_bytes(), copy_to
        )
        return self._record(message, delivery, header_id)

    def _record(self, message: dict[str, Any], delivery: Delivery, header_id: str) -> bool:
        mid, step0 = int(message["id"]), message["step"] == 0
        entry = {
            "message": mid,
            "prospect": message["prospect_id"],
            "to": message["to_email"],
            "campaign": message["campaign"],
        }
        if delivery.outcome == "sent":
            self.store.change_message(
                mid,
                "sent",
                actor="agent",
                expect=["sending"],
                columns={"sent_at": utcnow(), "error": None},
                prospect_state="sent" if step0 else None,
                run_id=self.run_id,
            )
            self.summary.sent.append({**entry, "message_id": header_id})
            self.progress(f"#{message['prospect_id']} sent to {message['to_email']}")
            return True
        detail = delivery.describe()
        if delivery.outcome == "unknown":
            self.store.change_message(
                mid,
                "sending",
                actor="agent",
                expect=["sending"],
                columns={"error": detail},
                reason=f"outcome unknown: {detail}",
                run_id=self.run_id,
            )
            self.summary.unknown.append({**entry, "detail": detail})
            self.progress(f"#{message['prospect_id']} outcome unknown ({detail}); will reconcile")
            return True
        attempts = int(message.get("attempts") or 0) + 1
        if delivery.outcome == "deferred" and attempts < self.settings.sending.max_attempts:
            retry = self.clock() + timedelta(minutes=self.settings.sending.retry_after_minutes)
            self.store.change_message(
                mid,
                "approved",
                actor="agent",
                expect=["sending"],
                columns={
                    "message_id": None,
                    "date_header": None,
                    "sending_at": None,
                    "error": detail,
                    "next_attempt_at": retry.isoformat(timespec="seconds"),
                },
                prospect_state="approved" if step0 else None,
                reason=f"temporary failure: {detail}",
                run_id=self.run_id,
            )
            self.summary.deferred.append({**entry, "detail": detail})
            self.progress(f"#{message['prospect_id']} deferred: {detail}")
            # a server that cannot be reached will not be reached by the next message either
            return delivery.stage != "connection"
        self.store.change_message(
            mid,
            "failed",
            actor="agent",
            expect=["sending"],
            columns={"error": detail, "sending_at": None},
            prospect_state="bounced" if step0 else None,
            reason=detail,
            run_id=self.run_id,
        )
        if delivery.hard:
            self.store.suppress(
                "email", message["to_email"], reason=f"hard_bounce: {detail}", source="smtp"
            )
        self.summary.refused.append({**entry, "detail": detail, "hard": delivery.hard})
        self.progress(f"#{message['prospect_id']} refused: {detail}")
        return True


def send(
    settings: Settings,
    *,
    dry_run: bool = False,
    limit: int | None = None,
    campaign: str | None = None,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Clock = _utc_now,
    rng: random.Random | None = None,
    stop: threading.Event | None = None,
) -> SendSummary:
    """The 'send' job: reconcile interrupted sends, queue due follow-ups, send what is
    approved (or write .eml files with ``dry_run``)."""
    missing = sender_missing(settings.sender)
    if missing:
        raise ConfigError(f"cannot send: {missing}")
    if not dry_run and not settings.smtp.configured:
        raise ConfigError("cannot send: smtp.host is not set (configure [smtp], or use --dry-run)")
    job = "send-dry-run" if dry_run else "send"
    # one send run at a time; a run a killed process left 'running' is closed first
    with open_db(settings.database) as store, store.job_running(job):
        run = Sender(
            settings,
            store,
            dry_run=dry_run,
            limit=limit,
            campaign=campaign,
            progress=progress,
            sleep=sleep,
            clock=clock,
            rng=rng or random.Random(),
            stop=stop,
        )
        run.run_id = store.start_run(job)
        try:
            summary = run.run()
        except BaseException as exc:
            store.finish_run(run.run_id, status="failed", counts={}, error=str(exc)[:500])
            raise
        store.finish_run(run.run_id, status="ok", counts=summary.counts())
    return summary
