"""The end-to-end benchmark's own machinery: the synthetic web's counts, the figures derived
from a run, and one tiny real run (server, pipeline, raw Chromium) that yields every field
the report shows. No timing is asserted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.e2e import report
from bench.e2e.campaign import campaign_data
from bench.e2e.run import run_all, sample, section
from bench.e2e.web import (
    ARTICLES_PER_SITE,
    PAGES_PER_SITE,
    SyntheticWeb,
    WebSpec,
    article_links,
)
from prospector.web import signals


def test_the_web_has_the_planned_pages_and_links_and_is_reproducible() -> None:
    spec = WebSpec(pages=1000)
    web = SyntheticWeb(spec)
    stats = web.stats()
    assert stats.sites == 40 and stats.pages == 1000
    assert stats.outbound_links == 40 * (ARTICLES_PER_SITE * 24 + 40) >= 20_000
    assert stats.unique_outbound < stats.outbound_links
    assert {"not_found", "gone", "nxdomain", "cross", "redirect"} <= set(stats.by_kind)
    assert 0 < stats.js_pages < stats.pages // 10
    assert SyntheticWeb(spec).stats() == stats  # seeded
    assert SyntheticWeb(WebSpec(pages=1000, seed=1)).stats() != stats
    assert article_links(spec, 3, 4) == article_links(spec, 3, 4)


def test_blog_pages_are_what_the_classifiers_and_renderer_look_for() -> None:
    web = SyntheticWeb(WebSpec(pages=250))
    site = web.site("e2e-blog0.example")
    assert site is not None and len(site.pages) == PAGES_PER_SITE
    shells = [p for p in site.pages.values() if p.kind == "spa"]
    plain = [p for p in site.pages.values() if p.kind == "article"]
    assert all(signals.needs_javascript(p.html) for p in shells)
    assert not any(signals.needs_javascript(p.html) for p in plain)
    assert site.pages["/resources"].html.count("<li>") >= 40
    assert "Write for us" in site.pages["/write-for-us"].html
    assert "/sitemap.xml" in site.assets and "Sitemap:" in site.robots_txt
    ref = web.site("e2e-ref0.example")
    assert ref is not None and ref.rules["/retired/0"].status == 410
    assert web.site("e2e-ref99999.example") is None
    assert web.site("e2e-gone0.example") is None  # NXDOMAIN: mapped, never served


def test_the_campaign_seeds_every_blog() -> None:
    web = SyntheticWeb(WebSpec(pages=100))
    data = campaign_data(web.spec, web.blog_hosts())
    assert data["seeds"]["sites"] == [f"https://{h}/" for h in web.blog_hosts()]
    assert data["limits"]["max_pages_per_site"] > PAGES_PER_SITE


def test_busy_time_and_sampling() -> None:
    spans = [(0.0, 2.0), (1.0, 3.0), (1.5, 2.5), (5.0, 6.0)]
    assert report.busy_time(spans) == pytest.approx(4.0)
    assert report.busy_time(spans, slots=2) == pytest.approx(5.5)
    assert sample([str(i) for i in range(10)], 5) == ["0", "2", "4", "6", "8"]
    assert sample(["a"], 5) == ["a"]
    assert report.exponent(10.0, 40.0, 4.0) == pytest.approx(1.0)


@pytest.mark.browser
@pytest.mark.integration
def test_a_tiny_run_yields_every_reported_field(tmp_path: Path) -> None:
    results = run_all([25, 50], work=tmp_path, latency_ms=5, jitter_ms=5, raw_sample=3)
    sizes = [report.figures(r) for r in results]
    for figures in sizes:
        missing = [k for k, v in figures.items() if v is None]
        assert not missing, missing
        assert figures["pages_read"] == figures["pages"]
        assert figures["links_checked"] > 0 and figures["renders"] > 0
        assert figures["chromium_rss_mb"] > 0 and figures["python_rss_mb"] > 0
        assert figures["drafted"] > 0
    text = section(
        results, command="python -m bench.e2e.run", machine_notes=["test"], latency="5 ms"
    )
    for needle in ("### 25 pages", "### 50 pages", "### Growth", "raw: load", "### Reading"):
        assert needle in text
    cells = [
        cell.strip()
        for line in text.split("### Settings")[0].splitlines()
        if line.startswith("|")
        for cell in line.strip("|").split("|")
    ]
    assert not [c for c in cells if c == "—" or c.startswith("— ") or "(— " in c]
    one: dict[str, Any] = results[0]
    assert one["raw"]["load"]["loaded"] == one["raw_sample"]
