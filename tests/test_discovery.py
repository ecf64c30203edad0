"""Discovery: the two-checks rule, target matching, the prospect rules, page classification,
and whole runs on the demo web — quality against the ground truth, resumability, the CLI."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.discovery.evaluate import evaluate, settings_for
from prospector.campaigns import load_campaign
from prospector.demo.server import DemoWeb
from prospector.discover.classify import classify_page
from prospector.discover.matching import best_target
from prospector.discover.opportunities import confirm_dead
from prospector.discover.prospects import ProspectWriter
from prospector.discover.runner import DiscoverySummary, across_hosts
from prospector.store import open_db
from prospector.web.extract import extract
from tests.cli_helpers import prospector

ROOT = Path(__file__).resolve().parent.parent
DEMO_CAMPAIGN = ROOT / "prospector" / "demo" / "demo.toml"


def check(
    at: str, verdict: str = "dead", status: str = "not_found", http: int | None = 404
) -> dict[str, Any]:
    return {
        "url": "https://gone.example/x",
        "checked_at": at,
        "verdict": verdict,
        "status": status,
        "http_status": http,
        "detail": "",
    }


def test_a_404_needs_two_dead_checks_hours_apart() -> None:
    once = [check("2026-01-01T08:00:00+00:00")]
    assert confirm_dead(once, 6) is None
    soon = [*once, check("2026-01-01T09:00:00+00:00")]
    assert confirm_dead(soon, 6) is None
    later = [*once, check("2026-01-01T15:00:00+00:00")]
    death = confirm_dead(later, 6)
    assert death is not None and death.checks == 2 and "7.0h apart" in death.rule


def test_nxdomain_and_410_count_at_once_and_a_live_check_resets() -> None:
    assert confirm_dead([check("2026-01-01T08:00:00+00:00", status="dead_domain", http=None)], 6)
    assert confirm_dead([check("2026-01-01T08:00:00+00:00", http=410)], 6)
    revived = [
        check("2026-01-01T00:00:00+00:00"),
        check("2026-01-01T10:00:00+00:00", verdict="live", status="ok", http=200),
        check("2026-01-01T12:00:00+00:00"),
    ]
    assert confirm_dead(revived, 6) is None  # the dead streak restarted two hours ago
    assert (
        confirm_dead([check("2026-01-01T00:00:00+00:00", "inconclusive", "timeout", None)], 0)
        is None
    )


def test_the_replacement_is_the_target_sharing_distinctive_terms() -> None:
    campaign = load_campaign(DEMO_CAMPAIGN)
    leaf = best_target(campaign, "How to make leaf mould in bin bags")
    assert leaf.target.url.endswith("/leaf-mould") and "leaf" in leaf.matched
    worms = best_target(campaign, "Keeping a worm bin in a flat")
    assert worms.target.url.endswith("/vermicomposting-apartments")
    assert best_target(campaign, "Build a hedgehog house").matched == ()


def _resource_html(links: int, words: str = "a useful guide to composting at home") -> str:
    items = "".join(
        f'<li><a href="https://site{i}.example/p">Site {i}</a> {words}</li>' for i in range(links)
    )
    return (
        f"<html><head><title>Composting resources</title></head><body><nav>"
        f'<a href="/">Home</a></nav><main><h1>Composting resources</h1><ul>{items}</ul>'
        "</main></body></html>"
    )


def test_page_classification_with_evidence() -> None:
    url = "https://blog.example/resources/"
    resource = classify_page(
        extract(_resource_html(12), url), _resource_html(12), url, ["composting"]
    )
    assert resource.page_type == "resource_page" and resource.opportunity
    assert resource.signals["resource_page"]["distinct_domains"] == 12
    farm_html = _resource_html(150, "").replace("Composting resources", "Link directory")
    farm = classify_page(extract(farm_html, url), farm_html, url)
    assert farm.page_type == "other" and farm.signals["resource_page"]["link_farm"]
    guest_html = (
        "<html><head><title>Write for us | Blog</title></head><body><main>"
        "<h1>Write for us</h1><p>We welcome original articles of 1000-1500 words. "
        "Send your pitch to <a href='mailto:editor@blog.example'>the editor</a>. "
        "Include an author bio.</p></main></body></html>"
    )
    guest_url = "https://blog.example/write-for-us/"
    guest = classify_page(extract(guest_html, guest_url), guest_html, guest_url)
    assert guest.page_type == "guest_post"
    assert guest.signals["guest_post"]["submission_emails"] == ["editor@blog.example"]
    off_topic = classify_page(
        extract(_resource_html(12), url), _resource_html(12), url, ["knitting"]
    )
    assert off_topic.page_type == "resource_page" and not off_topic.opportunity


def test_prospect_rules_exclusions_domain_limit_and_supersede(tmp_path: Path) -> None:
    campaign = load_campaign(DEMO_CAMPAIGN)
    with open_db(tmp_path / "p.db") as store:
        tally = DiscoverySummary("demo")
        writer = ProspectWriter(store, campaign, store.start_run("test"), tally)
        writer.add("resource_page", "https://soilsmith.example/links", None, {})
        assert store.prospects("demo") == []  # our own site is never a prospect
        writer.add("guest_post", "https://blog.example/write-for-us/", None, {})
        writer.add("resource_page", "https://www.blog.example/links/", None, {})
        rows = {r["type"]: r for r in store.prospects("demo")}
        assert rows["guest_post"]["state"] == "rejected"  # superseded by the resource page
        assert "superseded" in rows["guest_post"]["evidence"]["rejected_reason"]
        assert rows["resource_page"]["state"] == "new"
        writer.add("guest_post", "https://blog.example/contribute/", None, {})
        held = next(r for r in store.prospects("demo") if r["url"].endswith("/contribute/"))
        assert held["state"] == "rejected"
        assert "one prospect per domain" in held["evidence"]["rejected_reason"]
        kinds = [e["kind"] for e in store.events("prospect", str(rows["guest_post"]["id"]))]
        assert kinds == ["found", "rejected"]


@pytest.mark.integration
@pytest.mark.browser
def test_discovery_finds_the_truths_opportunities(demo_web: DemoWeb, tmp_path: Path) -> None:
    result = evaluate(settings_for(demo_web, tmp_path))
    for kind, score in result.scores.items():
        assert score.precision >= 0.9, (kind, score.wrong)
        assert score.recall >= 0.9, (kind, score.missed)
    broken = [p for p in _prospects(tmp_path) if p["type"] == "broken_link"]
    with_archive = [d for p in broken for d in p["evidence"]["dead_links"] if d["wayback"]]
    assert with_archive and all(
        d["wayback"]["title"] and d["wayback"]["last_good"] for d in with_archive
    )
    assert all(
        d["replacement"]["url"].startswith("https://soilsmith.example/")
        for p in broken
        for d in p["evidence"]["dead_links"]
    )


def _prospects(work: Path) -> list[dict[str, Any]]:
    rows = (
        sqlite3.connect(work / "prospector.db")
        .execute("SELECT type, url, state, evidence FROM prospects ORDER BY id")
        .fetchall()
    )
    return [{"type": t, "url": u, "state": s, "evidence": json.loads(e)} for t, u, s, e in rows]


def _config(web: DemoWeb, work: Path) -> Path:
    settings = settings_for(web, work)
    import tomli_w

    data = settings.model_dump(mode="json", exclude_none=True)
    path = work / "prospector.toml"
    path.write_text(tomli_w.dumps(data))
    return path


@pytest.mark.integration
@pytest.mark.browser
def test_a_killed_run_continues_and_duplicates_nothing(demo_web: DemoWeb, tmp_path: Path) -> None:
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    config = _config(demo_web, killed)
    run = subprocess.Popen(
        [sys.executable, "-m", "prospector", "--config", str(config), "run", "demo"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
        try:
            done = (
                sqlite3.connect(killed / "prospector.db", timeout=5)
                .execute("SELECT count(*) FROM candidates WHERE state != 'new'")
                .fetchone()[0]
            )
        except sqlite3.Error:
            continue
        if done >= 40:
            run.send_signal(signal.SIGKILL)
            break
    run.wait(30)
    assert done >= 40, "the run finished before it could be killed"
    again = prospector("--config", str(config), "run", "demo", "--json", timeout=300)
    assert again.returncode == 0, again.stderr
    fresh = prospector(
        "--config", str(_config(demo_web, clean)), "run", "demo", "--json", timeout=300
    )
    assert fresh.returncode == 0, fresh.stderr
    db = sqlite3.connect(killed / "prospector.db")
    assert db.execute("SELECT count(*) FROM candidates WHERE state = 'new'").fetchone()[0] == 0
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (
        db.execute(
            "SELECT count(*), count(DISTINCT campaign || type || url) FROM prospects"
        ).fetchone()
        == (len(_prospects(killed)),) * 2
    )
    assert {(p["type"], p["url"]) for p in _prospects(killed)} == {
        (p["type"], p["url"]) for p in _prospects(clean)
    }
    listed = prospector("--config", str(config), "prospects", "--json")
    kinds = {row["type"] for row in json.loads(listed.stdout)}
    assert kinds == {"resource_page", "guest_post", "broken_link"}


def test_suppressed_and_already_contacted_domains_are_held_with_the_reason(
    tmp_path: Path,
) -> None:
    campaign = load_campaign(DEMO_CAMPAIGN)
    with open_db(tmp_path / "p.db") as store:
        assert store.suppress("domain", "Quiet.example", reason="do_not_contact", source="test")
        assert not store.suppress("domain", "quiet.example", reason="again", source="test")
        other = store.add_prospect(
            "other", "guest_post", "https://busy.example/w", "busy.example", {}
        )
        assert other is not None
        store.set_prospect_state(other, "sent", actor="test")
        writer = ProspectWriter(store, campaign, store.start_run("test"), DiscoverySummary("demo"))
        writer.add("resource_page", "https://quiet.example/links", None, {})
        writer.add("resource_page", "https://busy.example/links", None, {})
        reasons = {r["domain"]: r["evidence"]["rejected_reason"] for r in store.prospects("demo")}
        assert reasons == {
            "quiet.example": "quiet.example is on the do-not-contact list",
            "busy.example": "busy.example was already contacted by another campaign",
        }


def test_a_crawl_batch_takes_hosts_in_turn_and_keeps_each_hosts_order() -> None:
    urls = [f"https://{host}.example/{n}" for host in "ab" for n in range(3)]
    rows = [{"id": i, "url": url} for i, url in enumerate(urls)]  # a.example first, then b
    order = [row["url"] for row in across_hosts(rows)]
    assert order == [
        "https://a.example/0",
        "https://b.example/0",
        "https://a.example/1",
        "https://b.example/1",
        "https://a.example/2",
        "https://b.example/2",
    ]
    assert across_hosts([]) == []
