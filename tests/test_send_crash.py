"""Exactly once under SIGKILL: ``prospector send`` is killed at 20 and more distinct points of
a batch (tests/crash_harness.py) and run again until the batch is done. No recipient gets a
message twice, no approved message is lost, and the database stays sound.

The SMTP server (aiosmtpd) files every message it accepts in the mailbox's Sent folder on
a real Dovecot, as hosted mail services do, and holds its final 250 a little, so that many
kills land between "the server has it" and "we recorded it".
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from prospector.config import Settings
from prospector.store.locks import INTERRUPTED
from tests.crash_harness import (
    Command,
    Timing,
    connect_ro,
    counts,
    crash_loop,
    integrity,
    timed_run,
)
from tests.mailservers import Dovecot, SmtpSink
from tests.outreach_world import outreach_settings
from tests.test_outreach_send import approved

pytestmark = [pytest.mark.integration]

BATCH = 32
FINGERPRINT = counts(
    started="SELECT count(*) FROM messages WHERE state IN ('sending', 'sent', 'needs_review')",
    sending="SELECT count(*) FROM messages WHERE state = 'sending'",
    sent="SELECT count(*) FROM messages WHERE state = 'sent'",
    needs_review="SELECT count(*) FROM messages WHERE state = 'needs_review'",
)


def batch() -> list[dict[str, Any]]:
    return [
        {
            "type": "resource_page",
            "url": f"https://site{i:02d}.example/resources",
            "title": f"Resources {i}",
            "email": f"editor{i:02d}@site{i:02d}.example",
            "name": f"Reader {i}",
            "score": 90.0 - i,
        }
        for i in range(BATCH)
    ]


def raise_cap(settings: Settings) -> None:
    campaign = settings.campaigns_dir / "example.toml"
    campaign.write_text(
        campaign.read_text().replace("max_sends_per_day = 20", "max_sends_per_day = 100")
    )


def command(settings: Settings, work: Path, env: dict[str, str], **changes: Any) -> Command:
    """``prospector send`` with the settings' config (``changes``: sections to override)."""
    work.mkdir(parents=True, exist_ok=True)
    data = settings.model_dump(mode="json", exclude_none=True)
    data["database"] = str(work / "prospector.db")
    for section, values in changes.items():
        data[section] = {**data[section], **values}
    path = work / "prospector.toml"
    path.write_text(tomli_w.dumps(data))
    return Command(path, work / "prospector.db", ["send"], env)


def copy_database(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def reference_timing(settings: Settings, work: Path, env: dict[str, str], **changes: Any) -> Timing:
    """One uninterrupted send of the same batch, on a copy of the database, to a server of
    its own (its messages do not count): how long the batch takes, where it ends."""
    copy_database(settings.database, work / "prospector.db")
    with SmtpSink(delay=0.2) as sink:
        timing = timed_run(
            command(settings, work, env, smtp={"port": sink.port}, **changes), FINGERPRINT
        )
        assert len(sink.messages) == BATCH
    return timing


def never_twice(sink: SmtpSink) -> None:
    """No recipient has had two messages so far (checked after every kill)."""
    received = Counter(m["to"][0] for m in sink.messages)
    assert all(count == 1 for count in received.values()), received


def db_states(database: Path) -> Counter[str]:
    db = connect_ro(database)
    try:
        return Counter(row[0] for row in db.execute("SELECT state FROM messages"))
    finally:
        db.close()


def test_sigkill_at_many_points_never_sends_twice_and_loses_nothing(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    sink = SmtpSink(delay=0.2, on_accept=lambda data: dovecot.deliver(data, "Sent"))
    with sink:
        imap = {
            "host": "127.0.0.1",
            "port": dovecot.port,
            "security": "none",
            "username": Dovecot.user,
            "password_env": "TEST_IMAP_SECRET",
            "sent_mailbox": "Sent",
        }
        settings = outreach_settings(
            tmp_path / "killed", sink.port, imap=imap, sending={"reconcile_after_minutes": 0.0}
        )
        raise_cap(settings)
        approved(settings, batch())
        env = {"TEST_IMAP_SECRET": Dovecot.password}
        timing = reference_timing(
            settings, tmp_path / "reference", env, imap={"sent_mailbox": "Reference"}
        )
        report = crash_loop(
            command(settings, tmp_path / "killed", env),
            FINGERPRINT,
            timing,
            kills=20,
            rng=random.Random(20261124),
            invariants=lambda db: never_twice(sink),
            # progress: messages begun and messages sent (two steps each)
            on=["started", "sent"],
            steps=48,
        )
        print(f"reference {timing.total_s}s (work {timing.work_s}s); {report.describe()}")
        final = command(settings, tmp_path / "killed", env).run(120)  # once more
        assert final.returncode == 0, final.stderr
    assert integrity(settings.database) == "ok"
    received = Counter(m["to"][0] for m in sink.messages)
    interrupted = [k for k in report.kills if k.fingerprint.get("sending")]
    assert len(report.kills) >= 20 and len(report.distinct) >= 20, report.describe()
    assert len(interrupted) >= 3, "the kills should land inside SMTP transactions too"
    assert all(count == 1 for count in received.values()), received
    assert sorted(received) == sorted(p["email"] for p in batch()), db_states(settings.database)
    assert db_states(settings.database) == Counter({"sent": BATCH})
    with sqlite3.connect(f"file:{settings.database}?mode=ro", uri=True) as db:
        runs = dict(db.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())
        errors = {e for (e,) in db.execute("SELECT error FROM runs WHERE status != 'ok'")}
    assert "running" not in runs and runs["ok"] >= 2, runs
    assert errors <= {INTERRUPTED}, errors  # a run left 'running' is closed by the next one


def test_without_a_sent_folder_interrupted_sends_wait_for_a_person(tmp_path: Path) -> None:
    with SmtpSink(delay=0.3) as sink:
        settings = outreach_settings(tmp_path / "killed", sink.port)
        raise_cap(settings)
        approved(settings, batch())
        timing = reference_timing(settings, tmp_path / "reference", {})
        report = crash_loop(
            command(settings, tmp_path / "killed", {}),
            FINGERPRINT,
            timing,
            kills=6,
            rng=random.Random(7),
            invariants=lambda db: never_twice(sink),
            on=["started"],
            steps=8,
        )
        final = command(settings, tmp_path / "killed", {}).run(120)  # once more
        assert final.returncode == 0, final.stderr
    assert integrity(settings.database) == "ok"
    received = Counter(m["to"][0] for m in sink.messages)
    states = db_states(settings.database)
    assert len(report.kills) >= 6, report.describe()
    assert all(count == 1 for count in received.values()), received
    # every approved message is accounted for: sent, or flagged for a person
    assert states["sent"] + states["needs_review"] == BATCH, states
    assert states["needs_review"] >= 1, states
    assert states["sent"] <= len(received)
