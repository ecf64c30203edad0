"""The one browser lifecycle helper: find or connect to Chromium, hand out guarded pages.

Browser found in this order: ``browser.executable_path``, Playwright's own Chromium, the system
Chromium. ``browser.cdp_endpoint`` / ``browser.ws_endpoint`` connect to a running browser
instead. Every context sends all traffic through the network guard's SOCKS5 proxy (WebRTC may
not send UDP around it), blocks images/media/fonts, refuses downloads and service workers,
dismisses dialogs and closes popups. Every page is closed once its content passes
``fetch.max_decompressed_bytes``, and no visit outlives :attr:`BrowserSession.deadline_s`; a
context is reused only after a page that closed cleanly and opened no other page.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import shutil
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page, Playwright, Route, async_playwright
from playwright.async_api import Error as PlaywrightError

from prospector.config import BrowserSettings, Settings
from prospector.errors import BrowserError, ConfigError
from prospector.web.navigate import (
    SETTLE_MS,
    Visit,
    cap_content,
    close_popup,
    close_within,
    dismiss,
    visit,
)
from prospector.web.netguard import Resolver
from prospector.web.socks import GuardProxy

CONTEXT_USES = 50
T = TypeVar("T")
CLOSE_TIMEOUT_S = 5.0
SYSTEM_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
QUIET_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-domain-reliability",
    "--no-pings",
    # WebRTC may reach STUN/TURN servers only through the proxy (so never by UDP); the
    # "--force-" spelling is what older Chromium read, the other is what Chromium reads now
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
]


# Playwright turns these protections off by default; a hostile page is what they are for:
# without them 100,000 history.pushState calls keep the browser process busy for minutes,
# and a script opens as many windows as it likes.
KEPT_PROTECTIONS = ["--disable-ipc-flooding-protection", "--disable-popup-blocking"]


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


def sandboxed(conf: BrowserSettings, euid: int | None = None) -> bool:
    """Whether Chromium runs its sandbox: "auto" means yes unless running as root, where
    Chromium refuses to start with it."""
    if conf.sandbox != "auto":
        return conf.sandbox == "on"
    return (os.geteuid() if euid is None else euid) != 0


def launch_args(settings: Settings) -> list[str]:
    args = [*QUIET_ARGS, *settings.browser.extra_args]
    if settings.network.ca_bundle is not None:
        args.append(
            "--ignore-certificate-errors-spki-list="
            + ",".join(spki_hashes(settings.network.ca_bundle))
        )
    return args


class Stuck(Exception):
    """A page's scripts kept the browser busy: its DOM could not be read in time."""


async def read_dom(page: Page, session: BrowserSession, reading: Awaitable[T]) -> T:
    """Await a read of ``page`` (DOM, evaluation) for at most the navigation timeout.

    A script that never yields makes such reads wait forever; this raises :class:`Stuck`
    instead, which, raised inside :meth:`BrowserSession.page`, also retires the context."""
    limit = session.settings.browser.navigation_timeout_s
    try:
        async with asyncio.timeout(limit):
            return await reading
    except TimeoutError:
        raise Stuck(
            f"the page's scripts kept the browser busy: its DOM could not be read within "
            f"{limit:g}s (browser.navigation_timeout_s)"
        ) from None


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
        self._oversized: dict[Page, int] = {}

    @property
    def version(self) -> str:
        return self.browser.version

    @property
    def deadline_s(self) -> float:
        """The longest one visit may take: navigation, settling, reading the DOM, closing."""
        return 2 * self.settings.browser.navigation_timeout_s + SETTLE_MS / 1000 + 5

    def oversized(self, page: Page) -> str | None:
        """Why the session closed ``page`` itself (its content passed the size cap), or None."""
        size = self._oversized.get(page)
        if size is None:
            return None
        cap = self.settings.fetch.max_decompressed_bytes
        return f"the page's content passed {cap:,} bytes (fetch.max_decompressed_bytes)"

    def refusal(self, url: str) -> str | None:
        """The network guard's reason for refusing ``url``'s host, if it did."""
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            return None
        for refusal in reversed(self.proxy.refusals):
            if refusal.host.lower().strip("[]") == host.strip("[]"):
                return f"{refusal.kind}: {refusal.reason}"
        return None

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
        one grow without bound. A context whose page failed, did not close in time, opened
        other pages (popups, downloads) or was closed for its size is closed instead: nothing
        a hostile page started survives into the next one.
        """
        async with self._slots:
            context, uses = self._idle.pop() if self._idle else (await self.new_context(), 0)
            opened: list[Page] = []

            def track(other: Page) -> None:
                opened.append(other)

            context.on("page", track)
            page: Page | None = None
            healthy = False
            try:
                page = await context.new_page()
                page.on("dialog", dismiss)
                page.on("popup", close_popup)
                await cap_content(page, self.settings.fetch.max_decompressed_bytes, self._over)
                yield page
                healthy = page not in self._oversized
            finally:
                context.remove_listener("page", track)
                if page is not None:
                    healthy = await close_within(page, CLOSE_TIMEOUT_S) and healthy
                    self._oversized.pop(page, None)
                alone = all(other is page for other in opened)
                await self._release(context, uses + 1, healthy and alone)

    def _over(self, page: Page, size: int) -> None:
        self._oversized[page] = size

    async def _release(self, context: BrowserContext, uses: int, healthy: bool) -> None:
        if healthy and uses < CONTEXT_USES and not context.pages:
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await context.clear_cookies()
                self._idle.append((context, uses))
                return
            except (PlaywrightError, TimeoutError):
                pass
        await close_within(context, CLOSE_TIMEOUT_S)
        if context in self._contexts:
            self._contexts.remove(context)

    async def settle(self, url: str, settle_ms: int = SETTLE_MS) -> Rendered | None:
        """Load ``url``, let scripts run (and redirect), and return where it ended up.

        None when the page could not be loaded or read in time. When a meta refresh or a
        script sent the page somewhere it could not go (a refused address, a dead name),
        ``final_url`` is that destination and ``html`` is empty; None for a URL that is not
        http(s) (never file:, data: or chrome:)."""
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return None
        try:
            async with asyncio.timeout(self.deadline_s):
                return await self._settle(url, settle_ms)
        except (PlaywrightError, TimeoutError, Stuck):
            return None

    async def _settle(self, url: str, settle_ms: int) -> Rendered | None:
        async with self.page() as page:
            seen: Visit = await visit(page, url, settle_ms)
            refused = seen.refused(page)
            if refused is not None:
                return Rendered(refused[0], "", None)
            last = seen.last
            html = await read_dom(page, self, page.content())
            return Rendered(page.url, html, last.status if last else None)

    async def close(self) -> None:
        for context in list(self._contexts):
            await close_within(context, CLOSE_TIMEOUT_S)
        self._contexts.clear()
        self._idle.clear()


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
            ignore_default_args=KEPT_PROTECTIONS,
            chromium_sandbox=sandboxed(conf),
        )
    except PlaywrightError as exc:
        where = (
            conf.cdp_endpoint or conf.ws_endpoint or choice.executable or "Playwright's Chromium"
        )
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = ""
        if "sandbox" in str(exc).lower() and sandboxed(conf):
            hint = ' (where the sandbox cannot run, set browser.sandbox = "off")'
        raise BrowserError(f"cannot start or reach the browser ({where}): {first}{hint}") from None
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
