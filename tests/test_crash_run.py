"""Crash safety of ``prospector run`` under SIGKILL: a discovery run on the local demo web
(search, crawl with Chromium, link checks, qualify, drafts) is killed at 20 and more distinct
points of its work and run again each time, then run to completion. It ends exactly where
one uninterrupted run on a fresh database ends — the same prospects, pages, links, contacts
and drafts, nothing twice — with no run left 'running' and the database sound.

The link-check windows are the defaults (re-check after 20 hours, confirm a death after 6),
as in daily use: a link checked by a killed attempt is not checked again minutes later, so
the interrupted path and the reference reach the same opportunities.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from bench.discovery.evaluate import settings_for
from prospector.campaigns import Campaign, load_campaign
from prospector.config import Settings, load_settings
from prospector.demo.server import DemoWeb
from prospector.discover.runner import discover
from prospector.store import open_db
from prospector.store.locks import INTERRUPTED
from tests.cli_helpers import prospector
from tests.crash_harness import (
    Command,
    Fingerprint,
    connect_ro,
    counts,
    crash_loop,
    timed_run,
)
from tests.local_server import LocalServer, fixed
from tests.outreach_world import POSTAL

pytestmark = [pytest.mark.integration]

FINGERPRINT = counts(
    candidates="SELECT count(*) FROM candidates",
    visited="SELECT count(*) FROM candidates WHERE state != 'new'",
    pages="SELECT count(*) FROM pages",
    search="SELECT count(*) FROM search_cache",
    checks="SELECT count(*) FROM url_checks",
    prospects="SELECT count(*) FROM prospects",
    unscored="SELECT count(*) FROM prospects WHERE state = 'new'",
    qualified="SELECT count(*) FROM prospects WHERE state = 'qualified'",
    contacts="SELECT count(*) FROM contacts",
    authority="SELECT count(*) FROM authority",
    drafts="SELECT count(*) FROM messages",
)


def config(web: DemoWeb, work: Path) -> Command:
    settings = settings_for(web, work)
    data: dict[str, Any] = settings.model_dump(mode="json", exclude_none=True)
    data["discovery"] |= {
        "recheck_after_hours": 20.0,
        "confirm_dead_after_hours": 6.0,
        "probe_paths": ["/write-for-us", "/contribute", "/resources", "/links"],
    }
    data["search"] |= {"pages_per_query": 1}
    # a slow demo host answers after 3 s: with 2.5 s it times out on every attempt alike
    data["fetch"] |= {"timeout_s": 2.5, "connect_timeout_s": 2.5}
    campaign = work / "campaigns" / "demo.toml"
    text = campaign.read_text()
    keywords = next(line for line in text.splitlines() if line.startswith("keywords = "))
    campaign.write_text(text.replace(keywords, 'keywords = ["composting", "worm bin"]', 1))
    data["sender"] = {
        "name": "Sam Rivera",
        "email": "outreach@soilsmith.example",
        "organisation": "Soilsmith",
        "postal_address": POSTAL,
        "timezone": "UTC",
    }
    path = work / "prospector.toml"
    path.write_text(tomli_w.dumps(data))
    return Command(path, settings.database, ["run", "demo", "--json"])


def invariants(db: sqlite3.Connection) -> None:
    """What must hold at every moment, killed or not."""
    for sql in (
        "SELECT campaign, type, url FROM prospects",
        "SELECT url FROM pages",
        "SELECT campaign, url FROM candidates",
        "SELECT prospect_id, coalesce(email, ''), coalesce(form_url, '') FROM contacts",
        "SELECT prospect_id, step FROM messages",
        "SELECT url FROM url_checks",  # re-checked only after 20 hours
        "SELECT entity_id FROM events WHERE entity = 'prospect' AND kind = 'found'",
        "SELECT entity_id FROM events WHERE entity = 'prospect' AND kind = 'drafted'",
        "SELECT entity_id FROM events WHERE entity = 'message' AND kind = 'draft'",
    ):
        rows = db.execute(sql).fetchall()
        twice = [row for row, n in Counter(rows).items() if n > 1]
        assert not twice, (sql, twice[:5])
    crowded = db.execute(
        "SELECT campaign, domain, count(*) FROM prospects WHERE state NOT IN ('rejected') "
        "GROUP BY campaign, domain HAVING count(*) > 1"
    ).fetchall()
    assert not crowded, f"one prospect per domain: {crowded}"
    orphans = db.execute(
        "SELECT count(*) FROM links WHERE page_id NOT IN (SELECT id FROM pages)"
    ).fetchone()[0]
    assert orphans == 0


def outcome(database: Path) -> dict[str, Any]:
    """What a run leaves, by natural keys (ids and times differ from run to run)."""
    db = connect_ro(database)
    try:
        return {
            "prospects": sorted(
                db.execute("SELECT type, url, state, score FROM prospects").fetchall()
            ),
            "pages": sorted(db.execute("SELECT url, http_status FROM pages").fetchall()),
            "links": sorted(
                db.execute(
                    "SELECT p.url, count(l.id) FROM pages p LEFT JOIN links l "
                    "ON l.page_id = p.id GROUP BY p.url"
                ).fetchall()
            ),
            "candidates": sorted(db.execute("SELECT url, state FROM candidates").fetchall()),
            "checks": {
                url: (verdict, status)
                for url, verdict, status in db.execute(
                    "SELECT url, verdict, status FROM url_checks"
                )
            },
            "contacts": sorted(
                db.execute(
                    "SELECT p.url, coalesce(c.email, c.form_url) FROM contacts c "
                    "JOIN prospects p ON p.id = c.prospect_id"
                ).fetchall()
            ),
            "drafts": sorted(
                db.execute(
                    "SELECT p.url, m.to_email, m.state FROM messages m "
                    "JOIN prospects p ON p.id = m.prospect_id"
                ).fetchall()
            ),
            "dead_links": sorted(
                (url, d["href"])
                for url, evidence in db.execute(
                    "SELECT url, evidence FROM prospects WHERE type = 'broken_link'"
                ).fetchall()
                for d in json.loads(evidence).get("dead_links", [])
            ),
        }
    finally:
        db.close()


def same_checks(got: dict[str, Any], want: dict[str, Any]) -> None:
    """The same links checked, with the same verdicts — but a check that timed out on one
    side only is the machine's load (Chromium starting again after each kill), not a crash:
    it is inconclusive, and never makes an opportunity."""
    assert sorted(got) == sorted(want)
    differ = {url: (got[url], want[url]) for url in want if got[url] != want[url]}
    assert all("timeout" in (a[1], b[1]) for a, b in differ.values()), differ
    assert len(differ) <= 3, differ


def phase(final: Fingerprint) -> Any:
    def label(at: Fingerprint) -> str:
        if at.get("visited", 0) == 0:
            return "start-up and search"
        if at["visited"] < at["candidates"]:
            return "crawl"
        if at["checks"] < final["checks"]:
            return "link checks"
        if at["unscored"] or at["prospects"] < final["prospects"]:
            return "qualify"
        return "drafts"

    return label


@pytest.mark.browser
def test_run_killed_at_20_distinct_points_ends_like_one_uninterrupted_run(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    reference = config(demo_web, tmp_path / "reference")
    timing = timed_run(reference, FINGERPRINT)
    final = timing.final
    killed = config(demo_web, tmp_path / "killed")
    report = crash_loop(
        killed,
        FINGERPRINT,
        timing,
        kills=20,
        rng=random.Random(9),
        steps=40,  # link checks, authority and drafts come in bursts that skip steps
        invariants=invariants,
    )
    print(f"reference {timing.total_s}s (work {timing.work_s}s); {report.describe()}")
    assert len(report.kills) >= 20 and len(report.distinct) >= 20, report.describe()
    phases = report.phases(phase(final))
    print(dict(phases))
    assert len(phases) >= 4, phases  # the kills spread over the run, not only its start
    got, want = outcome(killed.database), outcome(reference.database)
    same_checks(got.pop("checks"), want.pop("checks"))
    for key in want:
        assert got[key] == want[key], key
    again = killed.run(180)  # once more: it continues nothing and duplicates nothing
    assert again.returncode == 0, again.stderr
    assert {k: v for k, v in outcome(killed.database).items() if k != "checks"} == want
    db = connect_ro(killed.database)
    invariants(db)
    runs = dict(db.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())
    assert "running" not in runs and runs["ok"] >= 2, runs
    errors = {e for (e,) in db.execute("SELECT error FROM runs WHERE status != 'ok'")}
    assert errors <= {INTERRUPTED}, errors  # a run left 'running' is closed by the next one


def test_a_second_run_of_a_campaign_while_one_runs_is_refused_in_one_line(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    command = config(demo_web, tmp_path)
    with open_db(command.database) as store:
        lock = store.job_lock("prospect", "demo")
        assert lock is not None
        with lock:
            refused = prospector("--config", str(command.config), "run", "demo")
        assert store.db.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "another prospect run of campaign 'demo'" in lines[0]
    assert "already running" in lines[0]


NOTES = (
    "<p>We keep two heaps going all year and turn the active one every week; a thermometer "
    "says when it needs turning again, and the finished heap goes on the beds in spring.</p>"
)
HOME = (
    "<!doctype html><html><head><title>Plotwise: composting at home</title></head><body>"
    "<main><article><h1>Composting at home</h1>"
    + NOTES * 4
    + "<p>More notes on composting every month.</p></article></main></body></html>"
).encode()
GUIDELINES = (
    b"<!doctype html><html><head><title>Write for us</title></head><body><main><article>"
    b"<h1>Write for us</h1><p>We accept guest posts from practitioners. Submit your article "
    b"pitch with a short outline and two writing samples to "
    b'<a href="mailto:editor@plotwise.test">editor@plotwise.test</a>.</p>'
    b"<h2>Contributor guidelines</h2><p>Articles should be original, between 800 and 1500 "
    b"words, with your own photographs; we edit for length and add an author bio with one "
    b"link to your site.</p></article></main></body></html>"
)
CAMPAIGN = """
name = "plots"
keywords = ["composting"]
opportunity_types = ["guest_post"]

[[targets]]
url = "https://soilsmith.example/guides/hot-composting"
title = "The complete guide to hot composting"
summary = "How to build, turn and troubleshoot a hot compost pile that finishes in weeks."

[seeds]
sites = ["http://plotwise.test/"]
"""


def plots(tmp_path: Path, port: int, pages_per_run: int) -> tuple[Settings, Campaign]:
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir(parents=True, exist_ok=True)
    (campaigns / "plots.toml").write_text(CAMPAIGN)
    settings = load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "prospector.db"),
            "campaigns_dir": str(campaigns),
            "network": {"resolve": {"plotwise.test": f"127.0.0.1:{port}"}},
            "fetch": {"min_host_gap_s": 0.0},
            "discovery": {
                "concurrency": 1,
                "render": "never",
                "sitemaps": False,
                "probe_paths": ["/write-for-us"],
                "max_pages_per_run": pages_per_run,
            },
        },
    )
    return settings, load_campaign(campaigns / "plots.toml")


def guest_posts(settings: Settings, campaign: Campaign, runs: int) -> list[str]:
    async def go() -> list[str]:
        with open_db(settings.database) as store:
            for _ in range(runs):  # each run a new process would be: nothing kept in memory
                await discover(settings, campaign, store)
            return [p["url"] for p in store.prospects("plots", "guest_post")]

    return asyncio.run(go())


def test_a_run_stopped_after_the_sites_topic_was_seen_still_finds_its_guidelines_page(
    tmp_path: Path,
) -> None:
    """A guidelines page rarely names the topic; its site's on-topic pages do. When the run
    that read those pages stopped (killed, or at its page budget) before the guidelines page,
    the run that continues must still know the site is on topic."""
    with LocalServer() as site:
        site.routes["/"] = fixed(200, HOME)
        site.routes["/write-for-us"] = fixed(200, GUIDELINES)
        whole = guest_posts(*plots(tmp_path / "whole", site.port, 100), runs=1)
        stopped = guest_posts(*plots(tmp_path / "stopped", site.port, 1), runs=2)
    assert whole == ["http://plotwise.test/write-for-us"]
    assert stopped == whole
