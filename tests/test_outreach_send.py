"""Drafting, approval and sending against a real SMTP server (aiosmtpd) on loopback: what
arrives and its headers, caps, windows, gaps, suppression, one prospect per domain,
refusals, drops, follow-ups and the dry run."""

from __future__ import annotations

import email
import email.policy
import itertools
import sqlite3
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from prospector.campaigns import load_campaign
from prospector.config import Settings
from prospector.errors import ConfigError
from prospector.outreach.drafts import draft_campaign
from prospector.outreach.reconcile import resolve
from prospector.outreach.review import approve, reject
from prospector.outreach.sender import send
from prospector.store import open_db
from tests.mailservers import SmtpSink
from tests.outreach_world import POSTAL, PROSPECTS, outreach_settings, seed

pytestmark = [pytest.mark.integration]


def drafted(settings: Settings, prospects: list[dict[str, Any]] | None = None) -> list[int]:
    ids = seed(settings, prospects)
    campaign = load_campaign(settings.campaigns_dir / "example.toml", settings.templates_dir)
    with open_db(settings.database) as store:
        summary = draft_campaign(settings, campaign, store)
    assert summary.refused == [] and summary.drafted == sum(
        1 for p in (prospects or PROSPECTS) if p.get("email")
    )
    return ids


def approved(settings: Settings, prospects: list[dict[str, Any]] | None = None) -> list[int]:
    ids = drafted(settings, prospects)
    assert all(o.done for o in approve(settings, ids, actor="tester"))
    return ids


def parsed(raw: bytes) -> email.message.EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def states(settings: Settings) -> dict[int, str]:
    with open_db(settings.database) as store:
        return {m["prospect_id"]: m["state"] for m in store.messages()}


def test_approved_pitches_arrive_once_with_correct_headers_and_footer(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        ids = approved(settings)
        summary = send(settings)
        assert len(summary.sent) == 3 and len(sink.messages) == 3
        again = send(settings)
        assert again.sent == [] and len(sink.messages) == 3  # never twice
    with open_db(settings.database) as store:
        rows = {m["to_email"]: m for m in store.messages()}
        assert {store.prospect(i)["state"] for i in ids} == {"sent"}  # type: ignore[index]
        history = store.events("prospect", str(ids[0]))
    assert [e["kind"] for e in history][-3:] == ["approved", "sending", "sent"]
    assert any(e["actor"] == "tester" for e in history)
    for got in sink.messages:
        msg = parsed(got["data"])
        row = rows[got["to"][0]]
        assert got["to"] == [row["to_email"]] and got["from"] == "outreach@soilsmith.example"
        assert msg["Message-ID"] == row["message_id"] and row["message_id"].endswith(
            "@soilsmith.example>"
        )
        assert abs(datetime.now(UTC) - email.utils.parsedate_to_datetime(msg["Date"])) < timedelta(
            minutes=5
        )
        assert msg["Subject"] == row["subject"]
        token = row["unsubscribe_token"]
        assert msg["List-Unsubscribe"] == (
            f"<mailto:outreach@soilsmith.example?subject=unsubscribe%20{token}>, "
            f"<https://soilsmith.example/unsubscribe?t={token}>"
        )
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert POSTAL in text and f"unsubscribe?t={token}" in text
    grace = parsed(next(m["data"] for m in sink.messages if "gardenhaven" in m["to"][0]))
    assert grace["To"] == "Grace Hopper <editor@gardenhaven.example>"
    assert grace.get_body(("html",)) is not None  # the template's HTML part


def test_names_and_subjects_cannot_inject_headers_or_recipients(tmp_path: Path) -> None:
    hostile = [
        {
            **PROSPECTS[0],
            "name": "Eve\r\nBcc: victim@elsewhere.example",
            "title": "Tips\r\nBcc: victim2@elsewhere.example\nX-Evil: 1",
        }
    ]
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        approved(settings, hostile)
        send(settings)
    assert len(sink.messages) == 1 and sink.messages[0]["to"] == ["editor@gardenhaven.example"]
    msg = parsed(sink.messages[0]["data"])
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "\n" not in msg["Subject"] and "Bcc: victim2" in msg["Subject"]
    head = sink.messages[0]["data"].split(b"\r\n\r\n")[0].decode()
    assert not any(line.startswith(("Bcc:", "X-Evil:")) for line in head.split("\r\n"))


def test_daily_caps_stop_the_batch_and_count_by_the_senders_day(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port, sending={"max_per_day": 2})
        approved(settings)
        first = send(settings)
        assert len(first.sent) == 2 and "sending.max_per_day = 2" in first.stopped
        assert send(settings).sent == [] and len(sink.messages) == 2
        mailbox = outreach_settings(tmp_path, sink.port, smtp={"max_per_day": 1})
        assert "smtp.max_per_day = 1" in send(mailbox).stopped
    assert sorted(states(settings).values()) == ["approved", "sent", "sent"]


def test_campaign_cap_skips_that_campaign(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        campaign = settings.campaigns_dir / "example.toml"
        campaign.write_text(
            campaign.read_text().replace("max_sends_per_day = 20", "max_sends_per_day = 1")
        )
        approved(settings)
        summary = send(settings)
    assert len(summary.sent) == 1 and any(
        "limits.max_sends_per_day = 1" in s for s in summary.skipped
    )


def test_outside_the_window_nothing_goes_out_and_the_next_opening_is_told(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    start, end = now + timedelta(hours=2), now + timedelta(hours=3)
    with SmtpSink() as sink:
        settings = outreach_settings(
            tmp_path, sink.port, sending={"window": f"{start:%H:%M}-{end:%H:%M}"}
        )
        approved(settings)
        summary = send(settings)
        assert summary.sent == [] and sink.messages == []
        assert "outside the send window" in summary.stopped
        opens = datetime.fromisoformat(summary.next_window)
        assert timedelta(hours=1, minutes=50) < opens - now < timedelta(hours=2, minutes=1)
        closed_day = outreach_settings(tmp_path, sink.port, sending={"days": [_other_day(now)]})
        assert send(closed_day).sent == []
        assert len(send(outreach_settings(tmp_path, sink.port)).sent) == 3


def _other_day(now: datetime) -> str:
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return days[(now.weekday() + 3) % 7]


def test_messages_keep_the_minimum_gap(tmp_path: Path) -> None:
    arrivals: list[float] = []
    with SmtpSink(on_accept=lambda _data: arrivals.append(time.monotonic())) as sink:
        settings = outreach_settings(
            tmp_path, sink.port, sending={"min_gap_s": 0.6, "jitter_s": 0.3}
        )
        approved(settings)
        send(settings)
    assert len(arrivals) == 3
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert all(gap >= 0.55 for gap in gaps), gaps


def test_suppressed_addresses_and_domains_are_never_sent_to(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        ids = approved(settings)
        with open_db(settings.database) as store:
            store.suppress("email", "Editor@GardenHaven.example", reason="asked", source="t")
            store.suppress("domain", "wormfarm.example", reason="asked", source="t")
        summary = send(settings)
    assert [m["to"] for m in sink.messages] == [["pitches@soilblog.example"]]
    assert len(summary.cancelled) == 2
    with open_db(settings.database) as store:
        assert store.prospect(ids[0])["state"] == "suppressed"  # type: ignore[index]
        assert store.prospect(ids[1])["state"] == "suppressed"  # type: ignore[index]


def test_one_prospect_per_domain_per_campaign(tmp_path: Path) -> None:
    twin = {
        **PROSPECTS[0],
        "url": "https://gardenhaven.example/links",
        "email": "web@gardenhaven.example",
    }
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        ids = drafted(settings, [PROSPECTS[0], twin])
        first, second = approve(settings, ids, actor="tester")
        assert first.done and not second.done and "one prospect per domain" in second.detail
        send(settings)
    assert len(sink.messages) == 1


def test_refused_recipients_fail_and_hard_bounces_are_suppressed(tmp_path: Path) -> None:
    refuse = {
        "editor@gardenhaven.example": "550 5.1.1 <editor@gardenhaven.example>: user unknown",
        "hello@wormfarm.example": "550 5.7.1 message refused by policy",
    }
    with SmtpSink(refuse=refuse) as sink:
        settings = outreach_settings(tmp_path, sink.port)
        ids = approved(settings)
        summary = send(settings)
    assert [m["to"] for m in sink.messages] == [["pitches@soilblog.example"]]
    refused = {r["to"]: r for r in summary.refused}
    assert refused["editor@gardenhaven.example"]["hard"] is True
    assert refused["hello@wormfarm.example"]["hard"] is False
    with open_db(settings.database) as store:
        assert store.suppression_reason("editor@gardenhaven.example")
        assert store.suppression_reason("hello@wormfarm.example") is None
        assert store.prospect(ids[0])["state"] == "bounced"  # type: ignore[index]
        assert "5.1.1" in store.thread(ids[0])[0]["error"]


def test_temporary_failures_are_retried_later(tmp_path: Path) -> None:
    with SmtpSink(refuse={"hello@wormfarm.example": "451 4.3.0 try later"}) as sink:
        settings = outreach_settings(tmp_path, sink.port, sending={"retry_after_minutes": 0})
        approved(settings)
        summary = send(settings)
        assert len(summary.deferred) == 1 and len(summary.sent) == 2
        sink.handler.refuse.clear()
        assert [s["to"] for s in send(settings).sent] == ["hello@wormfarm.example"]
    assert len(sink.messages) == 3


def test_a_drop_during_data_is_never_resent_blindly(tmp_path: Path) -> None:
    with SmtpSink(drop={"hello@wormfarm.example"}) as sink:
        settings = outreach_settings(tmp_path, sink.port)
        ids = approved(settings)
        summary = send(settings)
        assert [u["to"] for u in summary.unknown] == ["hello@wormfarm.example"]
        assert len(summary.sent) == 2  # the batch went on after the drop
        sink.handler.drop.clear()
        again = send(settings)  # no Sent folder configured: a person decides
        assert again.sent == [] and again.reconciled.needs_review == 1
        with open_db(settings.database) as store:
            message = store.thread(ids[1])[0]
        assert message["state"] == "needs_review"
        assert send(settings).sent == []
        resolve(settings, int(message["id"]), sent=False, actor="tester")
        assert [s["to"] for s in send(settings).sent] == ["hello@wormfarm.example"]
    assert sorted(m["to"][0] for m in sink.messages) == sorted(p["email"] for p in PROSPECTS)


def test_dry_run_writes_eml_files_and_changes_nothing(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        approved(settings)
        summary = send(settings, dry_run=True)
        assert sink.messages == []
    files = sorted(Path(w["path"]) for w in summary.written)
    assert len(files) == 3 and all(f.parent == settings.outbox_dir for f in files)
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(settings.outbox_dir.stat().st_mode) == 0o700
    msg = parsed(files[0].read_bytes())
    assert msg["Message-ID"] and msg["List-Unsubscribe-Post"]
    assert set(states(settings).values()) == {"approved"}


def test_followups_are_threaded_after_n_days_and_stop_on_a_reply(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        ids = approved(settings)
        send(settings)
        assert send(settings).followups.due == 0  # not yet due
        _age_pitches(settings, days=6)
        with open_db(settings.database) as store:
            store.set_prospect_state(ids[2], "replied", actor="inbox")
        summary = send(settings)
    assert summary.followups.queued == 2
    followups = [parsed(m["data"]) for m in sink.messages[3:]]
    assert len(followups) == 2
    with open_db(settings.database) as store:
        pitches = {store.thread(i)[0]["message_id"]: store.thread(i)[0] for i in ids}
        assert len(store.thread(ids[2])) == 1  # replied: no follow-up
    for msg in followups:
        pitch = pitches[msg["In-Reply-To"]]
        assert msg["References"] == pitch["message_id"]
        assert msg["Subject"] == f"Re: {pitch['subject']}"
        assert POSTAL in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def _age_pitches(settings: Settings, days: int) -> None:
    then = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    with sqlite3.connect(settings.database) as db:
        db.execute("UPDATE messages SET sent_at = ?, sending_at = ? WHERE step = 0", [then, then])


def test_rejected_prospects_are_never_sent(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        ids = approved(settings)
        outcome = reject(settings, [ids[0]], reason="off-topic blog", actor="tester")
        assert outcome[0].done
        send(settings)
        assert len(sink.messages) == 2
        assert not reject(settings, [ids[1]], reason="too late", actor="tester")[0].done
    with open_db(settings.database) as store:
        row = store.prospect(ids[0])
    assert row is not None and row["evidence"]["rejected_reason"] == "off-topic blog"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_and_implicit_tls_with_a_password_from_the_environment(
    tmp_path: Path, security: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("TEST_SMTP_SECRET", "s3cret")
    with SmtpSink(tls=security, ca=ca, password="s3cret") as sink:
        settings = outreach_settings(
            tmp_path,
            sink.port,
            smtp={
                "security": security,
                "username": SmtpSink.user,
                "password_env": "TEST_SMTP_SECRET",
            },
            network={"ca_bundle": str(ca_file)},
        )
        approved(settings)
        assert len(send(settings).sent) == 3
    assert sink.handler.logins and len(sink.messages) == 3


def test_sending_without_a_sender_identity_is_refused(tmp_path: Path) -> None:
    settings = outreach_settings(tmp_path, sender={"postal_address": ""})
    with pytest.raises(ConfigError, match=r"sender\.postal_address"):
        send(settings)


def test_copy_to_self_rides_in_the_same_smtp_transaction(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port, sending={"copy_to_self": True})
        approved(settings, PROSPECTS[:1])
        send(settings)
    assert [m["to"] for m in sink.messages] == [
        ["editor@gardenhaven.example", "outreach@soilsmith.example"]
    ]
    assert parsed(sink.messages[0]["data"])["To"] == "Grace Hopper <editor@gardenhaven.example>"
