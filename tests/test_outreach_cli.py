"""The review loop as a person uses it, on the example campaign: list, show, edit in
$EDITOR, approve, reject, dry run, send to a local SMTP server, the outbox and the
suppression list; and drafts at the end of a real ``prospector run``."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
import tomli_w

from bench.discovery.evaluate import settings_for
from prospector.campaigns import load_campaign
from prospector.config import Settings
from prospector.demo.server import DemoWeb
from prospector.outreach.drafts import draft_campaign
from prospector.outreach.templates import find_placeholders
from prospector.store import open_db
from tests.cli_helpers import prospector
from tests.mailservers import SmtpSink
from tests.outreach_world import POSTAL, outreach_settings, seed

pytestmark = [pytest.mark.integration]

EDITOR = """
import sys, pathlib
path = pathlib.Path(sys.argv[1])
lines = path.read_text().splitlines()
{change}
path.write_text("\\n".join(lines) + "\\n")
"""


def editor(tmp_path: Path, change: str) -> str:
    script = tmp_path / f"editor-{abs(hash(change))}.py"
    script.write_text(EDITOR.format(change=change))
    return f"{sys.executable} {script}"


def setup(tmp_path: Path, port: int) -> tuple[Settings, Path, list[int]]:
    settings = outreach_settings(tmp_path, port)
    ids = seed(settings)
    campaign = load_campaign(settings.campaigns_dir / "example.toml", settings.templates_dir)
    with open_db(settings.database) as store:
        draft_campaign(settings, campaign, store)
    config = tmp_path / "prospector.toml"
    config.write_text(tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True)))
    return settings, config, ids


def test_review_edit_approve_reject_and_send_from_the_command_line(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings, config, ids = setup(tmp_path, sink.port)
        me = {"PROSPECTOR_USER": "rita"}

        def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
            done = prospector("--config", str(config), *args, env={**me, **(env or {})})
            return done.returncode, done.stdout, done.stderr

        code, out, _ = run("prospects", "--state", "drafted", "--json")
        assert code == 0 and [p["id"] for p in json.loads(out)] == ids
        code, out, _ = run("show", str(ids[0]))
        assert code == 0 and "Subject: A broken link on Composting resources" in out
        assert "Hi Grace" in out

        # an edit that leaves a placeholder is refused with the file and line; nothing changes
        bad = editor(tmp_path, "lines[2] = 'Hi [First Name],'")
        code, _, err = run("edit", str(ids[0]), env={"EDITOR": bad})
        assert code == 2 and err.count("\n") == 1
        assert ".txt:3: leftover placeholder '[First Name]'" in err and "kept in" in err
        code, out, _ = run("show", str(ids[0]))
        assert "Hi Grace" in out

        good = editor(tmp_path, "lines[2] = 'Dear Grace,'")
        code, out, _ = run("edit", str(ids[0]), env={"EDITOR": good})
        assert code == 0 and "draft saved" in out

        code, out, _ = run("approve", str(ids[0]))
        assert code == 0 and "approved" in out
        code, out, _ = run("approve", "--all-above", "70")
        assert code == 0 and f"#{ids[1]} ok" in out and f"#{ids[2]}" not in out
        code, out, _ = run("reject", str(ids[2]), "--reason", "they only take paid posts")
        assert code == 0 and "rejected" in out
        code, _, err = run("reject", str(ids[2]))
        assert code == 2 and "--reason" in err

        code, out, _ = run("send", "--dry-run", "--json")
        assert code == 0 and len(json.loads(out)["written"]) == 2 and sink.messages == []
        code, out, _ = run("send", "--limit", "1")
        assert code == 0 and "sent 1" in out and len(sink.messages) == 1
        code, out, _ = run("send")
        assert code == 0 and "sent 1" in out and len(sink.messages) == 2
        first = next(m for m in sink.messages if m["to"] == ["editor@gardenhaven.example"])
        assert b"Dear Grace," in first["data"]

        code, out, _ = run("outbox", "--json")
        rows = json.loads(out)
        assert sorted(r["state"] for r in rows) == ["rejected", "sent", "sent"]

        code, out, _ = run(
            "suppress", "ops@wormfarm.example", "blocked.example", "--reason", "asked"
        )
        assert code == 0 and out.count("suppressed") == 2
        code, out, _ = run("suppress", "--list", "--json")
        assert {(r["kind"], r["value"], r["source"]) for r in json.loads(out)} == {
            ("email", "ops@wormfarm.example", "rita"),
            ("domain", "blocked.example", "rita"),
        }
        code, _, err = run("suppress", "not an address!")
        assert code == 2 and "neither an email address nor a domain" in err

    with sqlite3.connect(settings.database) as db:
        actors = {
            (kind, actor)
            for kind, actor in db.execute(
                "SELECT kind, actor FROM events WHERE entity IN ('prospect', 'message')"
            )
        }
    assert {("approved", "rita"), ("rejected", "rita"), ("draft", "rita")} <= actors


def test_a_template_error_is_refused_at_campaign_load_with_file_and_line(tmp_path: Path) -> None:
    settings = outreach_settings(tmp_path)
    templates = tmp_path / "templates"
    templates.mkdir()
    for source in settings.templates_dir.glob("*.j2"):
        (templates / source.name).write_text(source.read_text())
    broken = templates / "resource_page.j2"
    lines = broken.read_text().splitlines()
    lines[4] = "Your page {{ page.titel }} is great."
    broken.write_text("\n".join(lines) + "\n")
    config = tmp_path / "prospector.toml"
    data = settings.model_dump(mode="json", exclude_none=True) | {"templates_dir": str(templates)}
    config.write_text(tomli_w.dumps(data))
    done = prospector("--config", str(config), "send", "--dry-run")
    assert done.returncode == 2
    assert f"{broken}:5:" in done.stderr and "page.titel" in done.stderr
    assert done.stderr.count("\n") == 1


@pytest.mark.browser
def test_a_run_ends_with_a_draft_for_each_qualified_prospect_with_an_email(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    from prospector.pipeline import prospect

    base = settings_for(demo_web, tmp_path)
    settings = base.model_copy(update={"sender": outreach_settings(tmp_path / "o").sender})
    summary = prospect(settings, ["demo"])[0]
    assert summary.drafts["drafted"] > 0 and summary.drafts["refused"] == []
    with open_db(settings.database) as store:
        drafted = store.prospects("demo", None, ["drafted"])
        qualified = store.prospects("demo", None, ["qualified"])
        assert len(drafted) == summary.drafts["drafted"]
        for row in drafted:
            message = store.thread(int(row["id"]))[0]
            contacts = [c["email"] for c in store.contacts_of(int(row["id"])) if c["email"]]
            assert message["state"] == "draft" and message["to_email"] == contacts[0]
            assert "soilsmith.example" in message["body_text"]  # our page is offered
            assert POSTAL in message["body_text"] and "unsubscribe" in message["body_text"]
            assert not find_placeholders(message["subject"] + "\n" + message["body_text"])
        for row in qualified:  # left undrafted only for want of an address
            assert not [c for c in store.contacts_of(int(row["id"])) if c["email"]]
