"""The backlink audit on the demo web, against its ground truth: a backlink export and our own
placements, through the core and the real command; the disavow file only with confirmation
(the rules without the web: test_audit_rules.py)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from bench.discovery.evaluate import settings_for
from prospector.audit.model import AuditResult
from prospector.audit.run import audit_file
from prospector.config import Settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.store import open_db
from tests.cli_helpers import prospector

OURS = "https://soilsmith.example"
TOXIC_KINDS = {"spam", "link_farm", "pbn", "parked"}

# (linking page, our page, anchor, link type, Domain rating)
LINKS: list[tuple[str, str, str, str, str]] = [
    *[
        ("https://compostcorner.example/2025/02/getting-your-compost-heap-to-60c/",
         "/guides/hot-composting", "hot composting guide", "dofollow", "38"),
        ("https://leafandloam.example/articles/collecting-leaves-without-upsetting-the-neighbours",
         "/guides/leaf-mould", "how to make leaf mould", "dofollow", ""),
        ("https://pottingbench.example/compost-problems-we-see-every-spring/",
         "/guides/compost-troubleshooting", "compost troubleshooting", "nofollow", ""),
        ("https://wormwhisperer.example/", "/guides/vermicomposting-apartments",
         "worm bin guide", "dofollow", ""),
        ("https://bokashibucket.example/", "/guides/bokashi-basics", "bokashi basics",
         "dofollow", ""),
        ("https://citycompost.example/links", "/guides/compost-troubleshooting",
         "Soilsmith troubleshooting", "dofollow", ""),
    ],
    *[
        (f"https://coolclimatecompost.example/{path}", "/", "Soilsmith", "dofollow", "")
        for path in ("", "archive/", "about/", "contact/", "why-does-my-compost-smell/")
    ],
    *[
        ("https://compost-deals-4u.example/offers", "/guides/hot-composting", "cheap viagra",
         "dofollow", ""),
        ("https://compost-deals-4u.example/", "/guides/hot-composting", "cheap viagra",
         "dofollow", ""),
        ("https://luckyspin-casino.example/", "/", "best compost bin", "dofollow", ""),
        ("https://cheap-backlinks-now.example/offers", "/", "best compost bin", "dofollow", ""),
        ("https://bestlinkhub.example/directory/page-2", "/", "Soilsmith", "dofollow", ""),
        ("https://greenleafguide.example/why-my-hot-bin-went-cold-and-how-i-fixed-it.html",
         "/guides/hot-composting", "hot composting", "dofollow", ""),
        ("https://gardentipsdaily.example/", "/guides/hot-composting", "compost bins",
         "dofollow", ""),
        ("https://organicgrowhub.example/", "/guides/hot-composting", "soil", "dofollow", ""),
        ("https://soilsecretsblog.example/", "/guides/leaf-mould", "mulch", "dofollow", ""),
        ("https://oldcompostclub.example/resources/compost-calculator", "/guides/hot-composting",
         "compost calculator", "dofollow", ""),
        ("https://wormfarmsupply.example/", "/guides/vermicomposting-apartments", "worm farm",
         "dofollow", ""),
        ("https://gardenforum-archive.example/threads/no-dig", "/", "forum", "dofollow", ""),
        ("https://compostclubarchive.example/guides/hot-composting-18-days",
         "/guides/hot-composting", "18-day method", "dofollow", ""),
        ("https://weeknightsupper.example/", "/", "Soilsmith", "dofollow", ""),
        ("https://pennypilot.example/", "/", "Soilsmith", "dofollow", "2"),
        ("https://gardenersforum.example/t/hot-bin-temperatures", "/guides/hot-composting",
         "hot bin thread", "nofollow", ""),
        ("https://compostcalc.example/calculator", "/guides/hot-composting", "calculator",
         "dofollow", ""),
    ],
]  # fmt: skip
# What the audit must say about the domains the demo truth does not settle by kind.
EXPECTED = {
    "compostclubarchive.example": "toxic",  # NXDOMAIN: a dead domain
    "pennypilot.example": "toxic",  # off-topic, Domain Rating 2 in the export
    "weeknightsupper.example": "suspicious",  # off-topic, authority unknown
    "gardenersforum.example": "unknown",  # a bot wall: never toxic on an inconclusive fetch
    "compostcalc.example": "unknown",  # an expired certificate
}


def write_export(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Referring page URL", "Target URL", "Anchor", "Link type", "DR"])
        for source, target, anchor, kind, rating in rows:
            writer.writerow([source, OURS + target, anchor, kind, rating])
        writer.writerow(["not a url", OURS + "/", "bad row", "dofollow", ""])
    return path


def write_config(settings: Settings, work: Path) -> Path:
    path = work / "prospector.toml"
    path.write_text(tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True)))
    return path


def run(*args: str, cwd: Path, stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    """The real command with stdin that is not a terminal (so it never asks)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTOR_")}
    env["PROSPECTOR_USER"] = "tester"
    return subprocess.run(
        [sys.executable, "-m", "prospector", *args],
        cwd=cwd,
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@dataclass
class Audited:
    work: Path
    config: Path
    export: Path
    result: AuditResult
    requests: Counter[str]  # page requests (not robots.txt) the demo web received, per host


@pytest.fixture(scope="module")
def audited(demo_web: DemoWeb, tmp_path_factory: pytest.TempPathFactory) -> Audited:
    work = tmp_path_factory.mktemp("audit")
    settings = settings_for(demo_web, work)
    export = write_export(work / "backlinks.csv", LINKS)
    before = len(demo_web.hits)
    result = audit_file(settings, export, "demo")
    requests = Counter(h.host for h in demo_web.hits[before:] if h.path != "/robots.txt")
    return Audited(work, write_config(settings, work), export, result, requests)


def truth_sites() -> dict[str, dict[str, Any]]:
    return {site["host"]: site for site in default_world().truth()["sites"]}


# -- the audit on the demo web ----------------------------------------------------------------


@pytest.mark.integration
def test_the_audit_flags_the_demo_webs_toxic_sites_and_passes_the_relevant_blogs(
    audited: Audited,
) -> None:
    result = audited.result
    sites = truth_sites()
    verdicts = {d.domain: d.verdict for d in result.domains}
    assert set(verdicts) == {source.split("/")[2] for source, *_ in LINKS}
    toxic = {h for h in verdicts if sites.get(h, {}).get("kind") in TOXIC_KINDS}
    legit = {
        h
        for h in verdicts
        if sites.get(h, {}).get("kind") in ("blog", "resource_site")
        and sites[h]["relevance"] == "high"
        and h not in EXPECTED
    }
    assert len(toxic) == 11 and len(legit) == 7
    assert {h: verdicts[h] for h in toxic} == dict.fromkeys(toxic, "toxic")
    assert {h: verdicts[h] for h in legit} == dict.fromkeys(legit, "ok")
    assert {h: verdicts[h] for h in EXPECTED} == EXPECTED
    assert result.campaign == "demo" and result.links == len(LINKS)
    assert result.bad_rows and "not an absolute" in result.bad_rows[0]["reason"]
    assert result.pages_fetched <= 2 * len(verdicts)
    assert max(audited.requests.values()) <= 2, audited.requests


@pytest.mark.integration
def test_the_pages_read_stay_within_the_budget(demo_web: DemoWeb, tmp_path: Path) -> None:
    settings = settings_for(demo_web, tmp_path)
    export = write_export(tmp_path / "backlinks.csv", LINKS)
    before = len(demo_web.hits)
    result = audit_file(settings, export, "demo", max_pages=3)
    pages = [h for h in demo_web.hits[before:] if h.path != "/robots.txt"]
    assert result.pages_fetched == 3 and len(pages) == 3
    read = {d.domain for d in result.domains if d.pages}
    assert read == {"coolclimatecompost.example", "compost-deals-4u.example", "bestlinkhub.example"}
    unread = [d for d in result.domains if not d.pages]
    assert {d.verdict for d in unread} == {"unknown"}
    assert "--max-pages" in unread[0].reasons()[0]
    assert f"{len(unread)} domains not read: --max-pages 3 reached" in result.notes[-1]


@pytest.mark.integration
def test_each_toxic_domain_says_why(audited: Audited) -> None:
    def reasons(domain: str) -> str:
        found = audited.result.domain(domain)
        assert found is not None
        return " | ".join(found.reasons())

    for pbn in ("greenleafguide", "gardentipsdaily", "organicgrowhub", "soilsecretsblog"):
        assert "G-PBN12345" in reasons(f"{pbn}.example")
        assert "other linking sites" in reasons(f"{pbn}.example")
    for parked in ("oldcompostclub", "wormfarmsupply", "gardenforum-archive"):
        assert "parked" in reasons(f"{parked}.example")
    assert "link farm" in reasons("bestlinkhub.example")
    assert "spam topics" in reasons("luckyspin-casino.example")
    assert "spam anchor text 'cheap viagra' (pharma)" in reasons("compost-deals-4u.example")
    assert "NXDOMAIN" in reasons("compostclubarchive.example")
    assert "very low authority (2, export)" in reasons("pennypilot.example")
    assert "blocked" in reasons("gardenersforum.example").split(" | ")[0]
    cool = audited.result.domain("coolclimatecompost.example")
    assert cool is not None and cool.verdict == "ok"
    assert any("sitewide sidebar link from a related site" in n for n in cool.notes)
    corner = audited.result.domain("compostcorner.example")
    assert corner is not None and corner.authority is not None
    assert corner.authority.score == 38 and corner.authority.evidence["provider"] == "export"
    assert corner.relevance is not None and corner.relevance.score > 50


@pytest.mark.integration
def test_the_command_prints_a_table_and_the_whole_result_as_json(audited: Audited) -> None:
    config = str(audited.config)
    shown = run("--config", config, "audit", str(audited.export), "--campaign", "demo",
                cwd=audited.work)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "luckyspin-casino.example" in shown.stdout and "toxic" in shown.stdout
    assert "verdicts: 13 toxic, 1 suspicious, 2 unknown, 7 ok" in shown.stdout
    listed = run("--config", config, "audit", str(audited.export), "--json", cwd=audited.work)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["campaign"] == "demo"  # the only campaign configured
    assert data["counts"] == {"toxic": 13, "suspicious": 1, "unknown": 2, "ok": 7}
    pbn = next(d for d in data["domains"] if d["domain"] == "greenleafguide.example")
    assert pbn["verdict"] == "toxic" and pbn["spam"]["score"] >= 60
    line = 2 + next(i for i, row in enumerate(LINKS) if "greenleafguide" in row[0])
    assert pbn["pages"][0]["outcome"] == "read" and pbn["backlinks"][0]["origin"] == f"line {line}"


@pytest.mark.integration
def test_the_disavow_file_holds_exactly_the_confirmed_domains(audited: Audited) -> None:
    config, work = str(audited.config), audited.work
    out = work / "disavow.txt"
    base = ("--config", config, "audit", str(audited.export), "--disavow", str(out))
    silent = run(*base, cwd=work)
    assert silent.returncode == 0, silent.stderr
    assert not out.exists()
    assert (
        silent.stdout.strip()
        .splitlines()[-1]
        .startswith(
            f"nothing written to {out}: 13 domains flagged toxic, none confirmed; confirm with"
        )
    )
    chosen = run(*base, "--confirm", "luckyspin-casino.example", "--confirm",
                 "www.weeknightsupper.example", cwd=work)  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr
    lines = out.read_text().splitlines()
    assert [x for x in lines if not x.startswith("#") and x] == [
        "domain:luckyspin-casino.example",
        "domain:weeknightsupper.example",
    ]
    start = next(i for i, x in enumerate(lines) if x.startswith("# luckyspin-casino.example: "))
    block = lines[start : lines.index("domain:luckyspin-casino.example")]
    assert block[0].startswith("# luckyspin-casino.example: toxic, toxicity ")
    assert "confirmed by tester" in block[0] and date.today().isoformat() in block[0]
    assert block[1].startswith("# - spam score ") and all(x.startswith("# - ") for x in block[1:])
    hand = lines[lines.index("domain:weeknightsupper.example") - 2]
    assert "confirmed by hand, not flagged (audit: suspicious" in hand
    every = run(*base, "--confirm-all-flagged", "--json", cwd=work)
    report = json.loads(every.stdout)["disavow"]
    assert report["already_in_file"] == ["luckyspin-casino.example"] and report["kept_entries"] == 2
    listed = {x[len("domain:") :] for x in out.read_text().splitlines() if x.startswith("domain:")}
    flagged = {d.domain for d in audited.result.flagged()}
    assert listed == flagged | {"weeknightsupper.example"}
    assert "gardenersforum.example" not in listed and "compostcorner.example" not in listed
    with open_db(work / "prospector.db") as store:
        events = store.events("domain", "weeknightsupper.example")
    assert [(e["kind"], e["actor"]) for e in events] == [("disavow", "tester")]


@pytest.mark.integration
def test_in_a_terminal_each_toxic_domain_is_asked_about(audited: Audited) -> None:
    out = audited.work / "asked.txt"
    primary, secondary = os.openpty()
    answers = "y\n" + "n\n" * 20  # yes to the first toxic domain, no to the rest
    os.write(primary, answers.encode())
    try:
        asked = run("--config", str(audited.config), "audit", str(audited.export),
                    "--disavow", str(out), cwd=audited.work, stdin=secondary)  # fmt: skip
    finally:
        os.close(secondary)
        os.close(primary)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.count("Disavow ") == 13
    first = audited.result.flagged()[0].domain
    entries = [x for x in out.read_text().splitlines() if x.startswith("domain:")]
    assert entries == [f"domain:{first}"]


def test_a_malformed_export_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,count\nfoo,1\nbar,2\n")
    started = time.monotonic()
    failed = prospector("audit", str(bad), cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith("error: ")
    assert "no recognisable header" in failed.stderr
    assert time.monotonic() - started < 30
    usage = prospector("audit", str(bad), "--confirm", "x.example", cwd=tmp_path)
    assert usage.returncode == 2 and "--disavow" in usage.stderr
    neither = prospector("audit", cwd=tmp_path)
    assert neither.returncode == 2
    typo = prospector("audit", str(bad), "--disavow", "d.txt", "--confirm", "x", cwd=tmp_path)
    assert typo.returncode == 2 and typo.stderr == "error: 'x' is not a domain name\n"


# -- our own placements -----------------------------------------------------------------------


@pytest.mark.integration
def test_placements_are_audited_too(demo_web: DemoWeb, tmp_path: Path) -> None:
    settings = settings_for(demo_web, tmp_path)
    placed = {  # linking page: (anchor, verdict)
        "https://compostcorner.example/2025/02/getting-your-compost-heap-to-60c/": (None, "ok"),
        "https://greenleafguide.example/getting-your-compost-heap-to-60c.html": ("hot", "toxic"),
        "https://gardentipsdaily.example/": ("hot composting", "toxic"),
        "https://organicgrowhub.example/": ("hot composting", "toxic"),
        "https://oldcompostclub.example/": ("compost", "toxic"),
    }
    with open_db(settings.database) as store:
        for url, (anchor, _) in placed.items():
            store.record_placement(None, url, target=OURS + "/guides/hot-composting",
                                   campaign="demo", anchor=anchor, source="manual",
                                   actor="tester")  # fmt: skip
        store.record_placement(None, None, target=OURS + "/guides/leaf-mould", campaign="demo",
                               anchor=None, source="manual", actor="tester")  # fmt: skip
    config = write_config(settings, tmp_path)
    done = run("--config", str(config), "audit", "--placements", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["source"] == "placements" and data["campaign"] == "demo"
    verdicts = {d["domain"]: d["verdict"] for d in data["domains"]}
    assert verdicts == {url.split("/")[2]: verdict for url, (_, verdict) in placed.items()}
    assert "1 placements without a linking page URL yet skipped" in data["notes"]
    pbn = next(d for d in data["domains"] if d["domain"] == "organicgrowhub.example")
    assert "with 2 other linking sites" in pbn["reasons"][0]
    assert pbn["backlinks"][0]["origin"].startswith("placement #")
