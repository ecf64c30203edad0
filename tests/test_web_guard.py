"""The real httpx client and the real Chromium reach the local web by host name, and nothing
reaches an address the guard refuses."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from prospector.config import Settings
from prospector.demo.server import DemoWeb
from prospector.errors import ForbiddenAddressError, NameNotResolvedError
from prospector.web.browser import open_browser
from prospector.web.http import make_client

pytestmark = pytest.mark.integration


def hit_paths(web: DemoWeb) -> list[str]:
    return [hit.path for hit in web.hits]


async def get(settings: Settings, url: str) -> httpx.Response:
    async with make_client(settings) as client:
        return await client.get(url)


def test_httpx_reaches_an_https_host_by_name_through_the_mapping(
    demo_web: DemoWeb, demo_settings: Settings
) -> None:
    response = asyncio.run(get(demo_settings, "https://soilsmith.example/"))
    assert response.status_code == 200
    assert "Soilsmith" in response.text
    assert response.url.host == "soilsmith.example"
    assert any(h.host == "soilsmith.example" and h.scheme == "https" for h in demo_web.hits)


def test_https_fails_when_the_test_ca_is_not_trusted(
    demo_web: DemoWeb, demo_settings: Settings
) -> None:
    untrusting = demo_settings.model_copy(
        update={"network": demo_settings.network.model_copy(update={"ca_bundle": None})}
    )
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(get(untrusting, "https://soilsmith.example/"))


def test_unmapped_private_address_is_refused_without_a_request(
    demo_web: DemoWeb, demo_settings: Settings
) -> None:
    demo_web.clear_hits()
    url = f"http://127.0.0.1:{demo_web.port}/guard-probe-httpx"
    with pytest.raises(ForbiddenAddressError, match="loopback"):
        asyncio.run(get(demo_settings, url))
    assert "/guard-probe-httpx" not in hit_paths(demo_web)


def test_a_name_that_resolves_to_loopback_is_refused(
    demo_web: DemoWeb, demo_settings: Settings
) -> None:
    demo_web.clear_hits()
    with pytest.raises(ForbiddenAddressError):
        asyncio.run(get(demo_settings, f"http://localhost:{demo_web.port}/guard-probe-name"))
    assert "/guard-probe-name" not in hit_paths(demo_web)


def test_allow_private_lets_the_same_request_through(
    demo_web: DemoWeb, demo_settings: Settings
) -> None:
    allowing = demo_settings.model_copy(
        update={"network": demo_settings.network.model_copy(update={"allow_private": True})}
    )
    demo_web.clear_hits()
    asyncio.run(get(allowing, f"http://127.0.0.1:{demo_web.port}/guard-probe-allowed"))
    assert "/guard-probe-allowed" in hit_paths(demo_web)


def test_nxdomain_mapping_is_a_dead_name(demo_web: DemoWeb, demo_settings: Settings) -> None:
    nxdomain = [host for host, target in demo_web.resolve_map().items() if target == "NXDOMAIN"]
    assert nxdomain
    with pytest.raises(NameNotResolvedError) as caught:
        asyncio.run(get(demo_settings, f"https://{nxdomain[0]}/"))
    assert not caught.value.transient


@pytest.mark.browser
def test_chromium_renders_an_https_host_by_name(demo_web: DemoWeb, demo_settings: Settings) -> None:
    async def scenario() -> tuple[int, str, str]:
        async with open_browser(demo_settings) as session, session.page() as page:
            response = await page.goto("https://soilsmith.example/")
            assert response is not None
            return response.status, await page.title(), page.url

    status, title, url = asyncio.run(scenario())
    assert status == 200
    assert "Soilsmith" in title
    assert url == "https://soilsmith.example/"


@pytest.mark.browser
def test_chromium_is_refused_private_addresses_for_pages_and_subrequests(
    demo_web: DemoWeb, demo_settings: Settings
) -> None:
    port = demo_web.port

    async def scenario() -> tuple[str, str, list[str]]:
        async with open_browser(demo_settings) as session:
            async with session.page() as page:
                try:
                    await page.goto(f"http://127.0.0.1:{port}/guard-probe-browser")
                    navigation = "loaded"
                except Exception as exc:
                    navigation = str(exc)
            async with session.page() as page:
                await page.goto("https://soilsmith.example/")
                fetched = await page.evaluate(
                    """async (port) => {
                        try { await fetch(`http://127.0.0.1:${port}/guard-probe-fetch`,
                                          {mode: 'no-cors'}); return 'fetched'; }
                        catch (e) { return 'refused'; }
                    }""",
                    port,
                )
            return navigation, fetched, [r.kind for r in session.proxy.refusals]

    demo_web.clear_hits()
    navigation, fetched, refusals = asyncio.run(scenario())
    assert "ERR_SOCKS_CONNECTION_FAILED" in navigation
    assert fetched == "refused"
    assert refusals.count("forbidden_address") >= 2
    assert "/guard-probe-browser" not in hit_paths(demo_web)
    assert "/guard-probe-fetch" not in hit_paths(demo_web)
