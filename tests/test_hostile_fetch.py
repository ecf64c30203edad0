"""Every page of the hostile web through the fetcher and the link checker (httpx, the path
crawling takes): a value comes back, within the fetch budget, with the size caps held, and no
refused destination is ever reached."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest

from prospector.config import Settings
from prospector.errors import ForbiddenAddressError
from prospector.web.extract import extract
from prospector.web.fetch import Fetched, Fetcher
from prospector.web.http import GuardedBackend
from prospector.web.linkstatus import VERDICTS, LinkCheck, LinkChecker
from prospector.web.netguard import Resolver
from tests.hostile_catalogue import PAGES
from tests.hostile_harness import (
    MAX_BODY,
    MAX_DECODED,
    RSS_LIMIT_MB,
    assert_untouched,
    fetch_budget_s,
    hostile_settings,
    hostile_web,
    names,
    page_named,
    rss_mb,
)
from tests.hostile_web import METADATA, HostileWeb, forbidden_targets

pytestmark = pytest.mark.integration
__all__ = ["hostile_web"]  # the fixture, for pytest

GUARDED = "forbidden"
# What the fetcher reports for each page (Fetched.error; None: an answer with a status).
FETCH: dict[str, str | None] = {
    "redirect-loop": "redirect_loop",
    "redirect-chain-25": "redirect_loop",
    "redirect-without-location": "no_location",
    "redirect-location-garbage": "protocol",
    "redirect-location-idn-localhost": "protocol",
    "redirect-to-loopback": GUARDED,
    "redirect-to-ipv6-loopback": GUARDED,
    "redirect-to-mapped-ipv6": GUARDED,
    "redirect-to-zero-address": GUARDED,
    "redirect-to-encoded-ip": GUARDED,
    "redirect-to-dns-loopback": GUARDED,
    "redirect-to-metadata": GUARDED,
    "redirect-to-own-ip": GUARDED,
    "redirect-userinfo-trick": GUARDED,
    "redirect-to-file": "invalid",
    "redirect-second-hop": GUARDED,
    "meta-refresh-to-private": GUARDED,
    "meta-refresh-to-dns-loopback": GUARDED,
    "content-length-overstated": "reset",
    "conflicting-content-length": "protocol",
    "slow-loris-headers": "timeout",
    "trickle-body": "timeout",
    "no-answer": "timeout",
    "header-flood": "protocol",
    "huge-header": "protocol",
    "not-http": "protocol",
}
# What the link checker says of each page, without a browser: (verdict, status).
CHECK: dict[str, tuple[str, str]] = {
    "redirect-loop": ("dead", "redirect_loop"),
    "redirect-chain-25": ("dead", "redirect_loop"),
    "redirect-to-file": ("skipped", "invalid"),
    "content-length-overstated": ("inconclusive", "connection_error"),
    "slow-loris-headers": ("inconclusive", "timeout"),
    "trickle-body": ("inconclusive", "timeout"),
    "no-answer": ("inconclusive", "timeout"),
    **{
        name: ("inconclusive", "server_error")
        for name, error in FETCH.items()
        if error in ("no_location", "protocol")
    },
    **{name: ("skipped", "forbidden_address") for name, error in FETCH.items() if error == GUARDED},
}
# Pages with a body to read (the others fail before one, or serve a file).
READABLE = [n for n in names() if FETCH.get(n) is None and n != "download-attachment"]
CAPPED = ["body-50mb", "gzip-bomb", "deflate-bomb", "infinite-chunked", "huge-single-line"]
FORBIDDEN_LABELS = [
    "loopback-alias",
    "loopback-alias-3",
    "ipv6-loopback",
    "ipv4-mapped-ipv6",
    "localhost-by-name",
    "vm-by-name",
    "zero-address",
    "decimal-ip",
    "hex-ip",
    "short-ip",
    "this-server-by-localhost",
    "this-server-by-ip",
    "metadata",
]


@pytest.fixture(autouse=True)
def untouched(hostile_web: HostileWeb, request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    assert_untouched(hostile_web, request.node.name)


@pytest.fixture
def settings(hostile_web: HostileWeb, tmp_path: Path) -> Settings:
    return hostile_settings(hostile_web, tmp_path)


def fetch(settings: Settings, url: str) -> tuple[Fetched, float]:
    async def go() -> Fetched:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url)

    started = time.monotonic()
    return asyncio.run(go()), time.monotonic() - started


def check(settings: Settings, *urls: str) -> tuple[list[LinkCheck], float]:
    async def go() -> list[LinkCheck]:
        async with Fetcher(settings) as fetcher:
            return await LinkChecker(fetcher).check_many(list(urls))

    started = time.monotonic()
    return asyncio.run(go()), time.monotonic() - started


def test_the_catalogue_covers_what_the_issue_lists() -> None:
    listed = set(names())
    assert len(PAGES) >= 30 and len(listed) == len(PAGES)
    wanted = {
        "redirect-loop", "body-50mb", "gzip-bomb", "slow-loris-headers", "js-loop-after-load",
        "dialog-storm", "popup-flood", "download-attachment", "redirect-to-loopback",
        "redirect-to-dns-loopback", "redirect-to-metadata", "meta-refresh-to-private",
        "js-redirect-to-metadata", "invalid-utf8", "many-links-100k", "deep-dom-50k",
        "malformed-hrefs",
    }  # fmt: skip
    assert wanted <= listed
    assert set(FETCH) <= listed and set(CHECK) <= listed


@pytest.mark.parametrize("name", names())
def test_the_fetcher_answers_every_page_with_a_value_within_its_budget(
    name: str, settings: Settings
) -> None:
    result, elapsed = fetch(settings, page_named(name).url)
    assert isinstance(result, Fetched)
    assert result.error == FETCH.get(name), result.detail
    if result.error is None:
        assert result.status is not None
    assert elapsed <= fetch_budget_s(settings), elapsed
    assert len(result.body) <= MAX_DECODED
    assert rss_mb() < RSS_LIMIT_MB


@pytest.mark.parametrize("name", CAPPED)
def test_size_caps_hold_on_the_wire_and_after_decompression(
    name: str, settings: Settings, hostile_web: HostileWeb
) -> None:
    page = page_named(name)
    result, _ = fetch(settings, page.url)
    assert result.truncated and result.status == 200
    assert len(result.body) <= MAX_DECODED
    if name.endswith("bomb"):
        assert len(result.body) == MAX_DECODED  # 1 GiB of zeros, cut at the cap
    else:
        assert len(result.body) <= MAX_BODY + (1 << 16)
        sent = sum(hit.sent for hit in hostile_web.requests(page.path))
        assert sent < 32 << 20  # the client hung up long before 50 MiB (or forever)


@pytest.mark.parametrize("name", names())
def test_the_link_checker_gives_every_page_a_verdict_within_its_budget(
    name: str, settings: Settings
) -> None:
    page = page_named(name)
    [verdict], elapsed = check(settings, page.url)
    assert (verdict.verdict, verdict.status) == CHECK.get(name, ("live", "ok")), verdict.detail
    assert verdict.url == page.url
    assert elapsed <= 2 * fetch_budget_s(settings), elapsed  # the page, then a soft-404 probe


@pytest.mark.parametrize("name", READABLE)
def test_every_link_a_hostile_page_carries_is_extracted_and_judged(
    name: str, settings: Settings
) -> None:
    result, _ = fetch(settings, page_named(name).url)
    assert result.body
    started = time.monotonic()
    extraction = extract(result.body, result.final_url, result.headers)
    assert time.monotonic() - started < 30
    hrefs = list(dict.fromkeys(link.href for link in extraction.links))
    sample = hrefs if len(hrefs) <= 200 else hrefs[:40] + hrefs[-5:]
    verdicts, elapsed = check(settings, *sample)
    assert [v.url for v in verdicts] == sample
    assert all(v.verdict == VERDICTS[v.status] for v in verdicts)
    assert elapsed <= 2 * fetch_budget_s(settings) + 0.05 * len(sample), elapsed
    if name == "many-links-100k":
        assert len(hrefs) == 100_001


@pytest.mark.parametrize("label", FORBIDDEN_LABELS)
def test_every_spelling_of_a_refused_address_is_skipped_as_forbidden(
    label: str, settings: Settings, hostile_web: HostileWeb
) -> None:
    url = forbidden_targets(hostile_web)[label]
    [verdict], _ = check(settings, url)
    assert (verdict.verdict, verdict.status) == ("skipped", "forbidden_address"), verdict.detail


INVALID, FORBIDDEN = ("skipped", "invalid"), ("skipped", "forbidden_address")
MALFORMED: dict[str, tuple[str, str]] = {
    "unclosed-ipv6": INVALID,
    "percent-host": INVALID,
    "percent-encoded-ip": INVALID,
    "javascript": INVALID,
    "data": INVALID,
    "file": INVALID,
    "overlong-label": INVALID,
    "10kb-path": ("dead", "not_found"),
    "bad-punycode": INVALID,
    "idn-localhost": INVALID,
    "fullwidth-ip": INVALID,
    "tab-in-host": INVALID,
    "space-in-host": INVALID,
    "link-local-zone": FORBIDDEN,
    "port-out-of-range": INVALID,
    "negative-port": INVALID,
    "no-host": INVALID,
    "backslashes": INVALID,
    "scheme-relative": INVALID,
    "userinfo": FORBIDDEN,
    "fragment-at": FORBIDDEN,
    "backslash-at": FORBIDDEN,
    "leading-nul": INVALID,
    "ipv4-mapped-metadata": FORBIDDEN,
    "metadata-trailing-dot": FORBIDDEN,
}


@pytest.mark.parametrize("label", list(MALFORMED))
def test_every_malformed_url_gets_a_verdict_and_none_escapes_the_guard(
    label: str, settings: Settings, hostile_web: HostileWeb
) -> None:
    from tests.hostile_pages import malformed_hrefs

    url = malformed_hrefs(hostile_web)[label]
    [verdict], elapsed = check(settings, url)
    assert (verdict.verdict, verdict.status) == MALFORMED[label], verdict.detail
    assert verdict.url == url and elapsed <= 2 * fetch_budget_s(settings)


def test_the_metadata_address_is_refused_before_any_connection_is_attempted(
    settings: Settings, hostile_web: HostileWeb
) -> None:
    """169.254.169.254 cannot be bound here to catch a request: the proof is that the guard
    refuses it before the network backend under it is asked to connect at all."""
    attempts: list[tuple[str, int]] = []

    class Recording(httpcore.AsyncNetworkBackend):
        inner = httpcore.AnyIOBackend()

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.AsyncNetworkStream:
            attempts.append((host, port))
            return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

        async def sleep(self, seconds: float) -> None:
            await self.inner.sleep(seconds)

    backend = GuardedBackend(Resolver.from_settings(settings.network), inner=Recording())

    async def scenario() -> list[str]:
        refused = []
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            for url in (f"http://{METADATA}/latest/meta-data/", f"http://[::ffff:{METADATA}]/"):
                with pytest.raises(ForbiddenAddressError) as caught:
                    await pool.request("GET", url)
                refused.append(caught.value.reason)
            answer = await pool.request("GET", page_named("redirect-to-metadata").url)
            assert answer.status == 302  # the mapped host is reached: the recording works
        return refused

    reasons = asyncio.run(scenario())
    assert all("link-local" in reason for reason in reasons)
    assert attempts == [("127.0.0.1", hostile_web.port)]
    result, _ = fetch(settings, page_named("redirect-to-metadata").url)
    assert result.error == "forbidden" and METADATA in result.detail


def test_a_huge_robots_txt_is_read_once_and_parsed_once_for_all_its_hosts_urls(
    settings: Settings, hostile_web: HostileWeb
) -> None:
    page = page_named("robots-huge")
    urls = [f"{page.url}/{i}" for i in range(60)]

    async def go() -> tuple[list[Fetched], set[int]]:
        async with Fetcher(settings) as fetcher:
            results = [await fetcher.fetch(url) for url in urls]
            parsed = {id((await fetcher.robots(url)).rules) for url in urls}
            return results, parsed

    def robots_reads() -> int:
        return len([h for h in hostile_web.requests("/robots.txt") if h.host == page.host])

    before = robots_reads()  # other tests of this module read it too
    results, parsed = asyncio.run(go())
    assert [r.status for r in results] == [200] * len(urls)
    assert robots_reads() - before == 1
    assert len(parsed) == 1  # one parsed rule set serves every URL of the host
