"""Replies over IMAP from a real Dovecot: each mail is classified, matched to the pitch it
answers and acted on — a reply stops the follow-ups and a positive one expects a placement,
a hard bounce suppresses, a soft bounce retries, an auto-reply pauses until the return date,
an unsubscribe suppresses — once, across restarts and a UIDVALIDITY change."""

from __future__ import annotations

import imaplib
import json
import sqlite3
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest

from prospector.config import Settings
from prospector.inbox.poll import poll_replies
from prospector.outreach.sender import send
from prospector.store import open_db
from tests.cli_helpers import prospector
from tests.mailservers import Dovecot, SmtpSink
from tests.outreach_world import PROSPECTS, outreach_settings
from tests.test_outreach_send import approved

pytestmark = [pytest.mark.integration]
MAILBOX = "Replies"


def inbox_settings(tmp_path: Path, smtp_port: int, dovecot: Dovecot, **imap: Any) -> Settings:
    return outreach_settings(
        tmp_path,
        smtp_port,
        imap={
            "host": "127.0.0.1",
            "port": dovecot.port,
            "security": "none",
            "username": Dovecot.user,
            "password_env": "TEST_IMAP_SECRET",
            "mailbox": MAILBOX,
        }
        | imap,
    )


def pitches(settings: Settings) -> dict[str, dict[str, Any]]:
    with open_db(settings.database) as store:
        return {m["to_email"]: m for m in store.messages() if m["step"] == 0}


def mail(sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Sam Rivera <outreach@soilsmith.example>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="elsewhere.example")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def reply_to(pitch: dict[str, Any], body: str) -> EmailMessage:
    return mail(
        pitch["to_email"],
        f"Re: {pitch['subject']}",
        body
        + f"\n\nOn Mon, Sam Rivera <outreach@soilsmith.example> wrote:\n> {pitch['subject']}\n",
        In_Reply_To=pitch["message_id"],
        References=pitch["message_id"],
    )


def bounce(pitch: dict[str, Any], code: str = "5.1.1", why: str = "user unknown") -> bytes:
    """A delivery-status notification (RFC 3464) returning the pitch's headers."""
    to, b = pitch["to_email"], "dsn-boundary-1"
    text = f"""From: Mail Delivery System <MAILER-DAEMON@mx.wormfarm.example>
To: outreach@soilsmith.example
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(datetime.now(UTC))}
Message-ID: {make_msgid(domain="mx.wormfarm.example")}
MIME-Version: 1.0
Auto-Submitted: auto-replied
Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"

--{b}
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered to {to}: {why}.

--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.wormfarm.example

Final-Recipient: rfc822; {to}
Action: failed
Status: {code}
Diagnostic-Code: smtp; 550 {code} <{to}>: {why}

--{b}
Content-Type: text/rfc822-headers

From: Sam Rivera <outreach@soilsmith.example>
To: {to}
Subject: {pitch["subject"]}
Message-ID: {pitch["message_id"]}

--{b}--
"""
    return text.replace("\n", "\r\n").encode()


@pytest.fixture
def imap_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_IMAP_SECRET", Dovecot.password)


def prospect_state(settings: Settings, email_address: str) -> str:
    with sqlite3.connect(settings.database) as db:
        row = db.execute(
            "SELECT p.state FROM prospects p JOIN messages m ON m.prospect_id = p.id "
            "WHERE m.to_email = ? AND m.step = 0",
            [email_address],
        ).fetchone()
    return str(row[0])


def test_reply_bounce_and_auto_reply_change_the_threads_once(
    tmp_path: Path, dovecot: Dovecot, imap_secret: None
) -> None:
    grace, worms, blog = (p["email"] for p in PROSPECTS)
    with SmtpSink() as sink:
        settings = inbox_settings(tmp_path, sink.port, dovecot)
        approved(settings)
        send(settings)
        sent = pitches(settings)
        dovecot.deliver(
            reply_to(sent[grace], "Thanks, happy to add your guide to the page!"), MAILBOX
        )
        dovecot.deliver(bounce(sent[worms]), MAILBOX)
        dovecot.deliver(
            mail(
                blog,
                "Automatic reply: " + sent[blog]["subject"],
                "I am out of the office and will return on 2026-12-20.",
                Auto_Submitted="auto-replied",
                In_Reply_To=sent[blog]["message_id"],
            ),
            MAILBOX,
        )
        dovecot.deliver(mail("stranger@nowhere.example", "Hello", "Who are you?"), MAILBOX)
        summary = poll_replies(settings)
        assert summary.processed == 4 and summary.unmatched == 1
        assert dict(summary.kinds) == {"reply": 2, "bounce": 1, "auto_reply": 1}
        assert poll_replies(settings).processed == 0  # incremental: nothing twice

        with open_db(settings.database) as store:
            assert store.suppression_reason(worms) and not store.suppression_reason(grace)
            placements = list(store.db.table("placements").rows)
            paused = store.prospects(states=["sent"])[0]["evidence"]["paused_until"]
        assert prospect_state(settings, worms) == "bounced"
        assert prospect_state(settings, grace) == "placed"
        assert [(p["url"], p["source"]) for p in placements] == [(PROSPECTS[0]["url"], "reply")]
        assert (
            placements[0]["target"] == "https://soilsmith.example/guides/vermicomposting-apartments"
        )
        assert paused.startswith("2026-12-20")

        # six days on: no follow-up to the replier, the bounced or the absent one
        _age(settings, days=6)
        assert send(settings).sent == []
        _unpause(settings)
        followups = send(settings).sent
        assert [f["to"] for f in followups] == [blog]
    assert len(sink.messages) == 4


def test_an_unsubscribe_suppresses_and_stops_the_sequence(
    tmp_path: Path, dovecot: Dovecot, imap_secret: None
) -> None:
    blog = PROSPECTS[2]["email"]
    with SmtpSink() as sink:
        settings = inbox_settings(tmp_path, sink.port, dovecot)
        approved(settings, PROSPECTS[2:])
        send(settings)
        token = pitches(settings)[blog]["unsubscribe_token"]
        dovecot.deliver(mail(blog, f"unsubscribe {token}", ""), MAILBOX)
        done = prospector(
            "--config",
            str(_config(settings, tmp_path)),
            "replies",
            "--json",
            env={"TEST_IMAP_SECRET": Dovecot.password},
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["kinds"] == {"unsubscribe": 1}
        assert result["items"][0]["matched_by"] == "token"
        _age(settings, days=30)
        assert send(settings).sent == []
    assert prospect_state(settings, blog) == "suppressed"
    with open_db(settings.database) as store:
        assert "unsubscribe" in (store.suppression_reason(blog) or "")


def test_a_soft_bounce_is_sent_again_later(
    tmp_path: Path, dovecot: Dovecot, imap_secret: None
) -> None:
    worms = PROSPECTS[1]["email"]
    with SmtpSink() as sink:
        settings = inbox_settings(tmp_path, sink.port, dovecot, soft_bounce_retry_hours=0.0)
        approved(settings, PROSPECTS[1:2])
        send(settings)
        first = pitches(settings)[worms]
        dovecot.deliver(bounce(first, "5.2.2", "mailbox full"), MAILBOX)
        summary = poll_replies(settings)
        assert summary.items[0]["bounce_type"] == "soft"
        assert [s["to"] for s in send(settings).sent] == [worms]
        second = pitches(settings)[worms]
    assert second["message_id"] != first["message_id"] and second["attempts"] == 2
    assert len(sink.messages) == 2
    with open_db(settings.database) as store:
        assert store.suppression_reason(worms) is None


def test_a_new_uidvalidity_rereads_the_mailbox_without_processing_anything_twice(
    tmp_path: Path, dovecot: Dovecot, imap_secret: None
) -> None:
    grace = PROSPECTS[0]["email"]
    with SmtpSink() as sink:
        settings = inbox_settings(tmp_path, sink.port, dovecot)
        approved(settings, PROSPECTS[:1])
        send(settings)
        first = reply_to(pitches(settings)[grace], "Could you send me a short summary?")
        dovecot.deliver(first, MAILBOX)
        assert poll_replies(settings).processed == 1
        with imaplib.IMAP4("127.0.0.1", dovecot.port) as client:  # the mailbox is rebuilt
            client.login(Dovecot.user, Dovecot.password)
            assert client.delete(MAILBOX)[0] == "OK"
        dovecot.deliver(first, MAILBOX)
        dovecot.deliver(mail("stranger@nowhere.example", "Hi", "Another one."), MAILBOX)
        again = poll_replies(settings)
    assert again.uidvalidity_changed and again.already_seen == 1 and again.processed == 1
    with open_db(settings.database) as store:
        assert len(list(store.db.table("replies").rows)) == 2
        assert (
            store.replies_of(int(pitches(settings)[grace]["prospect_id"]))[0]["intent"]
            == "question"
        )


def _config(settings: Settings, tmp_path: Path) -> Path:
    import tomli_w

    path = tmp_path / "prospector.toml"
    path.write_text(tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True)))
    return path


def _age(settings: Settings, days: int) -> None:
    then = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    with sqlite3.connect(settings.database) as db:
        db.execute("UPDATE messages SET sent_at = ?, sending_at = ? WHERE step = 0", [then, then])


def _unpause(settings: Settings) -> None:
    with sqlite3.connect(settings.database) as db:
        for pid, evidence in db.execute("SELECT id, evidence FROM prospects").fetchall():
            data = json.loads(evidence)
            if "paused_until" in data:
                data["paused_until"] = "2020-01-01T00:00:00+00:00"
                db.execute(
                    "UPDATE prospects SET evidence = ? WHERE id = ?", [json.dumps(data), pid]
                )


def test_a_reply_with_a_huge_attachment_is_read_from_its_start_not_whole(
    tmp_path: Path, dovecot: Dovecot, imap_secret: None
) -> None:
    grace = PROSPECTS[0]["email"]
    with SmtpSink() as sink:
        settings = inbox_settings(tmp_path, sink.port, dovecot)
        approved(settings)
        send(settings)
        answer = reply_to(pitches(settings)[grace], "Thanks, happy to add your guide!")
        answer.add_attachment(b"\0" * (48 << 20), maintype="application", subtype="zip")
        dovecot.deliver(answer, MAILBOX)
        tracemalloc.start()
        try:
            summary = poll_replies(settings)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert summary.processed == 1 and dict(summary.kinds) == {"reply": 1}
    assert prospect_state(settings, grace) == "placed"
    assert peak < 100 << 20, peak  # read whole, this 64 MiB mail took 600 MB; its start ~40 MB
