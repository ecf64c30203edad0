"""The rendered side: Chromium's DOM read by the same extractor, with the browser's visibility."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from prospector.config import Settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.models import PageSnapshot
from prospector.web.browser import BrowserSession, open_browser
from prospector.web.extract import Extraction, extract
from prospector.web.render import (
    RenderedPage,
    RenderFailure,
    render_html,
    render_page,
    render_url,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

T = TypeVar("T")


def in_browser(settings: Settings, scenario: Callable[[BrowserSession], Awaitable[T]]) -> T:
    async def run() -> T:
        async with open_browser(settings) as session:
            return await scenario(session)

    return asyncio.run(run())


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return default_world().truth()


def page_truth(truth: dict[str, Any], url: str) -> dict[str, Any]:
    return next(p for p in truth["pages"] if p["url"] == url)


def test_spa_links_exist_only_when_rendered(demo_settings: Settings, truth: dict[str, Any]) -> None:
    url = "https://gardenplanner-app.example/"
    expected = {t["href"] for t in page_truth(truth, url)["links"] if t["rendered_only"]}
    assert len(expected) == 6
    page = in_browser(demo_settings, lambda s: render_url(s, url))
    assert isinstance(page, RenderedPage) and page.status == 200
    assert page.raw is not None and page.rendered is not None
    assert not page.raw.links  # the served HTML is an empty shell
    rendered = {link.href: link for link in page.rendered.links}
    assert set(rendered) == expected
    assert all(link.placement == "content" and link.visible for link in rendered.values())
    assert page.rendered.rendered and page.rendered.title.startswith("Garden Planner")


def test_js_emails_only_when_rendered_and_cfemail_keeps_its_source(
    demo_settings: Settings, truth: dict[str, Any]
) -> None:
    urls = ["https://wormwhisperer.example/contact.html", "https://leafandloam.example/contact"]

    async def scenario(session: BrowserSession) -> list[RenderedPage | RenderFailure]:
        return [await render_url(session, u) for u in urls]

    js_page, cf_page = in_browser(demo_settings, scenario)
    assert isinstance(js_page, RenderedPage) and isinstance(cf_page, RenderedPage)
    assert js_page.raw is not None and js_page.rendered is not None
    js = {e["address"] for e in page_truth(truth, urls[0])["emails"] if e["obfuscation"] == "js"}
    assert js and not js & set(js_page.raw.email_addresses)
    assert {(a, "js") for a in js} <= {(e.address, e.source) for e in js_page.rendered.emails}
    cf = {
        e["address"] for e in page_truth(truth, urls[1])["emails"] if e["obfuscation"] == "cfemail"
    }
    assert cf_page.rendered is not None
    assert {(a, "cfemail") for a in cf} <= {(e.address, e.source) for e in cf_page.rendered.emails}


def test_hidden_links_are_invisible_and_rendered_pages_match_the_truth(
    demo_settings: Settings, truth: dict[str, Any]
) -> None:
    """A sample across archetypes: placement, rel and visibility agree with the truth."""
    sites = {s["host"]: s for s in truth["sites"]}
    hidden = [p["url"] for p in truth["pages"] if any(not t["visible"] for t in p["links"])]
    normal = [
        p
        for p in truth["pages"]
        if p["http_status"] == 200
        and sites[p["host"]]["behaviour"] == "normal"
        and sites[p["host"]]["tls"] == "valid"
        and p["links"]
    ]
    sample = hidden + [p["url"] for p in normal if p["kind"] == "resource_page"][:4]
    for kind in ("article", "home", "contact", "syndicated"):
        sample += [p["url"] for p in normal if p["kind"] == kind][:3]
    sample = list(dict.fromkeys(sample))

    async def scenario(session: BrowserSession) -> list[RenderedPage | RenderFailure]:
        return list(await asyncio.gather(*(render_url(session, u) for u in sample)))

    pages = in_browser(demo_settings, scenario)
    checked = invisible = 0
    for url, page in zip(sample, pages, strict=True):
        assert isinstance(page, RenderedPage) and page.rendered is not None, url
        ours: dict[str, list[Any]] = {}
        for link in page.rendered.links:
            ours.setdefault(link.href, []).append(link)
        for t in page_truth(truth, url)["links"]:
            cands = ours.get(t["href"], [])
            link = next((c for c in cands if c.anchor == t["anchor"]), None)
            assert link is not None, (url, t["href"])
            cands.remove(link)
            assert (link.placement, link.visible, link.rel) == (
                t["placement"],
                t["visible"],
                tuple(t["rel"]),
            ), (url, t)
            checked += 1
            invisible += not link.visible
    assert checked > 100 and invisible >= 20


HIDING = """<!DOCTYPE html><html><head><title>Hiding</title><style>
.sr-only { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0,0,0,0); }
.away { position:absolute; left:-9999px; }
.ghost { opacity:0 }
.gone { display:none }
</style></head><body><main><p>Some text to read, with a
<a href="/shown">shown link</a>, and more text after it so that this is a paragraph.</p>
<p><a href="/sr" class="sr-only">sr only</a> <a href="/away" class="away">away</a>
<span class="ghost"><a href="/ghost">ghost</a></span> <a href="/empty"></a>
<span class="gone"><a href="/gone">gone</a></span>
<span style="visibility:hidden"><a href="/vis">vis</a></span></p>
<p id="late"></p>
<script>
  var a = document.createElement('a'); a.href = '/added-by-js'; a.textContent = 'added';
  document.getElementById('late').appendChild(a);
  document.querySelector('a[href="/shown"]').setAttribute('rel', 'nofollow');
</script></main></body></html>"""


def test_render_html_reads_the_browsers_visibility(demo_settings: Settings) -> None:
    base = "https://files.example/dir/page.html"
    rendered = in_browser(demo_settings, lambda s: render_html(s, HIDING, base))
    raw = extract(HIDING, base)
    seen = {link.href.rsplit("/", 1)[1]: link for link in rendered.links}
    assert seen["shown"].visible and seen["shown"].rel == ("nofollow",)
    for name in ("sr", "away", "ghost", "empty", "gone", "vis"):
        assert seen[name].visible is False, name
    assert seen["added-by-js"].href == "https://files.example/added-by-js"
    # Raw HTML cannot know about CSS classes or scripts: the differences are kept.
    raw_seen = {link.href.rsplit("/", 1)[1]: link for link in raw.links}
    assert "added-by-js" not in raw_seen and raw_seen["sr"].visible is True
    assert rendered.rendered and not raw.rendered


def test_render_html_makes_no_network_request(
    demo_web: DemoWeb, demo_settings: Settings, tmp_path: Path
) -> None:
    """A file full of references to demo-web URLs renders without one request reaching it."""
    page = tmp_path / "saved.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>Saved</title>"
        '<link rel="stylesheet" href="https://soilsmith.example/style.css">'
        '<link rel="preload" href="https://soilsmith.example/font.woff2" as="font">'
        '<script src="https://soilsmith.example/app.js"></script>'
        '<meta http-equiv="refresh" content="0; url=https://soilsmith.example/refresh">'
        "</head><body>"
        '<img src="https://soilsmith.example/logo.png">'
        '<iframe src="https://compostcorner.example/"></iframe>'
        '<p>A <a href="https://soilsmith.example/guides/hot-composting">guide</a>.</p>'
        '<p><a href="/relative">relative</a></p>'
        "<script>fetch('https://soilsmith.example/api').catch(function(){});"
        "new Image().src='https://soilsmith.example/pixel.gif';"
        "try { new WebSocket('wss://soilsmith.example/ws'); } catch (e) {}"
        "navigator.sendBeacon && navigator.sendBeacon('https://soilsmith.example/beacon', 'x');"
        "</script></body></html>",
        "utf-8",
    )
    demo_web.clear_hits()

    async def scenario(session: BrowserSession) -> Extraction:
        ex = await render_html(session, page.read_bytes(), "https://compostcorner.example/saved")
        await asyncio.sleep(1.0)  # anything late would have arrived by now
        return ex

    ex = in_browser(demo_settings, scenario)
    assert list(demo_web.hits) == []
    hrefs = [link.href for link in ex.links]
    assert "https://soilsmith.example/guides/hot-composting" in hrefs
    assert "https://compostcorner.example/relative" in hrefs
    assert ex.title == "Saved"


def test_render_page_snapshot_and_failure(demo_settings: Settings) -> None:
    async def scenario(session: BrowserSession) -> list[PageSnapshot | RenderFailure]:
        return [
            await render_page(session, "https://soilsmith.example/"),
            await render_page(session, "https://compostclubarchive.example/"),  # NXDOMAIN
        ]

    snap, failure = in_browser(demo_settings, scenario)
    assert isinstance(snap, PageSnapshot) and snap.rendered and snap.http_status == 200
    assert snap.title == "Soilsmith" and snap.links and snap.content_hash
    assert any(link.placement == "content" for link in snap.links)
    assert isinstance(failure, RenderFailure) and failure.reason
