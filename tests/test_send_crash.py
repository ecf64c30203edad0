"""Exactly once under SIGKILL: ``prospector send`` is killed at many points of a batch and
run again until the batch is done. No recipient gets a message twice, no approved message
is lost, and the database stays sound.

The SMTP server (aiosmtpd) files every message it accepts in the mailbox's Sent folder on
a real Dovecot, as hosted mail services do, and holds its final 250 a little, so that many
kills land between "the server has it" and "we recorded it".
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from prospector.config import Settings
from tests.mailservers import Dovecot, SmtpSink
from tests.outreach_world import outreach_settings
from tests.test_outreach_send import approved

pytestmark = [pytest.mark.integration]

BATCH = 24


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


def write_config(settings: Settings, path: Path) -> Path:
    campaign = settings.campaigns_dir / "example.toml"
    campaign.write_text(
        campaign.read_text().replace("max_sends_per_day = 20", "max_sends_per_day = 100")
    )
    data = settings.model_dump(mode="json", exclude_none=True)
    path.write_text(tomli_w.dumps(data))
    return path


def start_send(config: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "prospector", "--config", str(config), "send"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def kill_somewhere(proc: subprocess.Popen[bytes], sink: SmtpSink, rng: random.Random) -> bool:
    """Kill the sender after it has handed over 0-1 more messages plus a random moment;
    True when it was still running (a real kill)."""
    start = len(sink.messages)
    wanted = start + rng.randint(0, 1)
    deadline = time.monotonic() + 20
    while len(sink.messages) < wanted and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.25))
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    return alive


def db_states(database: Path) -> Counter[str]:
    with sqlite3.connect(database) as db:
        return Counter(row[0] for row in db.execute("SELECT state FROM messages"))


def integrity(database: Path) -> str:
    with sqlite3.connect(database) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def env_with(extra: dict[str, str]) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTOR_")}
    env.update(extra)
    return env


def test_sigkill_at_many_points_never_sends_twice_and_loses_nothing(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    rng = random.Random(20261124)
    sink = SmtpSink(delay=0.2, on_accept=lambda data: dovecot.deliver(data, "Sent"))
    with sink:
        settings = outreach_settings(
            tmp_path,
            sink.port,
            imap={
                "host": "127.0.0.1",
                "port": dovecot.port,
                "security": "none",
                "username": Dovecot.user,
                "password_env": "TEST_IMAP_SECRET",
                "sent_mailbox": "Sent",
            },
            sending={"reconcile_after_minutes": 0.0},
        )
        approved(settings, batch())
        config = write_config(settings, tmp_path / "prospector.toml")
        env = env_with({"TEST_IMAP_SECRET": Dovecot.password})
        kills, interrupted = 0, 0
        for _ in range(60):
            if db_states(settings.database)["sent"] == BATCH:
                break
            proc = start_send(config, env)
            kills += kill_somewhere(proc, sink, rng)
            time.sleep(0.3)  # let the server finish what it was given
            interrupted += db_states(settings.database)["sending"]
            assert integrity(settings.database) == "ok"
        final = subprocess.run(
            [sys.executable, "-m", "prospector", "--config", str(config), "send"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert final.returncode == 0, final.stderr
    received = Counter(m["to"][0] for m in sink.messages)
    assert kills >= 20, kills
    assert interrupted >= 3, "the kills should land inside SMTP transactions too"
    assert all(count == 1 for count in received.values()), received
    assert sorted(received) == sorted(p["email"] for p in batch()), (
        db_states(settings.database),
        final.stdout,
    )
    assert db_states(settings.database) == Counter({"sent": BATCH})
    assert integrity(settings.database) == "ok"


def test_without_a_sent_folder_interrupted_sends_wait_for_a_person(tmp_path: Path) -> None:
    rng = random.Random(7)
    with SmtpSink(delay=0.3) as sink:
        settings = outreach_settings(tmp_path, sink.port)
        approved(settings, batch())
        config = write_config(settings, tmp_path / "prospector.toml")
        env = env_with({})
        for _ in range(6):
            proc = start_send(config, env)
            kill_somewhere(proc, sink, rng)
            time.sleep(0.4)
        subprocess.run(
            [sys.executable, "-m", "prospector", "--config", str(config), "send"],
            env=env,
            capture_output=True,
            timeout=120,
            check=True,
        )
    received = Counter(m["to"][0] for m in sink.messages)
    states = db_states(settings.database)
    assert all(count == 1 for count in received.values()), received
    # every approved message is accounted for: sent, or flagged for a person
    assert states["sent"] + states["needs_review"] == BATCH, states
    assert states["needs_review"] >= 1, states
    assert states["sent"] <= len(received)
    assert integrity(settings.database) == "ok"
