"""Link status on the local web's tricky cases, the content signals behind it, and the
`prospector check` contract."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.pipeline import check_urls_async
from prospector.web import signals
from prospector.web.linkstatus import VERDICTS
from tests.cli_helpers import prospector
from tests.conftest import settings_for

CONTRACT_KEYS = {"url", "verdict", "status", "http_status", "final_url", "detail"}


def expected_links() -> dict[str, dict[str, Any]]:
    """Every distinct link of the demo web with the verdict the ground truth gives it.

    One site's robots.txt shuts out our crawler: its links are expected to be recorded as
    robots_disallowed (skipped), never live or dead.
    """
    truth = default_world().truth()
    shut_out = {s["host"] for s in truth["sites"] if s["robots"]["policy"] == "block_prospector"}
    links: dict[str, dict[str, Any]] = {}
    for page in truth["pages"]:
        for link in page["links"]:
            expected = dict(link)
            host = link["href"].split("/")[2] if "://" in link["href"] else ""
            if host in shut_out:
                expected.update(expected_verdict="skipped", expected_status="robots_disallowed")
            links.setdefault(link["href"], expected)
    return links


@pytest.mark.integration
@pytest.mark.browser
def test_every_link_of_the_local_web_gets_the_truths_verdict(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    conf = settings_for(
        demo_web,
        tmp_path,
        fetch={"timeout_s": 5.0, "per_host_concurrency": 4, "global_concurrency": 64},
    )
    links = expected_links()
    results = asyncio.run(check_urls_async(conf, list(links), history=False))
    wrong = [
        f"{r.url}: got {r.verdict}/{r.status} ({r.detail}), expected "
        f"{links[r.url]['expected_verdict']}/{links[r.url]['expected_status']}"
        for r in results
        if (r.verdict, r.status)
        != (links[r.url]["expected_verdict"], links[r.url]["expected_status"])
    ]
    assert not wrong, "\n".join(wrong)
    statuses = {r.status for r in results}
    assert statuses >= set(VERDICTS)  # every status of the taxonomy occurs


@pytest.mark.integration
def test_check_cli_contract_and_history(demo_web: DemoWeb, tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    resolve = "\n".join(f'"{k}" = "{v}"' for k, v in demo_web.resolve_map().items())
    config.write_text(
        f'database = "p.db"\n[network]\nca_bundle = "{demo_web.ca_pem_path}"\n'
        f"[network.resolve]\n{resolve}\n[fetch]\nmin_host_gap_s = 0.0\n"
    )
    urls = [
        "https://soilsmith.example/#top",
        "https://compostcorner.example/2016/03/hot-compost-thermometer/",
        "ftp://soilsmith.example/file",
    ]
    first = prospector("--config", str(config), "check", "--json", "--no-render", *urls)
    assert first.returncode == 0, first.stderr
    answers = json.loads(first.stdout)
    assert [set(a) for a in answers] == [CONTRACT_KEYS] * 3
    assert [a["url"] for a in answers] == urls
    assert [(a["verdict"], a["status"]) for a in answers] == [
        ("live", "ok"),
        ("dead", "not_found"),
        ("skipped", "invalid"),
    ]
    prospector("--config", str(config), "check", "--json", "--no-render", urls[1])
    rows = (
        sqlite3.connect(tmp_path / "p.db")
        .execute("SELECT status FROM url_checks WHERE url = ? ORDER BY id", [urls[1]])
        .fetchall()
    )
    assert rows == [("not_found",), ("not_found",)]  # history, not a single overwritten row
    table = prospector("--config", str(config), "check", "--no-render", "--fail-on-dead", urls[1])
    assert table.returncode == 1 and "not_found" in table.stdout


def test_check_without_any_config_file(tmp_path: Path) -> None:
    result = prospector("check", "--json", "http://10.1.2.3/", "mailto:x@y.example", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [(a["verdict"], a["status"]) for a in json.loads(result.stdout)] == [
        ("skipped", "forbidden_address"),
        ("skipped", "invalid"),
    ]


@pytest.mark.parametrize(
    ("title", "is_404"),
    [
        ("Page not found | Garden Blog", True),
        ("404 Not Found", True),
        ("Oops, nothing here – Allotment Diaries", True),
        ("Error 404", True),
        ("Page Not Found: Where Our Old Posts Went | No-Dig Notes", False),
        ("Why removed pages hurt your garden blog", False),
        ("Not found: the perfect compost bin? | Reviews", False),
    ],
)
def test_not_found_titles_must_be_the_message_not_a_mention(title: str, is_404: bool) -> None:
    assert (signals.not_found_page(f"<title>{title}</title><p>Short.</p>") is not None) == is_404


def test_a_long_article_is_never_a_not_found_page() -> None:
    body = "<title>Page not found</title>" + "<p>" + "compost heap turning " * 400 + "</p>"
    assert signals.not_found_page(body) is None


def test_parked_pages_and_parking_redirects() -> None:
    assert signals.parked("<h1>This domain is for sale!</h1>", "https://x.example/")
    assert signals.parked("<p>hello</p>", "https://www.sedoparking.com/x")
    assert (
        signals.parked("<p>We sell compost bins. Buy this bin today.</p>", "https://shop.example/")
        is None
    )


def test_bot_walls_are_recognised_by_header_status_and_text() -> None:
    assert signals.bot_wall(403, {"cf-mitigated": "challenge"}, "")
    assert signals.bot_wall(999, {}, "")
    assert signals.bot_wall(503, {}, "<title>Just a moment...</title>")
    assert signals.bot_wall(403, {}, "<p>Forbidden</p>") is None
    assert signals.bot_wall(200, {}, "<title>Just a moment...</title>") is None


def test_pages_needing_javascript() -> None:
    assert signals.needs_javascript('<div id="root"></div><script src="/app.js"></script>')
    assert signals.needs_javascript("<p>moved</p><script>location.replace('/x')</script>")
    assert signals.needs_javascript("<p>" + "text " * 100 + "</p><script>var a=1</script>") is None
