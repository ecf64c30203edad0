"""Sitemaps: the demo web's sites against their ground truth, then hostile and broken ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prospector.config import Settings, load_settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.discover.sitemaps import SitemapResult, gunzip, parse_sitemap, sitemap_urls
from prospector.web.fetch import Fetcher
from tests.local_server import LocalServer, fixed, gzip_bomb, page
from tests.sitemap_hostile import (
    NS,
    billion_laughs,
    external_entity,
    gzipped,
    index,
    urlset,
)
from tests.sitemap_hostile import gzip_bomb as gzip_file_bomb

HOST = "local.test"
BASE = f"http://{HOST}"
XML = {"Content-Type": "application/xml"}


def run_all(settings: Settings, sites: list[str], **options: Any) -> dict[str, SitemapResult]:
    async def go() -> dict[str, SitemapResult]:
        async with Fetcher(settings) as fetcher:
            results = await asyncio.gather(*(sitemap_urls(fetcher, s, **options) for s in sites))
        return dict(zip(sites, results, strict=True))

    return asyncio.run(go())


# -- the demo web ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return default_world().truth()


def _listed(truth: dict[str, Any], host: str) -> dict[str, str | None]:
    """What a demo site's sitemap should list: its indexable pages, with their dates."""
    return {
        p["url"]: p["published"] for p in truth["pages"] if p["host"] == host and not p["noindex"]
    }


def test_urls_found_are_each_sites_pages_per_the_truth(
    demo_web: DemoWeb, demo_settings: Settings, truth: dict[str, Any]
) -> None:
    sites = [
        s
        for s in truth["sites"]
        if s["sitemap"] != "none"
        and s["behaviour"] in ("normal", "head_405", "head_lies")
        and s["tls"] == "valid"
        and s["robots"]["policy"] != "block_prospector"
        and not s["redirect_to"]
    ]
    assert {s["sitemap"] for s in sites} == {"plain", "index", "gzip"}
    results = run_all(demo_settings, [s["url"] for s in sites])
    for site in sites:
        result = results[site["url"]]
        expected = _listed(truth, site["host"])
        assert result.failures == [], site["host"]
        assert sorted(result.urls) == sorted(expected), site["host"]
        assert {e.url: e.lastmod for e in result.entries} == expected, site["host"]
        if site["sitemap"] == "index":
            assert len(result.sitemaps) == 3, site["host"]  # the index and its two sitemaps
        if site["sitemap"] == "gzip":
            assert result.sitemaps == [f"https://{site['host']}/sitemap.xml.gz"]


def test_demo_failures_are_recorded_not_raised(
    demo_web: DemoWeb, demo_settings: Settings, truth: dict[str, Any]
) -> None:
    by_kind = {
        "blocked": next(s for s in truth["sites"] if s["robots"]["policy"] == "block_prospector"),
        "none": next(s for s in truth["sites"] if s["sitemap"] == "none"),
        "tls": next(s for s in truth["sites"] if s["tls"] == "expired"),
    }
    results = run_all(demo_settings, [s["url"] for s in by_kind.values()])
    blocked, none, tls = (results[s["url"]] for s in by_kind.values())
    assert blocked.urls == [] and blocked.failures[0].reason.startswith("robots: disallowed")
    assert none.urls == []
    assert [(f.url, f.reason) for f in none.failures] == [
        (f"https://{by_kind['none']['host']}/sitemap.xml", "HTTP 404")
    ]
    assert tls.urls == [] and tls.failures[0].reason.startswith("site unreachable: tls")


def test_limit_and_max_sitemaps_bound_the_work(
    demo_web: DemoWeb, demo_settings: Settings, truth: dict[str, Any]
) -> None:
    site = next(s for s in truth["sites"] if s["sitemap"] == "index")
    [limited] = run_all(demo_settings, [site["url"]], limit=5).values()
    assert len(limited.urls) == 5 and limited.truncated
    assert set(limited.urls) <= set(_listed(truth, site["host"]))
    [one] = run_all(demo_settings, [site["url"]], max_sitemaps=1).values()
    assert one.urls == [] and one.truncated and one.sitemaps == [f"{site['url']}sitemap.xml"]
    assert one.failures[-1].reason == "2 more sitemaps not read (max 1)"


# -- hostile and broken sitemaps from a tiny local server -----------------------------------


@pytest.fixture
def local() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def local_settings(server: LocalServer, tmp_path: Path, **fetch: Any) -> Settings:
    target = f"127.0.0.1:{server.port}"
    options = {"timeout_s": 10.0, "min_host_gap_s": 0.0, "retries": 0} | fetch
    return load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "network": {"resolve": {HOST: target, f"www.{HOST}": target, "other.test": target}},
            "fetch": options,
        },
    )


def crawl(server: LocalServer, tmp_path: Path, **options: Any) -> SitemapResult:
    fetch = options.pop("fetch", {})
    return run_all(local_settings(server, tmp_path, **fetch), [f"{BASE}/"], **options)[f"{BASE}/"]


def robots(*sitemaps: str) -> bytes:
    return ("User-agent: *\nAllow: /\n" + "".join(f"Sitemap: {s}\n" for s in sitemaps)).encode()


def reasons(result: SitemapResult) -> str:
    return " | ".join(f"{f.url}: {f.reason}" for f in result.failures)


def test_an_xml_entity_bomb_is_refused_quickly(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/robots.txt"] = fixed(200, robots(f"{BASE}/bomb.xml"), Content_Type="text/plain")
    local.routes["/bomb.xml"] = fixed(200, billion_laughs(), **XML)
    started = time.monotonic()
    result = crawl(local, tmp_path)
    assert time.monotonic() - started < 5
    assert result.urls == []
    assert "refused: EntitiesForbidden" in reasons(result)


def test_an_external_entity_is_never_resolved(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/sitemap.xml"] = fixed(200, external_entity(), **XML)
    result = crawl(local, tmp_path)
    assert result.urls == []
    assert "refused" in reasons(result) and "root:" not in str(result.as_dict())


def test_a_gzip_bomb_is_decompressed_only_up_to_the_cap(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/robots.txt"] = fixed(
        200, robots(f"{BASE}/sitemap.xml.gz", f"{BASE}/wire.xml"), Content_Type="text/plain"
    )
    local.routes["/sitemap.xml.gz"] = fixed(
        200, gzip_file_bomb(200_000_000), Content_Type="application/x-gzip"
    )
    local.routes["/wire.xml"] = gzip_bomb(50_000_000)  # gzip as Content-Encoding
    started = time.monotonic()
    result = crawl(local, tmp_path, fetch={"max_decompressed_bytes": 2_000_000})
    assert time.monotonic() - started < 20
    assert result.urls == [f"{BASE}/real"]  # what came before the padding is kept
    text = reasons(result)
    assert "gzip: more than 2000000 bytes decompressed" in text
    assert "wire.xml: larger than the fetch size cap" in text


def test_an_index_that_lists_itself_or_loops_is_read_once(
    local: LocalServer, tmp_path: Path
) -> None:
    local.routes["/sitemap.xml"] = fixed(200, index(f"{BASE}/sitemap.xml", f"{BASE}/a.xml"), **XML)
    local.routes["/a.xml"] = fixed(200, index(f"{BASE}/b.xml"), **XML)
    local.routes["/b.xml"] = fixed(200, index(f"{BASE}/a.xml", f"{BASE}/pages.xml"), **XML)
    local.routes["/pages.xml"] = fixed(200, urlset(f"{BASE}/p1", f"{BASE}/p2"), **XML)
    result = crawl(local, tmp_path)
    assert result.urls == [f"{BASE}/p1", f"{BASE}/p2"]
    loops = [f.url for f in result.failures if f.reason.startswith("loop")]
    assert loops == [f"{BASE}/sitemap.xml", f"{BASE}/a.xml"]
    for path in ("/sitemap.xml", "/a.xml", "/b.xml", "/pages.xml"):
        assert local.paths().count(path) == 1


def test_only_same_site_urls_and_sitemaps_are_taken(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/robots.txt"] = fixed(
        200,
        robots("http://other.test/sitemap.xml", f"{BASE}/sitemap.xml"),
        Content_Type="text/plain",
    )
    local.routes["/sitemap.xml"] = fixed(
        200, index("http://other.test/x.xml", f"{BASE}/mixed.xml"), **XML
    )
    local.routes["/mixed.xml"] = fixed(
        200,
        urlset(
            f"{BASE}/p1",
            f"http://www.{HOST}/p2",
            "http://other.test/p3",
            "https://evil.example/p4",
            "javascript:alert(1)",
            "/relative",
        ),
        **XML,
    )
    result = crawl(local, tmp_path)
    assert result.urls == [f"{BASE}/p1", f"http://www.{HOST}/p2", f"{BASE}/relative"]
    assert (result.offsite, result.invalid) == (2, 1)
    offsite = {f.url for f in result.failures}
    assert offsite == {"http://other.test/sitemap.xml", "http://other.test/x.xml"}
    assert not [h for h in local.hits if h.headers.get("Host", "").startswith("other.test")]


def test_malformed_xml_is_read_leniently(local: LocalServer, tmp_path: Path) -> None:
    body = (
        f'<?xml version="1.0"?><urlset xmlns="{NS}"><url><loc>{BASE}/a?x=1&y=2</loc></url>'
        f"<url><loc>{BASE}/b&amp;c</loc></url><url><loc>{BASE}/unclosed"
    ).encode()
    local.routes["/sitemap.xml"] = fixed(200, body, **XML)
    result = crawl(local, tmp_path)
    assert result.urls == [f"{BASE}/a?x=1&y=2", f"{BASE}/b&c"]
    assert "malformed XML" in reasons(result)


def test_gzip_namespaces_text_and_feeds(local: LocalServer, tmp_path: Path) -> None:
    prefixed = (
        f'<?xml version="1.0"?><sm:urlset xmlns:sm="{NS}" '
        'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
        f"<sm:url><sm:loc> {BASE}/p </sm:loc><sm:lastmod>2024-01-02</sm:lastmod>"
        f"<image:image><image:loc>{BASE}/img.jpg</image:loc></image:image></sm:url>"
        "</sm:urlset>"
    ).encode()
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><link>{BASE}/post</link><pubDate>Tue, 02 Jan 2024</pubDate></item>"
        "</channel></rss>"
    ).encode()
    local.routes["/robots.txt"] = fixed(
        200,
        robots(f"{BASE}/sitemap.xml", f"{BASE}/list.txt", f"{BASE}/feed"),
        Content_Type="text/plain",
    )
    local.routes["/sitemap.xml"] = fixed(200, gzipped(prefixed), **XML)  # gzip, no .gz
    local.routes["/list.txt"] = fixed(200, f"{BASE}/t1\n\n{BASE}/t2\n".encode())
    local.routes["/feed"] = fixed(200, rss, Content_Type="application/rss+xml")
    result = crawl(local, tmp_path)
    assert result.failures == []
    assert {e.url: e.lastmod for e in result.entries} == {
        f"{BASE}/p": "2024-01-02",
        f"{BASE}/t1": None,
        f"{BASE}/t2": None,
        f"{BASE}/post": "Tue, 02 Jan 2024",
    }


def test_max_sitemaps_caps_a_huge_index(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/sitemap.xml"] = fixed(200, index(*(f"{BASE}/s{i}.xml" for i in range(10))))
    for i in range(10):
        local.routes[f"/s{i}.xml"] = fixed(200, urlset(f"{BASE}/page{i}"), **XML)
    result = crawl(local, tmp_path, max_sitemaps=4)
    assert result.urls == [f"{BASE}/page{i}" for i in range(3)]
    assert result.truncated and "7 more sitemaps not read (max 4)" in reasons(result)
    assert len(local.hits) == 5  # robots.txt and 4 sitemaps


def test_errors_and_non_sitemaps_are_failures(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/robots.txt"] = fixed(
        200,
        robots(f"{BASE}/500.xml", f"{BASE}/html.xml", f"{BASE}/junk.xml", f"{BASE}/empty.xml"),
        Content_Type="text/plain",
    )
    local.routes["/500.xml"] = fixed(500, b"oops")
    local.routes["/html.xml"] = fixed(200, page("Not a sitemap"))
    local.routes["/junk.xml"] = fixed(200, b"\x00\x01binary junk")
    local.routes["/empty.xml"] = fixed(200, b"")
    result = crawl(local, tmp_path)
    assert result.urls == []
    assert [f.reason for f in result.failures] == [
        "HTTP 500",
        "an HTML page, not a sitemap",
        "not a sitemap (neither XML nor a list of URLs)",
        "empty document",
    ]


def test_an_unreachable_site_is_one_failure(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "network": {"resolve": {"down.test": "127.0.0.1:1"}},
            "fetch": {"retries": 0, "timeout_s": 5.0},
        },
    )
    result = run_all(settings, ["http://down.test/"])["http://down.test/"]
    assert result.urls == []
    assert [f.url for f in result.failures] == ["http://down.test/robots.txt"]
    assert result.failures[0].reason.startswith("site unreachable: refused")


def test_gunzip_reads_every_member_and_reports_damage() -> None:
    two = gzipped(b"one ") + gzipped(b"two")
    assert gunzip(two, 1000) == (b"one two", None)
    data, problem = gunzip(gzipped(b"x" * 100)[:-12], 1000)
    assert problem is not None and data.startswith(b"x")
    assert gunzip(b"\x1f\x8bnot gzip", 1000)[1] is not None


def test_parse_sitemap_kinds() -> None:
    assert parse_sitemap(urlset("http://a.example/")).kind == "urlset"
    assert parse_sitemap(index("http://a.example/s.xml")).locs == [
        ("sitemap", "http://a.example/s.xml", None)
    ]
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" '
        b'href="http://a.example/e"/><updated>2024-01-01</updated></entry></feed>'
    )
    parsed = parse_sitemap(atom)
    assert parsed.kind == "atom" and parsed.locs == [("page", "http://a.example/e", "2024-01-01")]


def test_parse_sitemap_survives_junk() -> None:
    deep = parse_sitemap(b"<urlset>" + b"<a>" * 10_000)
    assert deep.locs == [] and deep.error is not None and "nested more than" in deep.error
    cdata = parse_sitemap(
        b"<urlset><url><loc><![CDATA[http://a.example/?a=1&b=2]]></loc></url>"
        b"<url><loc>http://a.example/x&amp;y</loc><image:loc>http://a.example/i.png</image:loc>"
    )
    assert [loc for _, loc, _ in cdata.locs] == [
        "http://a.example/?a=1&b=2",
        "http://a.example/x&y",
    ]
    assert cdata.error is not None and cdata.error.startswith("malformed XML")
    document = urlset("http://a.example/").decode().replace('"UTF-8"', '"UTF-16"')
    utf16 = parse_sitemap(("\ufeff" + document).encode("utf-16-le"))
    assert utf16.locs == [("page", "http://a.example/", None)]
