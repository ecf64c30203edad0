"""`prospector demo`: the whole loop, offline, on the bundled demo web — discover, qualify,
draft, the demo's own approvals, sending to a local SMTP sink, the demo web placing links,
replies over a private Dovecot, verify and the report — leaving a usable workdir; `--serve`
keeps the web up (with the placed links) for other commands."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from prospector.campaigns import load_named
from prospector.config import load_settings
from prospector.demo import run as demo_run
from prospector.demo.loop import AUTO_APPROVER, PLACER
from prospector.demo.server import DemoWeb
from prospector.web.extract import extract
from tests.cli_helpers import prospector
from tests.demo_helpers import Client
from tests.mailservers import dovecot_available

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def rows(db: sqlite3.Connection, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    return list(db.execute(sql, args).fetchall())


def demo_dovecots() -> list[str]:
    found = subprocess.run(
        ["pgrep", "-af", "prospector-demo-dovecot"], capture_output=True, text=True, check=False
    )
    return [line for line in found.stdout.splitlines() if "pgrep" not in line]


def check_loop(work: Path, *, over_imap: bool) -> None:
    """What the database holds after a demo run."""
    with sqlite3.connect(work / "prospector.db") as db:
        drafted = rows(db, "SELECT prospect_id FROM messages WHERE step = 0")
        assert len(drafted) >= 10
        # exactly the auto-approved ones, the best five drafts, under the demo's name
        approvals = rows(
            db,
            "SELECT entity_id, actor FROM events WHERE entity = 'prospect' AND kind = 'approved'",
        )
        assert len(approvals) == 5 and {a for _, a in approvals} == {AUTO_APPROVER}
        approved = {int(pid) for pid, _ in approvals}
        best = rows(
            db,
            "SELECT p.id FROM prospects p JOIN messages m ON m.prospect_id = p.id "
            "WHERE m.step = 0 ORDER BY p.score DESC, p.id LIMIT 5",
        )
        assert approved == {pid for (pid,) in best}
        messages = rows(db, "SELECT prospect_id, approved_by, sent_at FROM messages WHERE step = 0")
        for pid, approved_by, sent_at in messages:
            assert (approved_by == AUTO_APPROVER) == (pid in approved)
            assert (sent_at is not None) == (pid in approved)
        # each sent exactly once
        sent = rows(
            db,
            "SELECT entity_id, count(*) FROM events WHERE entity = 'message' AND kind = 'sent' "
            "GROUP BY entity_id",
        )
        assert len(sent) == 5 and all(n == 1 for _, n in sent)
        # replies, and the placements they record
        replies = rows(db, "SELECT kind, bounce_type, intent, prospect_id FROM replies")
        placements = rows(db, "SELECT prospect_id, source, state FROM placements")
        where = {(url, target) for url, target in rows(db, "SELECT url, target FROM placements")}
        if over_imap:
            kinds = sorted((k, b or i) for k, b, i, _ in replies)
            assert kinds == [
                ("auto_reply", None),
                ("bounce", "hard"),
                ("reply", "positive"),
                ("reply", "positive"),
                ("reply", "positive"),
            ]
            assert all(pid in approved for *_, pid in replies)
            assert {source for _, source, _ in placements} == {"reply"}
            assert len(rows(db, "SELECT * FROM suppression")) == 1
        else:
            assert replies == []
            actors = rows(db, "SELECT actor FROM events WHERE entity = 'placement'")
            assert (PLACER,) in actors
        # the demo web placed three links, found live by verify
        assert len(placements) == 3 and {state for *_, state in placements} == {"live"}
        placed = json.loads((work / "demo-web-placed-links.json").read_text())
        assert where == {(link["url"], link["target"]) for link in placed}
        assert {pid for pid, *_ in placements} <= approved
        states = dict(rows(db, "SELECT id, state FROM prospects"))
        assert sorted(states[pid] for pid in approved).count("live") == 3
        # the campaign's syndicated copies, each with a verdict; the failing ones alerted
        copies = rows(db, "SELECT url, verdict FROM syndicated_copies")
        assert len(copies) == 4 and all(verdict for _, verdict in copies)
        ok = rows(
            db,
            "SELECT c.url, k.ok FROM syndicated_copies c JOIN syndication_checks k ON k.copy_id = c.id",
        )
        assert sorted(o for _, o in ok) == [0, 0, 1, 1]


@pytest.mark.timeout(600)
def test_demo_runs_the_whole_loop_offline_and_leaves_a_usable_workdir(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    result = prospector("demo", "--workdir", "demo", cwd=tmp_path, timeout=540)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    check_loop(work, over_imap=dovecot_available())

    # it printed one line per stage, the daily list, the summary and the report's path
    for stage in ("servers", "prospect", "approve", "send", "place", "replies", "verify"):
        assert re.search(rf"^  {stage} +\d+\.\ds  ", out, re.MULTILINE), stage
    assert "The daily list" in out
    with sqlite3.connect(work / "prospector.db") as db:
        for (url,) in rows(db, "SELECT url FROM prospects WHERE state != 'rejected'"):
            assert url in out
    assert "auto-approved for the demo" in out
    report = tmp_path / re.findall(r"^Report: (.+)$", out, re.MULTILINE)[0].strip()
    assert report.parent == work / "reports" and "<svg" in report.read_text()
    assert "prospector --config demo/prospector.toml prospects" in out
    assert not demo_dovecots()

    # the workdir is usable by every other command
    settings = load_settings(work / "prospector.toml", env={})
    assert settings.database == work / "prospector.db"
    assert load_named(settings.campaigns_dir, "demo", settings.templates_dir).name == "demo"
    listed = prospector("--config", str(work / "prospector.toml"), "prospects", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {p["state"] for p in json.loads(listed.stdout)} >= {"live", "bounced", "drafted"}


@pytest.mark.timeout(600)
def test_without_dovecot_the_demo_says_so_and_records_the_placements_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_run, "dovecot_binary", lambda: None)
    lines: list[str] = []
    report = demo_run.run_demo(tmp_path / "demo", progress=lambda s, line, _t: lines.append(s))
    assert report.imap == "" and "Dovecot is not installed" in report.imap_skipped
    assert report.placements_recorded_by == "demo" and report.links == {"live": 3}
    assert lines == [
        "servers",
        "prospect",
        "approve",
        "send",
        "place",
        "replies",
        "verify",
        "report",
    ]
    check_loop(tmp_path / "demo", over_imap=False)


def test_a_placed_link_is_served_in_the_main_content_of_its_page(tmp_path: Path) -> None:
    """On a resource list and on an article, in each of the demo web's site layouts."""
    target = "https://soilsmith.example/guides/placed-by-this-test"
    with DemoWeb(cert_dir=tmp_path) as web:
        client = Client(web.port, str(web.ca_pem_path))
        pages: dict[tuple[str, str], str] = {}
        for site, page in web.world.pages():
            key, url = (site.archetype, page.kind), site.url(page.path)
            wanted = page.kind in ("resource_page", "article") and key not in pages
            if wanted and client.request(url).status == 200:
                pages[key] = url
        assert len(pages) >= 8
        for url in pages.values():
            assert target.encode() not in client.request(url).body
            web.place_link(url, target, "The complete guide to hot composting")
            after = client.request(url)
            assert after.status == 200, url
            found = [link for link in extract(after.body, url).links if link.href == target]
            assert [(link.placement, link.visible) for link in found] == [("content", True)], url
        client.close()


def test_demo_serve_keeps_the_web_up_for_other_commands(tmp_path: Path) -> None:
    work = tmp_path / "served"
    work.mkdir()
    placed = [
        {
            "url": "https://coolclimatecompost.example/resources/",
            "target": "https://soilsmith.example/guides/hot-composting",
            "anchor": "Hot composting",
        }
    ]
    (work / "demo-web-placed-links.json").write_text(json.dumps(placed))
    server = subprocess.Popen(
        [sys.executable, "-m", "prospector", "demo", "--serve", "--workdir", str(work)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        config = work / "prospector.toml"
        deadline = time.monotonic() + 60
        while not config.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert config.exists(), server.stderr.read() if server.poll() is not None else "no config"
        result = prospector("--config", str(config), "doctor", "--json")
        checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
        assert result.returncode == 0, result.stdout
        assert checks["campaigns"]["status"] == "ok" and "demo" in checks["campaigns"]["detail"]
        assert checks["browser"]["status"] == "ok"
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "demo web on 127.0.0.1:" in out
    assert "with the links the last demo run placed: 1" in out


def test_the_demo_refuses_a_folder_it_did_not_set_up(tmp_path: Path) -> None:
    (tmp_path / "prospector.toml").write_text('database = "mine.db"\n')
    result = prospector("demo", "--workdir", str(tmp_path))
    assert result.returncode == 2
    assert "the demo did not write" in result.stderr
    assert (tmp_path / "prospector.toml").read_text() == 'database = "mine.db"\n'
