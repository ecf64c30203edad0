"""Every page of the hostile web through Chromium, one browser for the module (as a job has):
render_page and the link checker's settle give a value within the session's deadline, size
caps hold, dialogs are dismissed, popups and downloads refused, nothing is left open, the
browser serves the next page, and no refused destination is ever reached."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from prospector.config import Settings
from prospector.models import PageSnapshot
from prospector.web.browser import CLOSE_TIMEOUT_S, BrowserSession, open_browser
from prospector.web.fetch import Fetcher
from prospector.web.linkstatus import LinkCheck, LinkChecker
from prospector.web.render import RenderFailure, render_page
from tests.hostile_harness import (
    LoopThread,
    assert_untouched,
    browser_processes,
    fetch_budget_s,
    hostile_settings,
    hostile_web,
    names,
    page_named,
)
from tests.hostile_web import METADATA, HostileWeb

pytestmark = [pytest.mark.integration, pytest.mark.browser]
__all__ = ["hostile_web"]  # the fixture, for pytest

SOCKS = "ERR_SOCKS_CONNECTION_FAILED"  # what Chromium says when the guard refuses
TOO_BIG = "fetch.max_decompressed_bytes"
ANY = ("any", "")
# name -> ("fail", text in the reason) | ("title", text in the title) | ANY (load-dependent)
RENDER: dict[str, tuple[str, str]] = {
    "redirect-loop": ("fail", "ERR_TOO_MANY_REDIRECTS"),
    "redirect-chain-25": ("fail", "ERR_TOO_MANY_REDIRECTS"),
    "redirect-without-location": ("title", "Moved somewhere"),
    "redirect-location-garbage": ("fail", "ERR_INVALID_REDIRECT"),
    "redirect-to-file": ("fail", "ERR_UNSAFE_REDIRECT"),
    "meta-refresh-to-private": ("fail", "forbidden_address"),
    "meta-refresh-to-dns-loopback": ("fail", "forbidden_address"),
    "js-redirect-to-metadata": ("fail", "forbidden_address"),
    "js-redirect-to-dns-loopback": ("fail", "forbidden_address"),
    "body-50mb": ("fail", TOO_BIG),
    "gzip-bomb": ("fail", TOO_BIG),
    "deflate-bomb": ("fail", TOO_BIG),
    "infinite-chunked": ("fail", TOO_BIG),
    "content-length-overstated": ("fail", "Timeout"),
    "conflicting-content-length": ("fail", "MULTIPLE_CONTENT_LENGTH"),
    "slow-loris-headers": ("fail", "Timeout"),
    "trickle-body": ("fail", "Timeout"),
    "no-answer": ("fail", "Timeout"),
    "header-flood": ("fail", "ERR_RESPONSE_HEADERS_TOO_BIG"),
    "huge-header": ("fail", "ERR_RESPONSE_HEADERS_TOO_BIG"),
    "not-http": ANY,  # a download, or an invalid response, by Chromium's sniffing
    "many-links-100k": ANY,  # laying out 100,000 links can outlast the navigation timeout
    "js-loop-after-load": ("fail", "kept the browser busy"),
    "js-loop-before-load": ("fail", "Timeout"),
    "dialog-storm": ("title", "answers: false null"),  # every confirm and prompt dismissed
    "popup-flood": ("title", "windows opened: 0"),
    "download-attachment": ("fail", "Download"),
    "document-write-loop": ANY,
    "beforeunload-trap": ANY,  # navigates forever: read in a quiet moment, or not at all
    **dict.fromkeys(
        (
            "redirect-location-idn-localhost",
            "redirect-to-loopback",
            "redirect-to-ipv6-loopback",
            "redirect-to-mapped-ipv6",
            "redirect-to-zero-address",
            "redirect-to-encoded-ip",
            "redirect-to-dns-loopback",
            "redirect-to-metadata",
            "redirect-to-own-ip",
            "redirect-userinfo-trick",
            "redirect-second-hop",
        ),
        ("fail", SOCKS),
    ),
}
GUARDED_HOSTS = {
    "redirect-to-loopback": "127.0.0.2",
    "redirect-to-ipv6-loopback": "::1",
    "redirect-to-zero-address": "0.0.0.0",
    "redirect-to-dns-loopback": "localhost",
    "redirect-to-metadata": METADATA,
    "meta-refresh-to-private": "127.0.0.3",
    "meta-refresh-to-dns-loopback": "vm",
    "js-redirect-to-metadata": METADATA,
    "subresources-to-private": "127.0.0.2",
}
# Pages whose raw HTML the link checker hands to the browser: script redirects into refused
# addresses, and scripts that would hang or flood a browser that did not bound them.
SCRIPTED: dict[str, tuple[str, str]] = {
    "js-redirect-to-metadata": ("skipped", "forbidden_address"),
    "js-redirect-to-dns-loopback": ("skipped", "forbidden_address"),
    "js-loop-after-load": ("inconclusive", "timeout"),  # its DOM cannot be read: unknown
    "dialog-storm": ("live", "ok"),
    "popup-flood": ("live", "ok"),
}


@dataclass
class Chromium:
    loop: LoopThread
    session: BrowserSession
    settings: Settings

    def run(self, work: object, extra_s: float = 30.0) -> object:
        return self.loop.run(work, self.session.deadline_s + extra_s)  # type: ignore[arg-type]

    def open_pages(self) -> int:
        async def count() -> int:
            return sum(len(context.pages) for context in self.session.browser.contexts)

        return int(self.loop.run(count(), 30))


@pytest.fixture(scope="module")
def chromium(
    hostile_web: HostileWeb, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Chromium]:
    settings = hostile_settings(hostile_web, tmp_path_factory.mktemp("hostile-browser"))
    loop = LoopThread()
    stack = contextlib.AsyncExitStack()
    session = loop.run(stack.enter_async_context(open_browser(settings)), 120)
    try:
        yield Chromium(loop, session, settings)
    finally:
        loop.run(stack.aclose(), 120)
        loop.close()
    deadline = time.monotonic() + 15
    while browser_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert browser_processes() == [], "Chromium processes outlived the browser"


@pytest.fixture(autouse=True)
def untouched(hostile_web: HostileWeb, request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    assert_untouched(hostile_web, request.node.name)


def settled_renderers(chromium: Chromium) -> int:
    """Renderer processes once closed pages' ones have exited (they go asynchronously)."""
    limit = chromium.settings.browser.contexts + 3  # idle contexts, a spare, the UI's own
    deadline = time.monotonic() + 5
    while len(browser_processes("renderer")) > limit and time.monotonic() < deadline:
        time.sleep(0.2)
    return len(browser_processes("renderer"))


def within_deadline(chromium: Chromium) -> float:
    """A visit's deadline, plus closing what it left behind, plus room for a loaded machine."""
    return chromium.session.deadline_s + 2 * CLOSE_TIMEOUT_S + 5


@pytest.mark.parametrize("name", names())
def test_chromium_renders_or_refuses_every_page_within_its_deadline(
    name: str, chromium: Chromium
) -> None:
    page = page_named(name)
    refusals = len(chromium.session.proxy.refusals)
    started = time.monotonic()
    outcome = chromium.run(render_page(chromium.session, page.url))
    elapsed = time.monotonic() - started
    assert elapsed <= within_deadline(chromium), elapsed
    assert isinstance(outcome, PageSnapshot | RenderFailure)
    kind, text = RENDER.get(name, ("title", ""))
    if kind == "fail":
        assert isinstance(outcome, RenderFailure), outcome
        assert text in outcome.reason
    elif kind == "title":
        assert isinstance(outcome, PageSnapshot), outcome
        assert text in outcome.title
    if name in GUARDED_HOSTS:
        new = list(chromium.session.proxy.refusals)[refusals:]
        assert any(
            r.host.strip("[]") == GUARDED_HOSTS[name] and r.kind == "forbidden_address" for r in new
        ), new
    assert chromium.open_pages() == 0  # popups, downloads and the page itself: all closed
    assert settled_renderers(chromium) <= chromium.settings.browser.contexts + 3


@pytest.mark.parametrize("name", list(SCRIPTED))
def test_the_link_checker_renders_script_pages_within_its_deadline(
    name: str, chromium: Chromium
) -> None:
    async def judge() -> LinkCheck:
        async with Fetcher(chromium.settings) as fetcher:
            checker = LinkChecker(fetcher, render=chromium.session.settle)
            return await checker.check(page_named(name).url)

    started = time.monotonic()
    verdict = chromium.run(judge(), extra_s=60)
    elapsed = time.monotonic() - started
    assert isinstance(verdict, LinkCheck)
    assert (verdict.verdict, verdict.status) == SCRIPTED[name], verdict.detail
    assert elapsed <= within_deadline(chromium) + 2 * fetch_budget_s(chromium.settings)
    assert chromium.open_pages() == 0


def test_the_browser_still_serves_pages_after_every_hostile_one(chromium: Chromium) -> None:
    outcome = chromium.run(render_page(chromium.session, page_named("links-to-everything").url))
    assert isinstance(outcome, PageSnapshot), outcome
    assert outcome.http_status == 200 and len(outcome.links) > 80
    assert chromium.session.browser.is_connected()


def test_webrtc_sends_no_udp_to_the_stun_and_turn_servers_of_a_page(
    chromium: Chromium, hostile_web: HostileWeb
) -> None:
    outcome = chromium.run(render_page(chromium.session, page_named("webrtc-to-private").url))
    assert isinstance(outcome, PageSnapshot)
    time.sleep(1.0)  # ICE gathering runs on after load
    assert not [t for t in hostile_web.tripped() if t.where.endswith("/udp")]
