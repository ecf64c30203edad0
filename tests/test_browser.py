"""The browser lifecycle helper: guarded contexts, blocked resources, dialogs, popups,
downloads, and a remote browser reached over CDP."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from prospector.config import Settings, load_settings
from prospector.demo.server import DemoWeb
from prospector.errors import BrowserError
from prospector.web.browser import open_browser, sandboxed, spki_hashes
from prospector.web.render import RenderFailure, render_url
from tests.conftest import settings_for
from tests.local_server import LocalServer, fixed, page

pytestmark = pytest.mark.browser
HOST = "local.test"


@pytest.fixture
def local() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def local_settings(server: LocalServer, tmp_path: Path) -> Settings:
    return load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "network": {"resolve": {HOST: f"127.0.0.1:{server.port}"}},
            "browser": {"navigation_timeout_s": 10.0},
        },
    )


def test_images_fonts_and_media_are_not_downloaded(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/"] = fixed(
        200,
        b"<title>Pics</title><img src='/pixel.png'>"
        b"<video src='/clip.mp4'></video><link rel=stylesheet href='/s.css'>",
    )
    local.routes["/s.css"] = fixed(200, b"body{color:red}", Content_Type="text/css")

    async def scenario() -> str:
        async with open_browser(local_settings(local, tmp_path)) as session, session.page() as tab:
            await tab.goto(f"http://{HOST}/")
            return await tab.title()

    assert asyncio.run(scenario()) == "Pics"
    assert "/pixel.png" not in local.paths() and "/clip.mp4" not in local.paths()
    assert "/s.css" in local.paths()  # stylesheets are needed to judge visibility


def test_dialogs_are_dismissed_and_popups_closed(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/"] = fixed(
        200,
        b"<title>Noisy</title><script>alert('hi');"
        b"window.__c = confirm('sure?');window.__p = prompt('name?');"
        b"window.open('/popup');</script><p>Content</p>",
    )
    local.routes["/popup"] = fixed(200, page("Popup"))

    async def scenario() -> tuple[str, object, object, int]:
        async with open_browser(local_settings(local, tmp_path)) as session, session.page() as tab:
            await tab.goto(f"http://{HOST}/")
            await tab.wait_for_timeout(500)
            answers = await tab.evaluate("() => [window.__c, window.__p]")
            return await tab.title(), answers[0], answers[1], len(tab.context.pages)

    title, confirmed, prompted, pages = asyncio.run(scenario())
    assert title == "Noisy"
    assert confirmed is False and prompted is None  # dismissed, not accepted
    assert pages == 1  # the popup was closed


def test_downloads_are_refused(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/file.zip"] = fixed(
        200,
        b"PK\x03\x04" + b"0" * 1000,
        Content_Type="application/zip",
        Content_Disposition='attachment; filename="f.zip"',
    )

    async def scenario() -> str:
        async with open_browser(local_settings(local, tmp_path)) as session, session.page() as tab:
            try:
                await tab.goto(f"http://{HOST}/file.zip")
            except Exception as exc:
                return str(exc)
            return "navigated"

    outcome = asyncio.run(scenario())
    assert "Download" in outcome or "ERR_ABORTED" in outcome


def _devtools_port(process: subprocess.Popen[str]) -> int:
    assert process.stderr is not None
    for line in process.stderr:
        match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        if match:
            return int(match.group(1))
    raise AssertionError("the remote browser printed no DevTools address")


@pytest.mark.integration
def test_a_remote_browser_over_cdp_gets_the_same_guard(demo_web: DemoWeb, tmp_path: Path) -> None:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            binary = pw.chromium.executable_path
    profile = tempfile.mkdtemp(prefix="prospector-remote-")
    spki = ",".join(spki_hashes(demo_web.ca_pem_path))
    remote = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--ignore-certificate-errors-spki-list={spki}",
            "about:blank",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = _devtools_port(remote)
        conf = settings_for(
            demo_web, tmp_path, browser={"cdp_endpoint": f"http://127.0.0.1:{port}"}
        )

        async def scenario() -> tuple[str, str, str]:
            async with open_browser(conf) as session:
                assert session.choice.source == "remote"
                async with session.page() as tab:
                    await tab.goto("https://soilsmith.example/")
                    title = await tab.title()
                async with session.page() as tab:
                    try:
                        await tab.goto(f"http://127.0.0.1:{demo_web.port}/remote-probe")
                        refused = "loaded"
                    except Exception as exc:
                        refused = str(exc)
                return title, refused, session.version

        demo_web.clear_hits()
        title, refused, version = asyncio.run(scenario())
        assert "Soilsmith" in title
        assert "ERR_SOCKS_CONNECTION_FAILED" in refused
        assert "/remote-probe" not in [h.path for h in demo_web.hits]
        assert version
    finally:
        remote.terminate()
        remote.wait(10)
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize(
    ("setting", "euid", "expected"),
    [("auto", 1000, True), ("auto", 0, False), ("on", 0, True), ("off", 1000, False)],
)
def test_chromium_keeps_its_sandbox_unless_running_as_root_or_told_off(
    setting: str, euid: int, expected: bool
) -> None:
    conf = load_settings(None, env={}, overrides={"browser": {"sandbox": setting}}).browser
    assert sandboxed(conf, euid) is expected


def test_a_sandbox_chromium_cannot_start_gives_one_line_naming_the_setting(
    tmp_path: Path,
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root is refused Chromium's sandbox")
    settings = load_settings(
        None,
        env={},
        overrides={"database": str(tmp_path / "p.db"), "browser": {"sandbox": "on"}},
    )

    async def start() -> None:
        async with open_browser(settings):
            pass

    with pytest.raises(BrowserError) as caught:
        asyncio.run(start())
    message = str(caught.value)
    assert "\n" not in message and 'browser.sandbox = "off"' in message


def test_only_http_pages_are_loaded_never_local_files_or_data_urls(tmp_path: Path) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text("<title>local secret</title><a href='http://x.example/'>x</a>")
    settings = load_settings(None, env={}, overrides={"database": str(tmp_path / "p.db")})
    urls = [secret.as_uri(), "data:text/html,<title>data</title>", "chrome://version/"]

    async def go() -> tuple[list[object], list[object]]:
        async with open_browser(settings) as session:
            rendered = [await render_url(session, url) for url in urls]
            settled = [await session.settle(url) for url in urls]
        return rendered, settled

    rendered, settled = asyncio.run(go())
    assert all(isinstance(r, RenderFailure) and "http(s)" in r.reason for r in rendered)
    assert settled == [None, None, None]
