"""The HTML report and the exports against hostile page data: titles, anchors, URLs, campaign
names and chart labels built to run script (opened in the real Chromium, with and without
the report's Content-Security-Policy), CSV cells built to run as formulas, and JSON."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from prospector.report import build_report, produce
from prospector.report.html import render_html
from prospector.store import open_db
from prospector.web.browser import open_browser
from tests.cli_helpers import prospector
from tests.outreach_world import outreach_settings
from tests.report_world import _breakdown, _event, _placement

pytestmark = [pytest.mark.integration]

PWN = "window.__pwned=1"
MARKUP = [
    f"<script>{PWN}</script>",
    f'<img src=x onerror="{PWN}">',
    f'"><svg onload={PWN}>',
    f"'><img src=x onerror={PWN}>",
    f"</title><script>{PWN}</script>",
    f"</textarea></style><script>{PWN}</script>",
    f"<!--<script>{PWN}</script>-->",
    f"]]><script>{PWN}</script>",
    f"</text></svg><script>{PWN}</script>",
    '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    f'<a href="javascript:{PWN}">click</a>',
    f"<math><mtext><table><mglyph><style><img src=x onerror={PWN}>",
    f'<noscript><p title="</noscript><img src=x onerror={PWN}>">',
    "{{ 7*7 }} ${7*7}",
]
URLS = [
    f"javascript:{PWN}",
    f"JaVaScRiPt:{PWN}",
    f" javascript:{PWN}",
    f"\tjavascript:{PWN}",
    f"java\tscript:{PWN}",
    f"java\nscript:{PWN}",
    f"javascript&colon;{PWN}",
    f"&#106;avascript:{PWN}",
    f"data:text/html,<script>{PWN}</script>",
    "vbscript:msgbox(1)",
    f'https://ok.example/"onmouseover="{PWN}',
    f"https://ok.example/'><img src=x onerror={PWN}>",
    "//evil.example/x",
    f"https:javascript:{PWN}",
    f"http://ok.example/\u2028javascript:{PWN}",
]
FORMULAS = [
    '=HYPERLINK("https://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\uff1d1+1",
    "  =1+1",
    "ok;=1+1",
    "ok,=1+1",
    "\x1b[2J=1+1",
]


def hostile_world(work: Path) -> Any:
    settings = outreach_settings(work)
    texts = MARKUP + FORMULAS
    with open_db(settings.database) as store:
        for n, text in enumerate(texts):
            url = URLS[n % len(URLS)] if n % 2 else f"https://site{n}.example/p"
            campaign = text if n % 3 == 0 else "example"
            pid = store.add_prospect(campaign, "resource_page", url, f"site{n}.example", {
                "page": {"title": text, "url": url}})  # fmt: skip
            assert pid is not None
            store.save_score(pid, 90.0 - n, _breakdown(text), state="qualified")
            live = _placement(
                store,
                {"prospect_id": pid, "url": f"{URLS[n % len(URLS)]}#{n}", "anchor": text,
                 "target": f"{URLS[(n + 1) % len(URLS)]}?{n}", "state": "live",
                 "live_since": "2026-01-01"},
                {"anchor": text, "rel": [text]},
            )  # fmt: skip
            _event(store, "placement", live, "live", 1)
    config = work / "prospector.toml"
    config.write_text(tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True)))
    return settings, config


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return hostile_world(tmp_path_factory.mktemp("hostile-report"))


CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')

_INSPECT = """() => {
  const all = [...document.querySelectorAll('*')];
  return {
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    handlers: all.flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on'))
                                                 .map(a => e.tagName + ' ' + a.name)),
    tags: all.map(e => e.tagName.toLowerCase()),
    metas: [...document.querySelectorAll('meta[http-equiv]')].map(m => m.httpEquiv),
    protocols: [...document.querySelectorAll('a')].map(a => a.protocol),
    hrefs: [...document.querySelectorAll('[href], [src], [srcdoc], [action], [formaction]')]
             .map(e => e.getAttribute('href') || e.getAttribute('src') || 'other'),
    text: document.body.innerText,
  };
}"""


async def _open(settings: Any, paths: list[Path]) -> list[dict[str, Any]]:
    seen = []
    async with open_browser(settings) as session:
        for path in paths:
            async with session.page() as tab:
                dialogs: list[str] = []
                requests: list[str] = []
                tab.on("dialog", lambda d, dialogs=dialogs: dialogs.append(d.message))
                tab.on("request", lambda r, requests=requests: requests.append(r.url))
                await tab.goto(path.as_uri(), wait_until="load")
                for link in await tab.locator("a").all():  # as if hovered and clicked
                    for event in ("mouseover", "mouseenter", "focus"):
                        await link.dispatch_event(event)
                await tab.wait_for_timeout(300)
                found = await tab.evaluate(_INSPECT)
                seen.append({**found, "dialogs": dialogs, "requests": requests})
    return seen


@pytest.mark.browser
def test_hostile_page_data_runs_no_script_in_the_report_in_chromium(
    world: Any, tmp_path: Path
) -> None:
    settings, _ = world
    page = render_html(build_report(settings, "60d"))
    report, bare, control = tmp_path / "report.html", tmp_path / "bare.html", tmp_path / "c.html"
    report.write_text(page, encoding="utf-8")
    bare.write_text(CSP.sub("", page), encoding="utf-8")  # escaping alone must hold
    control.write_text(f'<p>x</p><img src=x onerror="{PWN}"><script>alert(1)</script>')
    with_csp, without_csp, probe = asyncio.run(_open(settings, [report, bare, control]))
    assert probe["pwned"] == "1" and probe["dialogs"] == ["1"]  # the probes can see script
    for seen, path in ((with_csp, report), (without_csp, bare)):
        assert seen["pwned"] is None and seen["dialogs"] == [] and seen["handlers"] == []
        assert seen["requests"] == [path.as_uri()]
        assert not {"script", "iframe", "base", "object", "embed", "img", "image", "form",
                    "link", "frame", "math", "noscript", "textarea"} & set(seen["tags"])  # fmt: skip
        assert seen["tags"].count("style") == 1 and seen["tags"].count("a") >= 10
        assert [m.lower() for m in seen["metas"]] == (
            ["content-security-policy"] if seen is with_csp else []
        )
        assert set(seen["protocols"]) == {"https:"}
        assert all(h.startswith("https://") for h in seen["hrefs"]), seen["hrefs"]
        for text in ("{{ 7*7 }} ${7*7}", "<script>window.__pwned=1</script>", URLS[0]):
            assert text in seen["text"]  # shown, as text


def test_the_report_source_has_no_live_markup_from_the_data(world: Any) -> None:
    settings, _ = world
    page = render_html(build_report(settings, "60d"))
    body = page.split("</style>", 1)[1]
    assert "<script" not in body.lower() and "<iframe" not in body.lower()
    assert "<base" not in body.lower() and "<img" not in body.lower()
    tags = re.findall(r"<[A-Za-z][^<>]*>", body)  # real tags: data has no raw '<' left
    assert tags and not any(re.search(r"\son\w+\s*=", tag, re.IGNORECASE) for tag in tags)
    hrefs = [h for tag in tags for h in re.findall(r"\shref=(\S+)", tag)]
    assert hrefs and all(h.startswith('"https://') for h in hrefs)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in body
    for chart in re.findall(r"<svg.*?</svg>", body, re.S):  # SVG labels are escaped too
        assert "<script" not in chart and "]]>" not in chart
        assert chart.count("<text") == chart.count("</text>") > 0  # no label closed early


def test_csv_exports_defuse_every_formula_and_control_character(world: Any, tmp_path: Path) -> None:
    settings, _ = world
    paths = {"prospects": tmp_path / "p.csv", "links": tmp_path / "l.csv"}
    produce(settings, since="60d", csv_prospects=paths["prospects"], csv_links=paths["links"])
    rows: list[dict[str, str]] = []
    for path in paths.values():
        raw = path.read_text(encoding="utf-8")
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", raw)
        assert raw.startswith('"id","campaign",')  # every cell quoted: ';' cannot split one
        with path.open(newline="", encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    cells = [value for row in rows for value in row.values()]
    assert len(rows) > 2 * len(FORMULAS)
    for cell in cells:
        start = cell.lstrip(" ")[:1]
        assert start not in ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d"), repr(cell)
    titles = {row["title"] for row in rows if "title" in row}
    assert '\'=HYPERLINK("https://evil.example","x")' in titles
    assert "'  =1+1" in titles and "'\uff1d1+1" in titles and "ok;=1+1" in titles
    assert '"ok;=1+1"' in paths["prospects"].read_text(encoding="utf-8")
    assert "[2J=1+1" in titles  # the ESC dropped


def test_the_prospects_csv_listing_defuses_formulas_and_control_characters(world: Any) -> None:
    _, config = world
    done = prospector("--config", str(config), "prospects", "--csv")
    assert done.returncode == 0, done.stderr
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", done.stdout)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == len(MARKUP) + len(FORMULAS)
    for cell in (value for row in rows for value in row.values()):
        start = cell.lstrip(" ")[:1]
        assert start not in ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d"), repr(cell)
    campaigns = {row["campaign"] for row in rows}
    assert "'-2+3+cmd|' /C calc'!A0" in campaigns  # kept, made inert


def test_json_report_round_trips_hostile_text_and_escapes_control_characters(
    world: Any,
) -> None:
    _, config = world
    done = prospector("--config", str(config), "report", "--json", "--since", "60d")
    assert done.returncode == 0, done.stderr
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]", done.stdout)
    data = json.loads(done.stdout)
    titles = {row["title"] for row in data["daily"]}
    assert set(MARKUP) | set(FORMULAS) <= titles  # exactly as found: JSON carries them safely
