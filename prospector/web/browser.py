"""The one browser lifecycle helper: find or connect to Chromium, hand out guarded pages.

Browser found in this order: ``browser.executable_path``, Playwright's own Chromium, the system
Chromium. ``browser.cdp_endpoint`` / ``browser.ws_endpoint`` connect to a running browser
instead. Every context sends all traffic through the network guard's SOCKS5 proxy, blocks
images/media/fonts, refuses downloads, dismisses dialogs and closes popups.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Playwright, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from prospector.config import BrowserSettings, Settings
from prospector.errors import BrowserError, ConfigError
from prospector.web.netguard import Resolver
from prospector.web.socks import GuardProxy

CONTEXT_USES = 50
SYSTEM_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
QUIET_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-domain-reliability",
    "--no-pings",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
]


@dataclass(frozen=True)
class BrowserChoice:
    """Which browser binary to launch (None = Playwright's own) and why."""

    executable: str | None
    source: str  # configured | playwright | system | remote


def choose_browser(settings: BrowserSettings, playwright_path: str | None) -> BrowserChoice:
    """Apply the search order: configured path, Playwright's own, system Chromium."""
    if settings.cdp_endpoint or settings.ws_endpoint:
        return BrowserChoice(None, "remote")
    if settings.executable_path is not None:
        if not settings.executable_path.is_file():
            raise ConfigError(f"browser.executable_path: {settings.executable_path} not found")
        return BrowserChoice(str(settings.executable_path), "configured")
    if playwright_path and Path(playwright_path).is_file():
        return BrowserChoice(None, "playwright")
    for name in SYSTEM_BROWSERS:
        found = shutil.which(name)
        if found:
            return BrowserChoice(found, "system")
    raise BrowserError(
        "no Chromium found: run 'playwright install chromium', or install the system "
        "package (Debian/Ubuntu: apt-get install chromium), or set browser.executable_path"
    )


def find_installed(settings: BrowserSettings | None = None) -> BrowserChoice | None:
    """The browser that would be launched, or None when there is none (no launch)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        playwright_path = pw.chromium.executable_path
    try:
        return choose_browser(settings or BrowserSettings(), playwright_path)
    except (BrowserError, ConfigError):
        return None


def spki_hashes(ca_bundle: Path) -> list[str]:
    """Base64 SHA-256 of each certificate's public key in a PEM bundle (Chromium's format)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certs = x509.load_pem_x509_certificates(ca_bundle.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"network.ca_bundle: cannot load {ca_bundle}: {exc}") from None
    out = []
    for cert in certs:
        der = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        out.append(base64.b64encode(hashlib.sha256(der).digest()).decode())
    return out


def launch_args(settings: Settings) -> list[str]:
    args = [*QUIET_ARGS, *settings.browser.extra_args]
    if settings.network.ca_bundle is not None:
        args.append(
            "--ignore-certificate-errors-spki-list="
            + ",".join(spki_hashes(settings.network.ca_bundle))
        )
    return args


@dataclass(frozen=True)
class Rendered:
    """Where a page ended up after its scripts ran, and its DOM then."""

    final_url: str
    html: str
    status: int | None


class BrowserSession:
    """A running browser plus the guard proxy; hands out pages from a bounded pool."""

    def __init__(
        self, browser: Browser, proxy: GuardProxy, settings: Settings, choice: BrowserChoice
    ) -> None:
        self.browser = browser
        self.proxy = proxy
        self.settings = settings
        self.choice = choice
        self._slots = asyncio.Semaphore(settings.browser.contexts)
        self._contexts: list[BrowserContext] = []
        self._idle: list[tuple[BrowserContext, int]] = []

    @property
    def version(self) -> str:
        return self.browser.version

    async def new_context(self) -> BrowserContext:
        context = await self.browser.new_context(
            proxy={"server": self.proxy.url, "bypass": "<-loopback>"},
            user_agent=self.settings.fetch.user_agent,
            accept_downloads=False,
            service_workers="block",
            ignore_https_errors=False,
        )
        context.set_default_navigation_timeout(self.settings.browser.navigation_timeout_s * 1000)
        context.set_default_timeout(self.settings.browser.navigation_timeout_s * 1000)
        blocked = set(self.settings.browser.block_resources)
        if blocked:

            async def block(route: Route) -> None:
                if route.request.resource_type in blocked:
                    await route.abort("blockedbyclient")
                else:
                    await route.fallback()

            await context.route("**/*", block)
        self._contexts.append(context)
        return context

    @contextlib.asynccontextmanager
    async def page(self) -> AsyncIterator[Page]:
        """A fresh page from the context pool; dialogs dismissed, popups closed.

        Contexts are reused (cookies and storage cleared between pages) and replaced after
        ``CONTEXT_USES`` pages, so a long job neither pays for a new context per page nor lets
        one grow without bound.
        """
        async with self._slots:
            context, uses = self._idle.pop() if self._idle else (await self.new_context(), 0)
            page: Page | None = None
            healthy = False
            try:
                page = await context.new_page()
                page.on("dialog", _dismiss)
                page.on("popup", _close)
                yield page
                healthy = True
            finally:
                if page is not None:
                    with contextlib.suppress(PlaywrightError):
                        await page.close()
                await self._release(context, uses + 1, healthy)

    async def _release(self, context: BrowserContext, uses: int, healthy: bool) -> None:
        if healthy and uses < CONTEXT_USES:
            try:
                await context.clear_cookies()
                for extra in context.pages:  # leftovers such as popups
                    await extra.close()
                self._idle.append((context, uses))
                return
            except PlaywrightError:
                pass
        with contextlib.suppress(PlaywrightError):
            await context.close()
        if context in self._contexts:
            self._contexts.remove(context)

    async def settle(self, url: str, settle_ms: int = 2500) -> Rendered | None:
        """Load ``url``, let scripts run (and redirect), and return where it ended up."""
        async with self.page() as page:
            try:
                response = await page.goto(url, wait_until="load")
                with contextlib.suppress(PlaywrightTimeoutError):
                    await page.wait_for_load_state("networkidle", timeout=settle_ms)
                return Rendered(
                    page.url, await page.content(), response.status if response else None
                )
            except PlaywrightError:
                return None

    async def close(self) -> None:
        for context in list(self._contexts):
            with contextlib.suppress(PlaywrightError):
                await context.close()
        self._contexts.clear()
        self._idle.clear()


_BACKGROUND: set[asyncio.Task[None]] = set()


def _in_background(awaitable: Any) -> None:
    task = asyncio.ensure_future(_quiet(awaitable))
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


def _close(popup: Page) -> None:
    _in_background(popup.close())


def _dismiss(dialog: Any) -> None:
    _in_background(dialog.dismiss())


async def _quiet(awaitable: Any) -> None:
    with contextlib.suppress(PlaywrightError):
        await awaitable


async def _start(pw: Playwright, settings: Settings) -> tuple[Browser, BrowserChoice]:
    conf = settings.browser
    choice = choose_browser(conf, pw.chromium.executable_path)
    try:
        if conf.cdp_endpoint:
            return await pw.chromium.connect_over_cdp(conf.cdp_endpoint), choice
        if conf.ws_endpoint:
            return await pw.chromium.connect(conf.ws_endpoint), choice
        browser = await pw.chromium.launch(
            executable_path=choice.executable,
            headless=conf.headless,
            args=launch_args(settings),
        )
    except PlaywrightError as exc:
        where = (
            conf.cdp_endpoint or conf.ws_endpoint or choice.executable or "Playwright's Chromium"
        )
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BrowserError(f"cannot start or reach the browser ({where}): {first}") from None
    return browser, choice


@contextlib.asynccontextmanager
async def open_browser(
    settings: Settings, resolver: Resolver | None = None
) -> AsyncIterator[BrowserSession]:
    """One browser per job: ``async with open_browser(settings) as session: ...``."""
    resolver = resolver or Resolver.from_settings(settings.network)
    proxy = GuardProxy(resolver, connect_timeout=settings.fetch.connect_timeout_s)
    async with async_playwright() as pw, proxy:
        browser, choice = await _start(pw, settings)
        session = BrowserSession(browser, proxy, settings, choice)
        try:
            yield session
        finally:
            await session.close()
            with contextlib.suppress(PlaywrightError):
                await browser.close()


class LazyBrowser:
    """Starts the browser the first time a page needs rendering, once per job."""

    def __init__(self, settings: Settings, stack: contextlib.AsyncExitStack) -> None:
        self.settings = settings
        self.stack = stack
        self.session: BrowserSession | None = None
        self.failed: str | None = None
        self._lock = asyncio.Lock()

    async def settle(self, url: str) -> Rendered | None:
        async with self._lock:
            if self.session is None and self.failed is None:
                try:
                    self.session = await self.stack.enter_async_context(open_browser(self.settings))
                except Exception as exc:  # a missing browser degrades to raw-HTML judgement
                    self.failed = str(exc)
        if self.session is None:
            return None
        return await self.session.settle(url)
