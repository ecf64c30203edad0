"""Crash safety of ``prospector replies`` under SIGKILL: a real Dovecot mailbox holds some
fifty mails answering our pitches — replies (positive, negative, questions), hard and soft
bounces, auto-replies, complaints, unsubscribes, strangers and one mail delivered twice. The
command is killed at 20 and more distinct points of the batch and run again each time, then
run to completion. Every mail is processed exactly once: one replies row per Message-ID, one
event per effect, each address suppressed once, follow-ups stopped once, the sync position
where the processed mail says — and the end state is the one an uninterrupted run reaches
on a copy of the same database.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from prospector.campaigns import load_campaign
from prospector.config import Settings
from prospector.outreach.followups import queue_followups
from prospector.outreach.sender import send
from prospector.store import open_db
from prospector.store.locks import INTERRUPTED
from tests.cli_helpers import prospector
from tests.crash_harness import (
    Command,
    connect_ro,
    counts,
    crash_loop,
    query,
    timed_run,
)
from tests.latency_proxy import LatencyProxy
from tests.mailservers import Dovecot, SmtpSink
from tests.outreach_world import outreach_settings
from tests.test_outreach_send import approved
from tests.test_replies import bounce, mail, reply_to

pytestmark = [pytest.mark.integration]

MAILBOX = "Replies"
PITCHED = 48
FINGERPRINT = counts(
    replies="SELECT count(*) FROM replies",
    last_uid="SELECT coalesce(max(last_uid), 0) FROM imap_sync",
    suppressed="SELECT count(*) FROM suppression",
    placements="SELECT count(*) FROM placements",
    cancelled="SELECT count(*) FROM messages WHERE state = 'cancelled'",
    events="SELECT count(*) FROM events WHERE entity != 'run'",
)


def prospects() -> list[dict[str, Any]]:
    return [
        {
            "type": "resource_page",
            "url": f"https://garden{i:02d}.example/resources",
            "title": f"Garden resources {i}",
            "email": f"editor@garden{i:02d}.example",
            "name": f"Reader {i}",
            "score": 90.0 - i,
        }
        for i in range(PITCHED)
    ]


def complaint(pitch: dict[str, Any]) -> bytes:
    """An ARF feedback report (a spam complaint) quoting the pitch."""
    text = f"""From: Mail Abuse Desk <abuse@isp.example>
To: outreach@soilsmith.example
Subject: Complaint about a message from 192.0.2.1
Date: Fri, 04 Dec 2026 08:00:00 +0000
Message-ID: {make_msgid(domain="isp.example")}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="A1"

--A1
Content-Type: text/plain

This is an email abuse report for a message received from 192.0.2.1.

--A1
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Mail-From: <outreach@soilsmith.example>
Original-Rcpt-To: <{pitch["to_email"]}>
Source-IP: 192.0.2.1

--A1
Content-Type: message/rfc822

From: Sam Rivera <outreach@soilsmith.example>
To: {pitch["to_email"]}
Subject: {pitch["subject"]}
Message-ID: {pitch["message_id"]}

Hi there.

--A1--
"""
    return text.replace("\n", "\r\n").encode()


def inbound(sent: list[dict[str, Any]]) -> list[EmailMessage | bytes]:
    """Some fifty mails answering the pitches, in delivery order (UID order); the last four
    pitches get no answer."""
    positive = "Thanks, happy to add your guide to the page!"
    mails: list[EmailMessage | bytes] = []
    for pitch in sent[0:8]:
        mails.append(reply_to(pitch, positive))
    for pitch in sent[8:11]:
        mails.append(reply_to(pitch, "No thanks, we do not add links to this page."))
    for pitch in sent[11:14]:
        mails.append(reply_to(pitch, "Could you send me a short summary of the guide?"))
    mails += [bounce(pitch) for pitch in sent[14:22]]
    mails += [bounce(pitch, "5.2.2", "mailbox full") for pitch in sent[22:27]]
    for pitch in sent[27:35]:
        mails.append(
            mail(
                pitch["to_email"],
                "Automatic reply: " + pitch["subject"],
                "I am out of the office and will return on 2026-12-20.",
                Auto_Submitted="auto-replied",
                In_Reply_To=pitch["message_id"],
            )
        )
    for pitch in sent[35:41]:
        mails.append(mail(pitch["to_email"], f"unsubscribe {pitch['unsubscribe_token']}", ""))
    mails += [complaint(pitch) for pitch in sent[41:44]]
    mails.append(mail("stranger@nowhere.example", "Hello", "Who are you?"))
    mails.append(mails[0])  # the same mail delivered twice: one Message-ID, one row
    for pitch in sent[27:30]:  # back from holiday: a real answer after the auto-reply
        mails.append(reply_to(pitch, positive))
    mails.append(mail("another@nowhere.example", "Question", "Do you sell compost?"))
    mails.append(reply_to(sent[0], "One more thing: the link is up now."))
    return mails


def pitched_world(tmp_path: Path, dovecot: Dovecot) -> tuple[Settings, int]:
    """48 pitches sent, their first follow-ups queued; the mailbox filled. Returns the
    settings and the number of mails delivered."""
    with SmtpSink() as sink:
        settings = outreach_settings(
            tmp_path,
            sink.port,
            imap={
                "host": "127.0.0.1",
                "port": dovecot.port,
                "security": "none",
                "username": Dovecot.user,
                "password_env": "TEST_IMAP_SECRET",
                "mailbox": MAILBOX,
                "batch": 500,
            },
        )
        campaign_file = settings.campaigns_dir / "example.toml"
        campaign_file.write_text(
            campaign_file.read_text().replace("max_sends_per_day = 20", "max_sends_per_day = 100")
        )
        approved(settings, prospects())
        assert len(send(settings).sent) == PITCHED
    with open_db(settings.database) as store:
        store.db.execute(  # the pitches went out six days ago: the first follow-ups are due
            "UPDATE messages SET sent_at = ?, sending_at = ? WHERE step = 0",
            [(datetime.now(UTC) - timedelta(days=6)).isoformat(timespec="seconds")] * 2,
        )
        campaign = load_campaign(campaign_file, settings.templates_dir)
        queued = queue_followups(settings, {"example": campaign}, store, datetime.now(UTC))
        assert queued.queued == PITCHED, queued
        sent = sorted(
            (m for m in store.messages() if m["step"] == 0), key=lambda m: int(m["prospect_id"])
        )
    mails = inbound(sent)
    for message in mails:
        dovecot.deliver(message, MAILBOX)
    return settings, len(mails)


def write_config(settings: Settings, work: Path, database: Path, imap_port: int) -> Path:
    data = settings.model_dump(mode="json", exclude_none=True)
    data["database"] = str(database)
    data["imap"]["port"] = imap_port
    path = work / f"{database.stem}.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def invariants_for(delivered: int) -> Any:
    def invariants(db: sqlite3.Connection) -> None:
        """Exactly once, at every moment: no mail twice, no effect twice, and the sync
        position says how far the processing went."""
        rows = db.execute("SELECT uid, message_id FROM replies").fetchall()
        ids = Counter(mid for _, mid in rows)
        assert all(n == 1 for n in ids.values()), ids.most_common(3)
        uids = sorted(uid for uid, _ in rows)
        assert len(uids) == len(set(uids))
        sync = db.execute("SELECT last_uid FROM imap_sync").fetchall()
        last = sync[0][0] if sync else 0
        assert len(sync) <= 1 and last <= delivered
        assert not uids or uids[-1] <= last, (uids[-1], last)
        # every UID up to the position was processed, or was the mail seen twice
        assert len(uids) in (last, last - 1), (len(uids), last)
        assert (
            db.execute(
                "SELECT count(DISTINCT entity_id) FROM events WHERE entity = 'reply'"
            ).fetchone()[0]
            == db.execute("SELECT count(*) FROM events WHERE entity = 'reply'").fetchone()[0]
            == len(uids)
        )
        for kind in ("replied", "bounced", "suppressed"):
            twice = db.execute(
                "SELECT entity_id, count(*) FROM events WHERE entity = 'prospect' AND kind = ? "
                "GROUP BY entity_id HAVING count(*) > 1",
                [kind],
            ).fetchall()
            assert not twice, (kind, twice)
        for entity, kind in (
            ("suppression", "added"),
            ("message", "cancelled"),
            ("placement", "recorded"),
        ):
            twice = db.execute(
                "SELECT entity_id, count(*) FROM events WHERE entity = ? AND kind = ? "
                "GROUP BY entity_id HAVING count(*) > 1",
                [entity, kind],
            ).fetchall()
            assert not twice, (entity, kind, twice)
        requeued = db.execute(
            "SELECT entity_id, count(*) FROM events WHERE entity = 'message' AND "
            "kind = 'approved' AND actor = 'inbox' GROUP BY entity_id HAVING count(*) > 1"
        ).fetchall()
        assert not requeued, requeued

    return invariants


def _timeless(text: str | None) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?[^\s\"]*", "<time>", text or "")


def end_state(database: Path) -> dict[str, Any]:
    """What the replies job changed, without times (ids are those of the same database)."""
    db = connect_ro(database)
    try:
        return {
            "replies": [
                (*row[:-1], _timeless(row[-1]))
                for row in db.execute(
                    "SELECT uid, message_id, kind, bounce_type, intent, matched_message, "
                    "prospect_id, matched_by, effect FROM replies ORDER BY uid"
                )
            ],
            "prospects": [
                (pid, state, _timeless(evidence))
                for pid, state, evidence in db.execute(
                    "SELECT id, state, evidence FROM prospects ORDER BY id"
                )
            ],
            "messages": db.execute(
                "SELECT id, state, attempts, message_id FROM messages ORDER BY id"
            ).fetchall(),
            "suppression": db.execute(
                "SELECT kind, value, reason FROM suppression ORDER BY kind, value"
            ).fetchall(),
            "placements": db.execute(
                "SELECT id, prospect_id, url, target, source, state FROM placements ORDER BY id"
            ).fetchall(),
            "events": sorted(
                Counter(
                    db.execute(
                        "SELECT entity, entity_id, kind, actor FROM events WHERE entity != 'run'"
                    ).fetchall()
                ).items()
            ),
            "sync": db.execute("SELECT mailbox, uidvalidity, last_uid FROM imap_sync").fetchall(),
        }
    finally:
        db.close()


def test_replies_killed_at_20_distinct_points_process_every_mail_exactly_once(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    settings, delivered = pitched_world(tmp_path, dovecot)
    env = {"TEST_IMAP_SECRET": Dovecot.password}
    reference_db = tmp_path / "reference.db"
    copy_database(settings.database, reference_db)
    # the mailbox answers with a remote server's round trip: a mail takes tens of
    # milliseconds, not one, so the kills land between any two mails
    with LatencyProxy(dovecot.port, 0.02) as imap:
        reference = Command(
            write_config(settings, tmp_path, reference_db, imap.port),
            reference_db,
            ["replies"],
            env,
        )
        timing = timed_run(reference, FINGERPRINT)
        final = timing.final
        assert final["replies"] == delivered - 1  # the mail seen twice is one row
        invariants = invariants_for(delivered)
        query(reference_db, invariants)

        killed = Command(
            write_config(settings, tmp_path, settings.database, imap.port),
            settings.database,
            ["replies"],
            env,
        )
        report = crash_loop(
            killed,
            FINGERPRINT,
            timing,
            kills=20,
            rng=random.Random(4),
            invariants=invariants,
            on=["last_uid"],  # progress: the share of the mails processed
            steps=50,
        )
        print(f"reference {timing.total_s}s (work {timing.work_s}s); {report.describe()}")
        assert len(report.kills) >= 20 and len(report.distinct) >= 20, report.describe()
        mid_batch = [k for k in report.kills if 0 < k.fingerprint["replies"] < final["replies"]]
        assert len(mid_batch) >= 15, report.describe()
        again = killed.run(120)  # once more: nothing new, nothing twice
        assert again.returncode == 0, again.stderr

    got, want = end_state(settings.database), end_state(reference_db)
    for key in want:
        assert got[key] == want[key], key
    db = connect_ro(settings.database)
    runs = dict(db.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())
    assert "running" not in runs and runs["ok"] >= 2, runs
    errors = {e for (e,) in db.execute("SELECT error FROM runs WHERE status != 'ok'")}
    assert errors <= {INTERRUPTED}, errors  # a run left 'running' is closed by the next one


def test_a_second_replies_run_while_one_runs_is_refused_in_one_line(tmp_path: Path) -> None:
    settings = outreach_settings(
        tmp_path, imap={"host": "127.0.0.1", "port": 9, "username": "x", "security": "none"}
    )
    config = write_config(settings, tmp_path, settings.database, 9)
    with open_db(settings.database) as store:
        lock = store.job_lock("replies")
        assert lock is not None
        with lock:
            refused = prospector("--config", str(config), "replies")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "another replies run" in lines[0], lines
    assert "already running" in lines[0]
