"""The soak: ``prospector agent`` as ONE long-lived process for the equivalent of a week.

Ten campaigns against the local multi-host web, a real SMTP sink and a private Dovecot. The
schedule is compressed (six-field cron, seconds first): one day lasts a minute, 1,440 times
faster than real time, and each day runs prospect, followups, send, replies, report and
verify once, in that order (``tests/soak_world.py``). Between the jobs the test plays the
world: approvals, replies and bounces arriving in Dovecot, links appearing on the pitched
pages, the nights passing.

After every job run (the runs the agent records tell when one ended) and between runs, the
agent is measured from /proc (``tests/soak_probe.py``): memory (RSS, PSS), open file
descriptors, threads, the processes below it. After a warm-up of two days memory must stay
flat and fds and threads must not grow; no Chromium may be alive between jobs. The week ends
with SIGTERM while the last day's verify job has Chromium running: the agent must finish
that run and leave no browser behind. Every scheduled run is recorded, none left running.

``make soak`` runs it (``pytest -m soak -rP`` prints the table of measurements);
``SOAK_RESULTS_MD=bench/RESULTS.md`` also writes that table into the file's Soak section.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from prospector.config import JOBS, load_settings
from prospector.demo.server import DemoWeb
from tests.mailservers import Dovecot, SmtpSink
from tests.soak_probe import Probe, Snapshot, fit_slope, quiet_spells, results_table, subreaper
from tests.soak_world import DAY_S, IMAP_PASSWORD_ENV, World, write_config

pytestmark = [pytest.mark.soak, pytest.mark.integration, pytest.mark.browser]

DAYS = 7
WARM_UP = 2  # days left out of the comparison: imports, caches, the pool's threads
# After the warm-up, the agent's peak RSS may exceed the warm-up's by at most this much, and
# the daily peaks may climb by at most this much a day (least-squares slope).
RSS_GROWTH_MB = 16.0
RSS_SLOPE_MB = 4.0


def agent_runs(database: Path) -> list[dict[str, Any]]:
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=30) as db:
        db.row_factory = sqlite3.Row
        try:
            found = db.execute("SELECT * FROM runs WHERE job LIKE 'agent:%' ORDER BY id")
            rows = [dict(row) for row in found]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
    db.close()
    return rows


def first_fires(log: str) -> dict[str, datetime]:
    """When the agent said each job would first run ("send: '40 * * * * *', next at ...")."""
    found = re.findall(r"INFO (\w+): '[^']*', next at (\S+)$", log, re.MULTILINE)
    return {job: datetime.fromisoformat(at) for job, at in found}


class Week:
    """The days of the schedule: day 1 starts at the first prospect run."""

    def __init__(self, start: datetime) -> None:
        self.start = start

    def day(self, at: datetime) -> int:
        return 1 + int((at - self.start).total_seconds() // DAY_S)

    def of(self, run: dict[str, Any]) -> int:
        return self.day(datetime.fromisoformat(run["started_at"]))


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[DemoWeb, SmtpSink]]:
    with DemoWeb(cert_dir=tmp_path / "ca") as web, SmtpSink() as sink:
        yield web, sink


@pytest.fixture
def reaper() -> Iterator[None]:
    with subreaper():
        yield


@pytest.mark.timeout(1200)
def test_a_week_of_scheduled_runs_on_ten_campaigns_leaks_no_memory_fds_threads_or_browsers(
    tmp_path: Path, servers: tuple[DemoWeb, SmtpSink], dovecot: Dovecot, reaper: None
) -> None:
    web, sink = servers
    config = write_config(tmp_path, web, sink, dovecot)
    settings = load_settings(config, env={})
    world = World(settings, web, dovecot)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTOR_")}
    env[IMAP_PASSWORD_ENV] = dovecot.password
    log_path = tmp_path / "agent.log"
    probe, began = Probe(), time.monotonic()
    with log_path.open("w") as log:
        agent = subprocess.Popen(
            [sys.executable, "-m", "prospector", "--config", str(config), "agent"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        snapshots, week, seen = watch(agent, probe, settings.database, world, log_path)
        stopped_at, stopping = datetime.now(UTC), time.monotonic()
        agent.send_signal(signal.SIGTERM)
        code = agent.wait(timeout=180)
        stop_s = time.monotonic() - stopping
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait(timeout=30)
        (tmp_path / "world.log").write_text("\n".join(world.journal) + "\n")
    text = log_path.read_text()
    runs = agent_runs(settings.database)
    table = results_table(snapshots, [(week.of(r), r) for r in runs], world.did, DAY_S, WARM_UP)
    table += (
        f"\nSIGTERM came during the last verify run, with {snapshots[-1].browsers} Chromium "
        f"processes up; the agent finished that run and exited {code} {stop_s:.1f} s later. "
        f"The week took {time.monotonic() - began:.0f} s on {os.cpu_count()} cores. Bounds: "
        f"after the warm-up, a peak at most {RSS_GROWTH_MB:g} MiB over the warm-up's and a "
        f"trend of at most {RSS_SLOPE_MB:g} MiB a day; between runs, no more fds than in the "
        f"first quiet spell and at most {2 + len(JOBS)} threads.\n"
    )
    print(table)
    (tmp_path / "soak-samples.json").write_text(json.dumps([s.as_dict() for s in snapshots]))
    if os.environ.get("SOAK_RESULTS_MD"):
        from bench.results import write_section

        write_section("## Soak (tests/test_soak.py)", table, Path(os.environ["SOAK_RESULTS_MD"]))
    assert code == 0 and "Traceback" not in text, text[-3000:]
    assert "SIGTERM received" in text and "agent stopped" in text

    # every scheduled run is recorded and ended: ok, or refused while the day before's run
    # of the same job was still going (the first day's discovery can outlast a day)
    refused = [r for r in runs if r["status"] == "skipped"]
    assert all("the previous run is still going" in r["error"] for r in refused), refused
    assert {r["status"] for r in runs} <= {"ok", "stopped", "skipped"}, failed(runs)
    fires = first_fires(text)
    for job in JOBS:
        mine = [r for r in runs if r["job"] == f"agent:{job}"]
        due = fires_until(fires[job], stopped_at)
        assert due - 1 <= len(mine) <= due + 1, (job, due, mine)
        assert sum(1 for r in mine if r["status"] == "ok" and week.of(r) >= 1) >= DAYS, mine
    with sqlite3.connect(settings.database) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.close()

    # the week did real work: pitches and follow-ups went out, replies read, links verified
    assert len(sink.messages) >= 20 and world.did["followups_sent"] >= 1, world.did
    assert world.did["positive_replies"] >= 3 and seen["links_live"] >= 3, seen

    # browsers: seen while jobs ran (the probe can see them), never between jobs, none after
    spells = quiet_spells(snapshots)
    assert len(spells) >= DAYS, len(spells)
    assert max(s.browsers for s in snapshots if not s.idle) >= 1, "the probe saw no Chromium"
    assert [(s.day, s.children) for s in spells if s.children] == []
    assert [(s.day, s.lingering()) for s in spells if s.lingering()] == []
    # the verify run that SIGTERM interrupted finished, and its browser is gone
    last = [r for r in runs if r["job"] == "agent:verify"][-1]
    stopped = stopped_at.isoformat(timespec="seconds")
    assert last["status"] == "ok" and last["finished_at"] >= stopped, (stopped, last)
    wait_for(lambda: not probe.alive(probe.browsers_seen), "Chromium outlived the agent")
    wait_for(lambda: not probe.escaped(), "the agent's browsers left processes behind")

    # memory is flat after the warm-up; fds and threads do not grow
    warm = [s for s in snapshots if s.job and 1 <= s.day <= WARM_UP]
    later = [s for s in snapshots if s.job and s.day > WARM_UP]
    peak_warm = max(s.rss_kb for s in warm) / 1024
    peaks = [
        (day, max(s.rss_kb for s in later if s.day == day) / 1024)
        for day in sorted({s.day for s in later})
    ]
    assert max(p for _, p in peaks) <= peak_warm + RSS_GROWTH_MB, (peak_warm, peaks)
    assert fit_slope(peaks) <= RSS_SLOPE_MB, peaks
    # through every quiet spell: the fds of the first one (stdio, the agent lock) and no more
    # (no database connection, socket or event loop); the scheduler's thread and a pool
    # thread per job at most
    assert [(s.day, s.fd_kinds) for s in spells if s.fds > spells[0].fds] == []
    assert [s.fd_kinds for s in spells if s.fd_kinds.keys() & {"db", "socket", "eventpoll"}] == []
    assert [(s.day, s.threads) for s in spells if s.threads > 2 + len(JOBS)] == []


def wait_for(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Processes end a moment after their parent; wait for ``check``, within a bound."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def failed(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in runs if r["status"] not in ("ok", "stopped", "skipped")]


def fires_until(first: datetime, end: datetime) -> int:
    """How many times a job that runs once a day from ``first`` fell due until ``end``."""
    return int((end - first).total_seconds() // DAY_S) + 1 if end >= first else 0


def watch(
    agent: subprocess.Popen[bytes], probe: Probe, database: Path, world: World, log_path: Path
) -> tuple[list[Snapshot], Week, Counter[str]]:
    """Sample the agent and play the world as runs end, until every job has run ok on DAYS
    days but verify, whose last run is going with its Chromium up (a run refused while the
    day before's was still going adds a day). Snapshots are kept after each run, and every
    second or two between."""
    snapshots: list[Snapshot] = []
    seen: Counter[str] = Counter()
    finished: set[int] = set()
    deadline = time.monotonic() + (DAYS + 5) * DAY_S + 120
    week: Week | None = None
    while True:
        assert agent.poll() is None, log_path.read_text()[-3000:]
        assert time.monotonic() < deadline, "the week did not end in time"
        if week is None and "prospect" in (fires := first_fires(log_path.read_text())):
            week = Week(fires["prospect"])
        before = agent_runs(database)
        snap = probe.snapshot(agent.pid)
        after = agent_runs(database)
        if week is None:
            time.sleep(0.25)
            continue
        snap.day = week.day(datetime.now(UTC))
        running = {r["job"] for r in before + after if r["status"] == "running"}
        snap.idle = len(before) == len(after) and not running
        for run in [r for r in after if r["finished_at"] and r["id"] not in finished]:
            finished.add(run["id"])
            job = run["job"].removeprefix("agent:")
            snapshots.append(snap.copy(job=job, status=run["status"], day=week.of(run)))
            if run["status"] == "ok":
                react(world, job, json.loads(run["counts"] or "{}"), seen)
        if not snapshots or snap.at - snapshots[-1].at >= (2.0 if snap.idle else 1.0):
            snapshots.append(snap)
        done = Counter(r["job"] for r in after if r["status"] == "ok" and week.of(r) >= 1)
        last_day = all(done[f"agent:{job}"] >= DAYS - (job == "verify") for job in JOBS)
        if last_day and running == {"agent:verify"} and snap.browsers:
            snapshots.append(snap)
            return snapshots, week, seen
        time.sleep(0.25)


def react(world: World, job: str, counts: dict[str, int], seen: Counter[str]) -> None:
    """What the world does when a run ends."""
    if job == "prospect":
        world.approve_best()
    elif job == "send":
        seen["sent"] += counts.get("sent", 0)
        world.answer()
    elif job == "replies":
        seen["replies_processed"] += counts.get("processed", 0)
    elif job == "verify":
        seen["links_live"] = max(seen["links_live"], counts.get("links_live", 0))
    elif job == "report":
        world.night()
