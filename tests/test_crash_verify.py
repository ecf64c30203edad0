"""Crash safety of ``prospector verify`` under SIGKILL, on the local demo web: forty-odd
earned links (every demo link to our site, and pages that never linked to us) and the demo's
syndicated copies are verified by a command killed at 20 and more distinct points and run
again each time, then run to completion.

A killed run and the run after it are one round of checks (``prospector.verify.resume``): no
link is checked twice in the round, so a link found missing by the killed run is not found
missing again seconds later and declared lost — lost takes two rounds. The end state is the
one an uninterrupted run reaches on a copy of the same database, round after round, and no run
stays 'running'. A second verify while one runs is refused in one line.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.store import open_db
from prospector.store.locks import INTERRUPTED
from prospector.verify.placements import record_placement
from tests.cli_helpers import prospector
from tests.conftest import settings_for
from tests.crash_harness import (
    Command,
    connect_ro,
    counts,
    crash_loop,
    timed_run,
)

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parent.parent
OURS = "https://soilsmith.example/guides/hot-composting"
MISSING = 24  # pages that never linked to us, recorded as earned links (by import)
FINGERPRINT = counts(
    checks="SELECT count(*) FROM placement_checks",
    copy_checks="SELECT count(*) FROM syndication_checks",
    checked="SELECT (SELECT count(*) FROM placement_checks) "
    "+ (SELECT count(*) FROM syndication_checks)",
    live="SELECT count(*) FROM placements WHERE state = 'live'",
    downgraded="SELECT count(*) FROM placements WHERE state = 'downgraded'",
    lost="SELECT count(*) FROM placements WHERE state = 'lost'",
    misses="SELECT coalesce(sum(misses), 0) FROM placements",
    alerts="SELECT count(*) FROM events WHERE kind = 'alert'",
    prospects="SELECT count(*) FROM prospects",
)


@pytest.fixture(scope="module")
def remote_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWeb]:
    """The demo web answering after 30 ms, as sites far away do: a check takes a tenth of a
    second rather than a few milliseconds, so the kills land between any two checks."""
    with DemoWeb(latency_ms=30, cert_dir=tmp_path_factory.mktemp("remote-ca")) as web:
        yield web


def placements_world(web: DemoWeb, work: Path) -> Command:
    """The database with the placements and copies, and the command verifying them."""
    # one check at a time, without the browser: quick, and the kills land check by check
    settings = settings_for(web, work, verify={"render": False, "concurrency": 1})
    settings.campaigns_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(
        ROOT / "prospector" / "demo" / "demo.toml", settings.campaigns_dir / "demo.toml"
    )
    truth = default_world().truth()
    linking = {t["page"] for t in truth["links_to_ours"]}
    normal = {s["host"] for s in truth["sites"] if s["behaviour"] == "normal"}
    quiet = sorted(
        p["url"]
        for p in truth["pages"]
        if p["kind"] == "article"
        and p["host"] in normal
        and p["host"] != "soilsmith.example"
        and p["url"] not in linking
        and not any("soilsmith.example" in link["href"] for link in p["links"])
    )
    with open_db(settings.database) as store:
        for t in truth["links_to_ours"]:
            record_placement(
                store, None, t["page"], target=t["href"], campaign="demo", source="import",
                actor="test",
            )  # fmt: skip
        for url in quiet[:: max(1, len(quiet) // MISSING)][:MISSING]:
            record_placement(
                store, None, url, target=OURS, campaign="demo", source="import", actor="test"
            )
        for page in truth["pages"]:
            if page["kind"] == "syndicated":
                original = "https://soilsmith.example/guides/" + page["url"].rsplit("/", 1)[1]
                store.upsert_syndicated_copy(
                    page["url"], original, campaign="demo", require="canonical_or_noindex",
                    attribution=True, source="manual", actor="test",
                )  # fmt: skip
    data = settings.model_dump(mode="json", exclude_none=True)
    path = work / "prospector.toml"
    path.write_text(tomli_w.dumps(data))
    return Command(path, settings.database, ["verify"])


def copy_world(command: Command, work: Path) -> Command:
    """The same world in another folder (the database copied, the config pointed at it)."""
    shutil.copytree(command.config.parent, work)
    database = work / command.database.name
    for suffix in ("-wal", "-shm"):
        (work / (command.database.name + suffix)).unlink(missing_ok=True)
    with sqlite3.connect(command.database) as src, sqlite3.connect(database) as dst:
        src.backup(dst)
    text = command.config.read_text().replace(str(command.config.parent), str(work))
    (work / command.config.name).write_text(text)
    return Command(work / command.config.name, database, list(command.args))


ROUND = (
    "(SELECT count(*) FROM runs r WHERE r.job = 'verify' AND r.status = 'ok' AND r.id < {}.run_id)"
)


def invariants(db: sqlite3.Connection) -> None:
    """At every moment: one check per link and per copy in a round (never twice, across the
    killed runs and their reruns; a round ends with a run that finished), one alert per loss,
    one reclaim prospect per placement, and lost only after two misses."""
    twice = db.execute(
        f"SELECT placement_id, {ROUND.format('c')}, count(*) FROM placement_checks c "
        "GROUP BY 1, 2 HAVING count(*) > 1"
    ).fetchall()
    assert not twice, f"links checked twice in one round (link, round, checks): {twice}"
    twice = db.execute(
        f"SELECT copy_id, {ROUND.format('c')}, count(*) FROM syndication_checks c "
        "GROUP BY 1, 2 HAVING count(*) > 1"
    ).fetchall()
    assert not twice, f"copies checked twice in one round (copy, round, checks): {twice}"
    assert not db.execute(
        "SELECT id FROM placements WHERE state = 'lost' AND misses < 2"
    ).fetchall()
    alerts = Counter(
        db.execute("SELECT entity, entity_id FROM events WHERE kind = 'alert'").fetchall()
    )
    assert all(n == 1 for n in alerts.values()), alerts
    reclaims = Counter(db.execute("SELECT url FROM prospects WHERE type = 'reclaim'").fetchall())
    assert all(n == 1 for n in reclaims.values()), reclaims


def round_done(db: sqlite3.Connection) -> bool:
    """A verify run finished: the round is complete."""
    return bool(db.execute("SELECT 1 FROM runs WHERE job = 'verify' AND status = 'ok'").fetchone())


def ok_counts(database: Path) -> list[str]:
    db = connect_ro(database)
    try:
        return [c for (c,) in db.execute("SELECT counts FROM runs WHERE status = 'ok' ORDER BY id")]
    finally:
        db.close()


def end_state(database: Path) -> dict[str, Any]:
    db = connect_ro(database)
    try:
        return {
            "placements": db.execute(
                "SELECT id, state, misses, live_since IS NOT NULL, lost_at IS NOT NULL "
                "FROM placements ORDER BY id"
            ).fetchall(),
            "checks": sorted(
                db.execute(
                    "SELECT placement_id, outcome, page_status, http_status FROM placement_checks"
                ).fetchall()
            ),
            "copies": sorted(
                db.execute("SELECT copy_id, verdict, ok FROM syndication_checks").fetchall()
            ),
            "alerts": sorted(
                db.execute("SELECT entity, entity_id FROM events WHERE kind = 'alert'").fetchall()
            ),
            "reclaims": sorted(
                db.execute("SELECT url, state FROM prospects WHERE type = 'reclaim'").fetchall()
            ),
        }
    finally:
        db.close()


def test_verify_killed_at_20_distinct_points_checks_each_link_once_per_round(
    remote_web: DemoWeb, tmp_path: Path
) -> None:
    killed = placements_world(remote_web, tmp_path / "killed")
    reference = copy_world(killed, tmp_path / "reference")
    timing = timed_run(reference, FINGERPRINT)
    final = timing.final
    want = end_state(reference.database)
    missing = [pid for pid, outcome, *_ in want["checks"] if outcome == "missing"]
    assert len(missing) >= MISSING - 2, want["checks"]  # a robots.txt block is inconclusive
    assert final["lost"] == 0 and final["misses"] == len(missing)

    report = crash_loop(
        killed,
        FINGERPRINT,
        timing,
        kills=20,
        rng=random.Random(11),
        on=["checked"],  # progress: the share of the links and copies checked
        steps=40,
        invariants=invariants,
        done=round_done,
    )
    print(f"reference {timing.total_s}s (work {timing.work_s}s); {report.describe()}")
    assert len(report.kills) >= 20 and len(report.distinct) >= 20, report.describe()
    mid_round = [k for k in report.kills if 0 < k.fingerprint["checks"] < final["checks"]]
    assert len(mid_round) >= 15, report.describe()

    assert end_state(killed.database) == want
    # the run that completed the round counts the whole round, as the uninterrupted one did
    assert ok_counts(killed.database) == ok_counts(reference.database)
    db = connect_ro(killed.database)
    runs = dict(db.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())
    assert runs.get("ok") == 1 and runs["failed"] >= 15, runs
    errors = {e for (e,) in db.execute("SELECT error FROM runs WHERE status != 'ok'")}
    assert errors <= {INTERRUPTED}, errors  # a run left 'running' is closed by the next one

    # the next round (the runs before finished): the links missing twice are lost, once
    for command in (killed, reference):
        again = command.run(120)
        assert again.returncode == 0, again.stderr
    got, want = end_state(killed.database), end_state(reference.database)
    assert got == want
    lost = [row for row in got["placements"] if row[1] == "lost"]
    assert len(lost) == len(missing) and len(got["alerts"]) >= len(missing)
    assert len(got["reclaims"]) == len(missing)
    db = connect_ro(killed.database)
    invariants(db)
    per_link = {
        n for (n,) in db.execute("SELECT count(*) FROM placement_checks GROUP BY placement_id")
    }
    assert per_link == {2}, per_link
    assert "running" not in {s for (s,) in db.execute("SELECT status FROM runs")}


def test_an_interrupted_verify_hours_ago_does_not_spare_its_links_a_new_check(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    command = placements_world(demo_web, tmp_path)
    first = command.run(120)
    assert first.returncode == 0, first.stderr
    long_ago = (datetime.now(UTC) - timedelta(hours=7)).isoformat(timespec="seconds")
    with open_db(command.database) as store:
        # the run as a process killed seven hours ago would have left it
        store.db.execute("UPDATE runs SET status = 'running', started_at = ?", [long_ago])
    second = command.run(120)
    assert second.returncode == 0, second.stderr
    assert "not checked again" not in second.stdout
    db = connect_ro(command.database)
    per_link = {
        n for (n,) in db.execute("SELECT count(*) FROM placement_checks GROUP BY placement_id")
    }
    assert per_link == {2}
    statuses = db.execute("SELECT status, error FROM runs ORDER BY id").fetchall()
    assert statuses == [("failed", INTERRUPTED), ("ok", None)]


def test_a_second_verify_while_one_runs_is_refused_in_one_line(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    command = placements_world(demo_web, tmp_path)
    with open_db(command.database) as store:
        lock = store.job_lock("verify")
        assert lock is not None
        with lock:
            refused = prospector("--config", str(command.config), "verify")
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "another verify run" in lines[0] and "already running" in lines[0]
    assert "Traceback" not in refused.stderr
    with open_db(command.database) as store:
        assert store.db.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
