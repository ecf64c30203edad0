"""The scheduled agent as it runs in production: ``prospector agent`` in a subprocess on a
compressed schedule (six-field cron, seconds first), sending to a real SMTP server
(aiosmtpd) on loopback. Runs are recorded, overlapping runs refused, a second agent refused,
SIGTERM stops it cleanly between two messages, ``--once`` runs one job."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from prospector.agent import _missed
from prospector.config import JOBS, Settings, cron_trigger, load_settings
from prospector.errors import ConfigError
from prospector.jobs import JOB_TABLE
from tests.cli_helpers import prospector
from tests.mailservers import SmtpSink
from tests.outreach_world import outreach_settings
from tests.test_outreach_send import approved

pytestmark = [pytest.mark.integration]

EVERY_SECOND = "* * * * * *"
NEVER = dict.fromkeys(JOBS, "")


def batch(n: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "resource_page",
            "url": f"https://site{i:02d}.example/resources",
            "title": f"Resources {i}",
            "email": f"editor{i:02d}@site{i:02d}.example",
            "name": f"Reader {i}",
            "score": 90.0 - i,
        }
        for i in range(n)
    ]


def write_config(settings: Settings, **schedule: str) -> Path:
    data = settings.model_dump(mode="json", exclude_none=True)
    data["schedule"] = {**NEVER, **schedule, "timezone": "UTC"}
    data["reports_dir"] = str(settings.database.parent / "reports")
    path = settings.database.parent / "prospector.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTOR_")}


class Agent:
    """``prospector agent`` running in the background; killed at the end if still alive."""

    def __init__(self, config: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "prospector", "--config", str(config), "agent", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
        )
        self.stderr = ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        self.proc.send_signal(sig)
        _, self.stderr = self.proc.communicate(timeout=timeout)
        return self.proc.returncode

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=30)


def rows(database: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of a query; none while the agent has not created the database yet."""
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=30) as db:
        db.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in db.execute(sql, args)]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


def runs(database: Path, job: str) -> list[dict[str, Any]]:
    return rows(database, "SELECT * FROM runs WHERE job = ? ORDER BY id", job)


def wait_for(check: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)


def never_overlap(found: list[dict[str, Any]]) -> None:
    spans = sorted((r["started_at"], r["finished_at"]) for r in found)
    assert all(end is not None for _, end in spans)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, f"runs overlap: {spans}"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


def test_the_agent_runs_each_scheduled_job_again_and_again_and_records_every_run(
    tmp_path: Path, sink: SmtpSink
) -> None:
    settings = outreach_settings(tmp_path, sink.port)
    config = write_config(settings, send=EVERY_SECOND, followups="*/2 * * * * *")
    database = settings.database
    with Agent(config) as agent:
        wait_for(lambda: len(runs(database, "agent:send")) >= 3, what="three send runs")
        assert agent.stop() == 0
    # a run falling due as the stop request came is recorded as stopped, not started
    send_runs = [r for r in runs(database, "agent:send") if r["status"] != "stopped"]
    assert {r["status"] for r in send_runs} == {"ok"} and len(send_runs) >= 3
    assert all(r["finished_at"] >= r["started_at"] for r in send_runs)
    assert json.loads(send_runs[0]["counts"])["sent"] == 0
    # the core keeps its own rows, as when a person runs 'prospector send'
    assert len(runs(database, "send")) == len(send_runs)
    assert {r["status"] for r in runs(database, "agent:followups")} <= {"ok", "stopped"}
    assert runs(database, "agent:replies") == [] and runs(database, "agent:prospect") == []
    assert "send started (run" in agent.stderr and "send ok in" in agent.stderr
    assert "SIGTERM received" in agent.stderr and "agent stopped" in agent.stderr
    assert "Traceback" not in agent.stderr
    # one timestamped line per event
    assert all(line[:4].isdigit() and "T" in line[:11] for line in agent.stderr.splitlines())


def test_a_second_agent_on_the_same_database_is_refused_and_a_killed_one_blocks_nobody(
    tmp_path: Path, sink: SmtpSink
) -> None:
    settings = outreach_settings(tmp_path, sink.port, sending={"min_gap_s": 30.0})
    approved(settings, batch(2))  # the send run waits 30 s after the first message
    config = write_config(settings, send=EVERY_SECOND)
    lock = Path(f"{settings.database}.agent.lock")
    with Agent(config) as first:
        wait_for(lambda: len(sink.messages) == 1, what="the first message")
        pid = first.proc.pid
        assert lock.read_text().strip() == str(pid)
        for args in ((), ("--once", "followups")):
            second = prospector("--config", str(config), "agent", *args, timeout=60)
            assert second.returncode == 1
            assert second.stderr.count("\n") == 1, second.stderr
            assert f"another agent on {settings.database} is already running" in second.stderr
            assert f"pid {pid}" in second.stderr and str(lock) in second.stderr
        # SIGKILL in the middle of a send run: no goodbye, the kernel drops the lock
        first.proc.kill()
        first.proc.communicate(timeout=30)
    made = [r for r in runs(settings.database, "agent:send") if r["status"] != "skipped"]
    assert [r["status"] for r in made] == ["running"]
    again = prospector("--config", str(config), "agent", "--once", "followups", timeout=60)
    assert again.returncode == 0, again.stderr
    assert {r["status"] for r in runs(settings.database, "agent:followups")} == {"ok"}
    # the run the killed agent left 'running' is closed when the next agent takes the lock
    left = next(r for r in runs(settings.database, "agent:send") if r["id"] == made[0]["id"])
    assert left["status"] == "failed" and "killed or crashed" in left["error"]
    assert "left running by a stopped agent" in again.stderr


def test_a_job_slower_than_its_schedule_never_overlaps_itself_and_sends_each_message_once(
    tmp_path: Path, sink: SmtpSink
) -> None:
    settings = outreach_settings(tmp_path, sink.port, sending={"min_gap_s": 1.5})
    approved(settings, batch(4))  # about 4.5 s of sending, scheduled every second
    config = write_config(settings, send=EVERY_SECOND)
    with Agent(config) as agent:
        wait_for(lambda: len(sink.messages) == 4, timeout=60, what="four messages")
        wait_for(
            lambda: any(
                r["status"] == "ok" and json.loads(r["counts"])["sent"] == 0
                for r in runs(settings.database, "agent:send")
            ),
            what="a send run after the batch",
        )
        assert agent.stop() == 0
    made = [r for r in runs(settings.database, "agent:send") if r["status"] != "skipped"]
    never_overlap(made)
    never_overlap(runs(settings.database, "send"))
    refused = [r for r in runs(settings.database, "agent:send") if r["status"] == "skipped"]
    assert refused and all("the previous run is still going" in r["error"] for r in refused)
    assert sum(json.loads(r["counts"]).get("sent", 0) for r in made) == 4
    assert sorted(m["to"][0] for m in sink.messages) == sorted(p["email"] for p in batch(4))
    states = rows(settings.database, "SELECT state FROM messages")
    assert [s["state"] for s in states] == ["sent"] * 4


def test_sigterm_during_a_send_batch_stops_after_the_current_message_and_leaves_a_sound_db(
    tmp_path: Path, sink: SmtpSink
) -> None:
    settings = outreach_settings(tmp_path, sink.port, sending={"min_gap_s": 3.0})
    approved(settings, batch(5))
    config = write_config(settings, send=EVERY_SECOND)
    with Agent(config) as agent:
        wait_for(lambda: len(sink.messages) >= 1, timeout=30, what="the first message")
        started = time.monotonic()
        assert agent.stop() == 0
        took = time.monotonic() - started
    assert took < 5, f"the agent took {took:.1f}s to stop"  # the batch has 12 s to go
    database = settings.database
    assert rows(database, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    states = [r["state"] for r in rows(database, "SELECT state FROM messages")]
    assert "sending" not in states
    assert states.count("sent") == len(sink.messages) < 5
    assert states.count("approved") == 5 - len(sink.messages)  # nothing lost, sent later
    assert rows(database, "SELECT id FROM runs WHERE status = 'running'") == []
    last = runs(database, "agent:send")[-1]
    assert last["status"] == "stopped" and "between two messages" in last["error"]
    assert "SIGTERM received" in agent.stderr


def test_a_failing_job_is_recorded_and_the_agent_goes_on(tmp_path: Path, sink: SmtpSink) -> None:
    settings = outreach_settings(tmp_path, sink.port)
    (settings.campaigns_dir / "broken.toml").write_text("name = \n")
    config = write_config(settings, followups=EVERY_SECOND, replies=EVERY_SECOND)
    with Agent(config) as agent:
        wait_for(lambda: len(runs(settings.database, "agent:followups")) >= 2, what="2 runs")
        assert agent.proc.poll() is None
        assert agent.stop() == 0
    failed = [r for r in runs(settings.database, "agent:followups") if r["status"] != "stopped"]
    assert {r["status"] for r in failed} == {"failed"}
    assert all("broken.toml" in r["error"] for r in failed)
    skipped = [r for r in runs(settings.database, "agent:replies") if r["status"] != "stopped"]
    assert skipped and {r["status"] for r in skipped} == {"skipped"}
    assert all(r["error"] == "no IMAP server: imap.host is not set" for r in skipped)
    assert "followups failed in" in agent.stderr and "broken.toml" in agent.stderr


def test_once_runs_one_job_in_the_foreground_and_exits(tmp_path: Path, sink: SmtpSink) -> None:
    settings = outreach_settings(tmp_path, sink.port)
    approved(settings)
    config = write_config(settings)  # nothing scheduled: --once does not need a schedule
    done = prospector("--config", str(config), "agent", "--once", "send", "--json")
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["status"] == "ok" and outcome["counts"]["sent"] == 3 == len(sink.messages)
    assert "send started" in done.stderr and "send ok in" in done.stderr
    assert [r["status"] for r in runs(settings.database, "agent:send")] == ["ok"]
    assert [r["status"] for r in runs(settings.database, "send")] == ["ok"]

    report = prospector("--config", str(config), "agent", "--once", "report")
    assert report.returncode == 0, report.stderr
    assert len(list((tmp_path / "reports").glob("report-*.html"))) == 1

    skipped = prospector("--config", str(config), "agent", "--once", "replies")
    assert skipped.returncode == 0
    assert "replies skipped" in skipped.stderr and "imap.host is not set" in skipped.stderr

    for bad in (("--once", "nosuchjob"), ("--once", "send", "--list")):
        usage = prospector("--config", str(config), "agent", *bad)
        assert usage.returncode == 2 and usage.stdout == ""
        assert usage.stderr.count("\n") == 1, usage.stderr


def test_once_with_an_unknown_job_is_a_one_line_usage_error(tmp_path: Path) -> None:
    done = prospector("agent", "--once", "nosuchjob", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "error: no job 'nosuchjob' (jobs: prospect, send, followups, replies, verify, report)\n"
    )


def test_list_shows_each_jobs_schedule_and_next_run(tmp_path: Path, sink: SmtpSink) -> None:
    settings = outreach_settings(tmp_path, sink.port)
    config = write_config(settings, send="0 */15 9-17 * * mon-fri", report="30 7 * * *")
    done = prospector("--config", str(config), "agent", "--list", "--json")
    assert done.returncode == 0, done.stderr
    listed = {p["job"]: p for p in json.loads(done.stdout)}
    assert list(listed) == list(JOBS)
    report = datetime.fromisoformat(listed["report"]["next_at"])
    assert report > datetime.now(UTC) and (report.hour, report.minute) == (7, 30)
    assert listed["prospect"]["next_at"] is None and listed["prospect"]["cron"] == ""
    table = prospector("--config", str(config), "agent", "--list")
    assert table.returncode == 0 and "never" in table.stdout and "report" in table.stdout


def test_schedule_accepts_a_seconds_field_and_refuses_numbered_weekdays() -> None:
    ok = load_settings(None, env={}, overrides={"schedule": {"send": "*/5 * * * * mon-fri"}})
    assert ok.schedule.send == "*/5 * * * * mon-fri"
    start = datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC)  # a Monday
    fire = cron_trigger(ok.schedule.send, "UTC").get_next_fire_time(None, start)
    assert fire == datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
    for bad in ("0 9 * * 1-5", "0 9 * *", "1 2 3 4 5 6 7"):
        with pytest.raises(ConfigError, match="is not a cron expression"):
            load_settings(None, env={}, overrides={"schedule": {"send": bad}})


def test_a_run_missed_while_no_agent_ran_is_made_at_start_only_within_the_grace() -> None:
    trigger = cron_trigger("0 6 * * *", "UTC")
    now = datetime(2026, 3, 2, 6, 20, tzinfo=UTC)
    yesterday = {"started_at": "2026-03-01T06:00:00.1+00:00"}
    today = {"started_at": "2026-03-02T06:00:00.2+00:00"}
    assert _missed(trigger, yesterday, now, grace_s=3600)
    assert not _missed(trigger, yesterday, now, grace_s=600)  # 20 minutes late > 10
    assert not _missed(trigger, today, now, grace_s=3600)  # already made
    assert not _missed(trigger, None, now, grace_s=3600)  # a first start catches nothing up
    assert not _missed(trigger, yesterday, now - timedelta(minutes=30), grace_s=3600)


def test_every_configured_job_has_a_function() -> None:
    assert tuple(JOB_TABLE) == JOBS
