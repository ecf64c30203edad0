"""The fetcher: politeness, retries, caps, redirects through the guard, robots, dedupe."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prospector.config import Settings, load_settings
from prospector.web.failures import retry_after
from prospector.web.fetch import Fetched, Fetcher
from prospector.web.linkstatus import LinkCheck, LinkChecker
from prospector.web.redirects import meta_refresh_target
from prospector.web.urls import dedupe_key
from tests.local_server import LocalServer, fixed, gzip_bomb, http_date, page, retry_once

HOST = "local.test"


@pytest.fixture
def local() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def settings(server: LocalServer, tmp_path: Path, **fetch: Any) -> Settings:
    options = {"timeout_s": 10.0, "min_host_gap_s": 0.0, "connect_timeout_s": 5.0} | fetch
    return load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "network": {"resolve": {HOST: f"127.0.0.1:{server.port}"}},
            "fetch": options,
        },
    )


def fetch(conf: Settings, url: str, **kwargs: Any) -> Fetched:
    async def go() -> Fetched:
        async with Fetcher(conf) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def check(conf: Settings, *urls: str) -> list[LinkCheck]:
    async def go() -> list[LinkCheck]:
        async with Fetcher(conf) as fetcher:
            return await LinkChecker(fetcher).check_many(list(urls))

    return asyncio.run(go())


def test_retry_after_in_seconds_is_honoured_then_the_answer_trusted(
    local: LocalServer, tmp_path: Path
) -> None:
    local.routes["/busy"] = retry_once(429, "1")
    result = fetch(settings(local, tmp_path), f"http://{HOST}/busy")
    assert result.status == 200 and result.attempts == 2
    first, second = (h for h in local.hits if h.path == "/busy")
    assert second.at - first.at >= 1.0


def test_retry_after_as_an_http_date_is_honoured(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/maintenance"] = retry_once(503, http_date(2))
    result = fetch(settings(local, tmp_path), f"http://{HOST}/maintenance")
    assert result.status == 200 and result.attempts == 2
    first, second = (h for h in local.hits if h.path == "/maintenance")
    assert second.at - first.at >= 0.5


def test_a_retry_after_too_long_is_not_waited_for(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/later"] = fixed(429, b"", Retry_After="3600")
    [result] = check(settings(local, tmp_path), f"http://{HOST}/later")
    assert (result.verdict, result.status) == ("inconclusive", "rate_limited")
    assert local.paths().count("/later") == 1


def test_minimum_gap_between_requests_to_one_host(local: LocalServer, tmp_path: Path) -> None:
    for n in range(4):
        local.routes[f"/p{n}"] = fixed(200, page(f"Page {n}"))
    conf = settings(
        local, tmp_path, min_host_gap_s=0.3, per_host_concurrency=4, respect_robots=False
    )
    check(conf, *(f"http://{HOST}/p{n}" for n in range(4)))
    starts = sorted(h.at for h in local.hits)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) >= 4 and min(gaps) >= 0.29


def test_a_host_waiting_out_its_gap_does_not_hold_up_other_hosts(
    local: LocalServer, tmp_path: Path
) -> None:
    """Global slots go to requests ready to start, never to ones sleeping out a host's gap
    (which let requests to busy hosts pile up on the global slots while others sat idle)."""
    for n in range(3):
        local.routes[f"/p{n}"] = fixed(200, page(f"Page {n}"))
    target = f"127.0.0.1:{local.port}"
    conf = load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "network": {"resolve": {"a.test": target, "b.test": target}},
            "fetch": {
                "global_concurrency": 2,
                "per_host_concurrency": 2,
                "min_host_gap_s": 1.0,
                "respect_robots": False,
            },
        },
    )
    check(conf, *(f"http://{host}/p{n}" for host in ("a.test", "b.test") for n in range(3)))
    starts: dict[str, list[float]] = {}
    for hit in local.hits:
        starts.setdefault(hit.headers["Host"], []).append(hit.at)
    first = min(min(times) for times in starts.values())
    assert min(starts["b.test"]) - first < 0.5  # b.test starts at once, in a's first gap
    for times in starts.values():
        assert min(b - a for a, b in itertools.pairwise(sorted(times))) >= 0.99


def test_connections_are_kept_per_host_across_a_run_over_many_hosts(
    local: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More hosts than requests in flight: each host's connection is reused on its next turn
    instead of being evicted by the other hosts' (which made nearly every request a new
    connection, and a TLS handshake on both sides)."""
    from prospector.web import http

    connects = 0
    original = http.GuardedBackend.connect_tcp

    async def counted(self: http.GuardedBackend, *args: Any, **kwargs: Any) -> Any:
        nonlocal connects
        connects += 1
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(http.GuardedBackend, "connect_tcp", counted)
    for n in range(4):
        local.routes[f"/p{n}"] = fixed(200, page(f"Page {n}"))
    hosts = [f"h{i}.test" for i in range(24)]
    conf = load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "network": {"resolve": {"*.test": f"127.0.0.1:{local.port}"}},
            "fetch": {"global_concurrency": 4, "min_host_gap_s": 0.0, "respect_robots": False},
        },
    )
    urls = [f"http://{host}/p{n}" for n in range(4) for host in hosts]  # hosts interleaved
    results = check(conf, *urls)
    assert all(r.status == "ok" for r in results)
    assert len(local.hits) >= len(urls)
    assert connects <= 2 * len(hosts)  # at most per_host_concurrency each, not one per request


def test_each_unique_url_is_checked_once_per_run(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/article"] = fixed(200, page("Article"))
    urls = [
        f"http://{HOST}/article",
        f"http://{HOST}/article#comments",
        f"http://{HOST}/article?utm_source=news&utm_medium=mail",
        "HTTP://LOCAL.TEST:80/article?fbclid=abc",
    ]
    results = check(settings(local, tmp_path), *urls)
    assert [r.url for r in results] == urls  # each answer names the URL exactly as given
    assert {r.status for r in results} == {"ok"}
    assert local.paths().count("/article") == 1


def test_body_and_decompression_caps_hold(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/bomb"] = gzip_bomb(50_000_000)
    local.routes["/huge"] = fixed(200, b"<p>" + b"x" * 3_000_000)
    conf = settings(local, tmp_path, max_decompressed_bytes=1_000_000, max_body_bytes=500_000)
    bomb = fetch(conf, f"http://{HOST}/bomb")
    assert bomb.status == 200 and bomb.truncated and len(bomb.body) <= 1_000_000
    huge = fetch(conf, f"http://{HOST}/huge")
    assert huge.truncated and len(huge.body) <= 1_000_000


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/secret",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:{port}/secret",
    ],
)
def test_a_redirect_into_a_refused_address_refuses_the_input_url(
    local: LocalServer, tmp_path: Path, target: str
) -> None:
    local.routes["/out"] = fixed(302, b"", Location=target.format(port=local.port))
    local.routes["/secret"] = fixed(200, page("Secret"))
    [result] = check(settings(local, tmp_path), f"http://{HOST}/out")
    assert (result.verdict, result.status) == ("skipped", "forbidden_address")
    assert result.url == f"http://{HOST}/out"
    assert "/secret" not in local.paths()


def test_redirect_limit_and_missing_location(local: LocalServer, tmp_path: Path) -> None:
    for n in range(25):
        local.routes[f"/hop{n}"] = fixed(301, b"", Location=f"/hop{n + 1}")
    local.routes["/noloc"] = fixed(302, b"")
    conf = settings(local, tmp_path, max_redirects=5)
    chain, noloc = check(conf, f"http://{HOST}/hop0", f"http://{HOST}/noloc")
    assert chain.status == "redirect_loop" and "more than 5" in chain.detail
    assert local.paths().count("/hop7") == 0
    assert (noloc.verdict, noloc.status) == ("inconclusive", "server_error")


def test_robots_disallowed_is_recorded_never_live_or_dead(
    local: LocalServer, tmp_path: Path
) -> None:
    local.routes["/robots.txt"] = fixed(
        200, b"User-agent: ProspectorBot\nDisallow: /private/\n", Content_Type="text/plain"
    )
    local.routes["/private/page"] = fixed(404, b"gone")
    [result] = check(settings(local, tmp_path), f"http://{HOST}/private/page")
    assert (result.verdict, result.status) == ("skipped", "robots_disallowed")
    assert "/private/page" not in local.paths()
    assert local.paths().count("/robots.txt") == 1


def test_head_first_trusts_get_where_head_lies(local: LocalServer, tmp_path: Path) -> None:
    def lies(request: Any) -> tuple[int, dict[str, str], bytes]:
        return (200, {}, b"") if request.method == "HEAD" else (404, {}, b"gone")

    local.routes["/lies"] = lies
    local.routes["/no-head"] = lambda r: (
        (405, {}, b"")
        if r.method == "HEAD"
        else (200, {"Content-Type": "application/pdf"}, b"%PDF")
    )
    local.routes["/file.pdf"] = fixed(200, b"%PDF-1.7", Content_Type="application/pdf")
    conf = settings(local, tmp_path, head_first=True, respect_robots=False)
    lying, refusing, pdf = check(
        conf, f"http://{HOST}/lies", f"http://{HOST}/no-head", f"http://{HOST}/file.pdf"
    )
    assert (lying.verdict, lying.status) == ("dead", "not_found")
    assert (refusing.verdict, refusing.status) == ("live", "ok")
    assert pdf.status == "ok"
    pdf_methods = [h.method for h in local.hits if h.path == "/file.pdf"]
    assert pdf_methods == ["HEAD"]  # a trustworthy HEAD of a non-HTML file is enough


def test_timeout_bounds_the_whole_request(local: LocalServer, tmp_path: Path) -> None:
    def slow(request: Any) -> tuple[int, dict[str, str], bytes]:
        time.sleep(3)
        return 200, {}, page("Slow")

    local.routes["/slow"] = slow
    [result] = check(
        settings(local, tmp_path, timeout_s=1.0, respect_robots=False), f"http://{HOST}/slow"
    )
    assert (result.verdict, result.status) == ("inconclusive", "timeout")


def test_retry_after_parsing() -> None:
    assert retry_after("120") == 120.0
    assert retry_after(None) is None and retry_after("soon") is None
    ahead = retry_after(http_date(30))
    assert ahead is not None and 25 <= ahead <= 31
    assert retry_after(http_date(-30)) == 0.0


def test_meta_refresh_targets() -> None:
    base = "https://a.example/old"
    assert meta_refresh_target(b'<meta http-equiv="refresh" content="0; url=/new">', base) == (
        "https://a.example/new"
    )
    assert (
        meta_refresh_target(b"<META HTTP-EQUIV=Refresh CONTENT='3;URL=https://b.example/'>", base)
        == "https://b.example/"
    )
    assert meta_refresh_target(b'<meta http-equiv="refresh" content="300">', base) is None
    assert meta_refresh_target(b'<meta http-equiv="refresh" content="600; url=/x">', base) is None


def test_dedupe_key_drops_fragments_and_tracking_but_keeps_real_parameters() -> None:
    assert dedupe_key("https://A.example:443/p?id=3&utm_source=x#top") == (
        "https://a.example/p?id=3"
    )
    assert dedupe_key("https://a.example/p?id=3") != dedupe_key("https://a.example/p?id=4")
