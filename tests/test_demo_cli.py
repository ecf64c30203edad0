"""`prospector demo`: it crawls a demo site with the real browser and reports what is there;
`--serve` keeps the web up for other commands; the workdir it leaves is usable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from prospector.campaigns import load_named
from prospector.config import load_settings
from prospector.demo.world import default_world
from prospector.store import open_db
from tests.cli_helpers import prospector

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def truth_pages() -> dict[str, dict[str, Any]]:
    return {page["url"]: page for page in default_world().truth()["pages"]}


def test_demo_crawls_one_site_and_reports_what_the_truth_holds(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    result = prospector("demo", "--workdir", str(work), "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    pages = truth_pages()
    crawled = report["crawled"]
    assert len(crawled) >= 20 and report["failures"] == 0
    for page in crawled:
        truth = pages[page["url"]]  # every page found exists in the demo web
        assert page["status"] == truth["http_status"] == 200
        assert page["title"].startswith(truth["title"])
    start_host = report["start_url"].split("/")[2]
    truth_outbound = {
        link["href"]
        for url in (p["url"] for p in crawled)
        for link in pages[url]["links"]
        if link["href"].split("/")[2] != start_host
        and link["visible"]
        and link["href"].startswith("http")
    }
    assert report["outbound"] >= len(truth_outbound) > 0
    plain_emails = {
        e["address"]
        for url in (p["url"] for p in crawled)
        for e in pages[url]["emails"]
        if e["obfuscation"] in ("plain", "mailto")
    }
    assert plain_emails <= set(report["emails"])

    # the workdir is usable by every other command
    settings = load_settings(work / "prospector.toml", env={})
    assert settings.database == work / "prospector.db"
    assert load_named(settings.campaigns_dir, "demo", settings.templates_dir).name == "demo"
    with open_db(settings.database) as store:
        assert store.counts()["pages"] == len(crawled)
        assert store.counts()["runs"] == 1


def test_demo_serve_keeps_the_web_up_for_other_commands(tmp_path: Path) -> None:
    work = tmp_path / "served"
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
