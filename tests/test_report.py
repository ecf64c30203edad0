"""The daily report: the funnel and rates from the event log, link velocity, referring
domains, anchors, rel mix, campaigns, the daily list and --since; the HTML escapes everything
from the web (checked in the real Chromium too: no dialog, no request, visible charts); CSV
injection guard; the command; the scheduled job's private files."""

from __future__ import annotations

import asyncio
import csv
import html.parser
import json
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from prospector.report import build_report, produce, write_daily_report
from prospector.report.export import csv_text, guard_cell
from prospector.report.html import render_html, safe_href
from prospector.report.metrics import link_changes, stages_reached, velocity
from prospector.web.browser import open_browser
from tests.cli_helpers import prospector
from tests.outreach_world import outreach_settings
from tests.report_world import (
    FORMULA,
    IMG,
    JS_URL,
    SCRIPT,
    World,
    ago,
    build_world,
)

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("report"))


# -- numbers ------------------------------------------------------------------------------------


def test_funnel_counts_every_stage_ever_reached_and_the_rates(world: World) -> None:
    report = build_report(world.settings)
    # example: 3 sent + old + hostile + js; other: 1 (rejected after qualifying)
    assert report.funnel == {
        "found": 7,
        "qualified": 7,
        "approved": 3,
        "sent": 3,
        "replied": 2,
        "placed": 2,
        "live": 2,  # wormfarm's link is lost now, but it was live
    }
    assert report.rates == {"reply_rate": 0.6667, "placement_rate": 0.6667}
    by_name = {c["campaign"]: c for c in report.campaigns}
    assert list(by_name) == ["example", "other"]
    assert by_name["example"]["funnel"]["sent"] == 3 and by_name["example"]["reply_rate"] == 0.6667
    assert by_name["other"]["funnel"] == {
        "found": 1,
        "qualified": 1,
        "approved": 0,
        "sent": 0,
        "replied": 0,
        "placed": 0,
        "live": 0,
    }
    assert by_name["other"]["reply_rate"] is None
    # the old prospect was found 30 days ago: outside the period funnel
    assert report.period_funnel["found"] == 6 and report.period_funnel["sent"] == 3
    assert report.activity["pitches_sent"] == 3
    assert report.activity["mail_read"] == {"reply:positive": 1}


def test_stages_come_from_events_even_when_the_state_moved_on() -> None:
    prospects = [
        {"id": 1, "state": "rejected", "created_at": "2026-01-01T00:00:00+00:00"},
        {"id": 2, "state": "qualified", "created_at": "2026-01-02T00:00:00+00:00"},
    ]
    events = [
        {"entity_id": "1", "kind": "found", "at": "2026-01-01T00:00:00+00:00", "data": {}},
        {"entity_id": "1", "kind": "sent", "at": "2026-01-03T00:00:00+00:00", "data": {}},
        {"entity_id": "1", "kind": "evidence", "at": "2026-01-04T00:00:00+00:00", "data": {}},
        {"entity_id": "1", "kind": "rejected", "at": "2026-01-05T00:00:00+00:00", "data": {}},
        {"entity_id": "x", "kind": "sent", "at": "2026-01-05T00:00:00+00:00", "data": {}},
    ]
    reached = stages_reached(prospects, events)
    assert set(reached[1]) == {"found", "qualified", "approved", "sent"}
    assert reached[1]["sent"] == "2026-01-03T00:00:00+00:00"
    assert set(reached[2]) == {"found", "qualified"}  # no events: its row still counts


def test_links_referring_domains_anchors_and_rel_mix(world: World) -> None:
    links = build_report(world.settings).links
    assert links["total"] == 6 and links["current"] == 4
    assert links["by_state"] == {"pending": 1, "live": 3, "downgraded": 1, "lost": 1, "unknown": 0}
    assert links["referring_domains"] == 2
    assert links["domains"] == [
        {"domain": "gardenhaven.example", "links": 2},
        {"domain": "example.org", "links": 1},
    ]
    anchors = {a["anchor"]: a["links"] for a in links["anchors"]}
    assert anchors == {"vermicomposting guide": 2, SCRIPT: 1, FORMULA: 1}  # seen, else expected
    assert links["rel"] == {"dofollow": 1, "nofollow": 0, "sponsored": 1, "ugc": 1, "unknown": 1}


def test_link_velocity_and_since(world: World) -> None:
    week = build_report(world.settings)
    assert week.velocity["bucket"] == "day" and len(week.velocity["periods"]) == 8
    assert (week.velocity["new"], week.velocity["lost"]) == (3, 1)  # 2d, 3d, 1d (no event)
    month = build_report(world.settings, "30d")
    assert (month.velocity["new"], month.velocity["lost"], month.velocity["net"]) == (5, 1, 4)
    by_day = {p["period"]: p for p in month.velocity["periods"]}
    assert by_day[ago(10)[:10]]["new"] == 1 and by_day[ago(1)[:10]]["lost"] == 1
    year = build_report(world.settings, "2025-01-01")
    assert year.velocity["bucket"] == "month"


def test_velocity_counts_a_link_that_comes_back_and_buckets_by_week() -> None:
    now = datetime(2026, 3, 31, 12, tzinfo=UTC)
    events = [
        {"entity_id": "1", "kind": k, "at": at}
        for k, at in (
            ("live", "2026-03-02T10:00:00+00:00"),
            ("downgraded", "2026-03-03T10:00:00+00:00"),  # still there: not new
            ("unknown", "2026-03-04T10:00:00+00:00"),
            ("live", "2026-03-05T10:00:00+00:00"),  # unknown in between: not new either
            ("lost", "2026-03-10T10:00:00+00:00"),
            ("lost", "2026-03-11T10:00:00+00:00"),  # already lost
            ("live", "2026-03-20T10:00:00+00:00"),  # back: new again
        )
    ]
    changes = link_changes([{"id": 1, "live_since": "2026-03-02T10:00:00+00:00"}], events)
    assert [c[0] for c in changes] == ["new", "lost", "new"]
    result = velocity(changes, "2026-01-15T00:00:00+00:00", now)
    assert result["bucket"] == "week" and (result["new"], result["lost"]) == (2, 1)
    assert all(datetime.fromisoformat(p["period"]).weekday() == 0 for p in result["periods"])


def test_daily_list_is_todays_qualified_best_first_and_since_widens_it(world: World) -> None:
    today = build_report(world.settings).daily
    assert [row["id"] for row in today] == [world.ids["hostile.example"], world.ids["js"]]
    first = today[0]
    assert first["title"] == SCRIPT and first["score"] == 91.0
    assert first["reasons"] == [
        f"relevance 88: matched {SCRIPT} {IMG}",
        "authority 60: tranco rank 12000",
    ]
    wider = build_report(world.settings, "60d").daily
    assert world.ids["old"] in [row["id"] for row in wider]
    future = build_report(
        world.settings, (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    )
    assert future.daily == [] and future.velocity["new"] == 0


def test_an_empty_database_gives_an_empty_report(tmp_path: Path) -> None:
    settings = outreach_settings(tmp_path)
    report = build_report(settings)
    assert set(report.funnel.values()) == {0} and report.rates["reply_rate"] is None
    assert report.daily == [] and report.links["referring_domains"] == 0
    assert len(report.velocity["periods"]) == 8 and report.velocity["new"] == 0
    page = render_html(report)
    assert page.count("<svg") == 4 and "nothing yet" in page and "No new prospects." in page


# -- the HTML -----------------------------------------------------------------------------------


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_html_escapes_everything_from_the_web(world: World) -> None:
    page = render_html(build_report(world.settings, "60d"))
    assert "<script" not in page.lower()
    assert not re.search(r"<[^>]*onerror=", page)
    assert 'href="javascript:' not in page and "href='javascript:" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<svg") == 4
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">" in page
    )
    parser = _Tags()
    parser.feed(page)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed", "image", "use"}
    hrefs = []
    for _, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on") and name not in ("src", "srcset", "xlink:href")
            if name == "href":
                hrefs.append(value or "")
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    assert 'href="https://hostile.example/p?q=%22%27%3Cb%3E&amp;x"' in page  # still a link
    assert JS_URL in page  # as text
    assert "url(" not in page and "@import" not in page


def test_safe_href_takes_only_plain_http_urls() -> None:
    assert safe_href("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert safe_href("HTTP://a.example") == "HTTP://a.example"
    for bad in (
        JS_URL,
        " javascript:alert(1)",
        "java\tscript:x",
        "https://a.example/\nx",
        "//a.example",
        "data:text/html,x",
        "https://",
        "",
        None,
        3,
    ):
        assert safe_href(bad) is None


CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
CONTROL = "<title>control</title><script>alert('ran')</script><img src='http://x.test/p.png'>"


async def _look(tab: Any, url: str) -> dict[str, Any]:
    """Load ``url`` in a fresh tab, recording dialogs and requests; measure the page."""
    dialogs: list[str] = []
    requests: list[str] = []
    tab.on("dialog", lambda d: dialogs.append(d.message))
    tab.on("request", lambda r: requests.append(r.url))
    await tab.goto(url, wait_until="load")
    await tab.wait_for_timeout(300)
    boxes = await tab.eval_on_selector_all(
        "svg",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })",
    )
    values = tab.locator("#funnel-chart svg text.value")
    return {
        "dialogs": dialogs,
        "requests": requests,
        "boxes": boxes,
        "texts": await values.all_text_contents(),
        "visible": [await values.nth(i).is_visible() for i in range(await values.count())],
        "scripts": await tab.evaluate("() => document.scripts.length"),
        "protocols": await tab.eval_on_selector_all("a", "els => els.map(a => a.protocol)"),
        "links": await tab.locator("#daily ~ table a").all_inner_texts(),
    }


@pytest.mark.browser
def test_the_report_in_chromium_runs_nothing_fetches_nothing_and_shows_its_charts(
    world: World, tmp_path: Path
) -> None:
    page = render_html(build_report(world.settings, "30d"))
    report, bare, control = (tmp_path / n for n in ("report.html", "bare.html", "control.html"))
    report.write_text(page, encoding="utf-8")
    bare.write_text(CSP_META.sub("", page), encoding="utf-8")  # escaping alone must hold
    control.write_text(CONTROL, encoding="utf-8")
    assert CSP_META.search(page) and not CSP_META.search(bare.read_text())

    async def scenario() -> list[dict[str, Any]]:
        seen = []
        async with open_browser(world.settings) as session:
            for path in (report, bare, control):
                async with session.page() as tab:
                    seen.append(await _look(tab, path.as_uri()))
        return seen

    with_csp, without_csp, probe = asyncio.run(scenario())
    # the recorders work: a page that runs a script and loads an image is caught
    assert probe["dialogs"] == ["ran"] and "http://x.test/p.png" in probe["requests"]
    for seen, path in ((with_csp, report), (without_csp, bare)):
        assert seen["dialogs"] == [] and seen["scripts"] == 0
        assert seen["requests"] == [path.as_uri()]  # the file itself, nothing else
        assert len(seen["boxes"]) == 4 and all(w > 0 and h > 0 for w, h in seen["boxes"])
        assert seen["texts"] == ["7", "7", "3", "3", "2", "2", "2"] and all(seen["visible"])
        assert seen["protocols"] and set(seen["protocols"]) == {"https:"}
        assert seen["links"][0] == SCRIPT  # the hostile title, shown as text


# -- exports, the command, the job --------------------------------------------------------------


def test_csv_cells_that_look_like_formulas_are_defused(world: World, tmp_path: Path) -> None:
    assert [guard_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "ok", 5, None)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "ok",
        5,
        None,
    ]
    done = produce(
        world.settings, since="60d", csv_prospects=tmp_path / "p.csv", csv_links=tmp_path / "l.csv"
    )
    with (tmp_path / "l.csv").open(newline="") as handle:
        links = list(csv.DictReader(handle))
    assert len(links) == 6
    formula = next(row for row in links if row["url"] == JS_URL)
    assert formula["expected_anchor"] == "'" + FORMULA and formula["anchor"] == "'" + FORMULA
    assert {row["rel_kind"] for row in links} == {"dofollow", "sponsored", "ugc", "unknown", ""}
    with (tmp_path / "p.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(done.report.daily) == 3
    for row in [*rows, *links]:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())
    for name in ("p.csv", "l.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert "'=" in csv_text([{"a": "=x"}], ["a"])


def test_cli_report_writes_html_and_prints_its_path_and_json(world: World, tmp_path: Path) -> None:
    out = tmp_path / "out" / "r.html"
    out.parent.mkdir()
    done = prospector("--config", str(world.config), "report", "--html", str(out))
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout.replace("\n", "")
    assert "funnel" in done.stdout and "found 7" in done.stdout and "66.7%" in done.stdout
    assert out.read_text().startswith("<!doctype html>")
    as_json = prospector("--config", str(world.config), "report", "--json", "--since", "30d")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["funnel"]["sent"] == 3 and data["links"]["referring_domains"] == 2
    assert data["velocity"]["new"] == 5
    bad = prospector("--config", str(world.config), "report", "--since", "yesterday-ish")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_write_daily_report_is_private(world: World, tmp_path: Path) -> None:
    reports = tmp_path / "deep" / "reports"
    settings = world.settings.model_copy(update={"reports_dir": reports})
    now = datetime(2026, 5, 4, 23, 30, tzinfo=UTC)
    path = write_daily_report(settings, now=now)
    assert path == reports / "report-2026-05-04.html"
    assert stat.S_IMODE(reports.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "<svg" in path.read_text()
    again = write_daily_report(settings, now=now)  # replaced, not duplicated
    assert again == path and [p.name for p in reports.iterdir()] == [path.name]
