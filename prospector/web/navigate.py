"""One page visit in Chromium, bounded against what a hostile page can do.

:func:`visit` loads a URL and lets its scripts settle, recording the main frame's document
responses and the navigations that failed (a meta refresh or script sent to a refused
address leaves the page on Chromium's error page; :meth:`Visit.refused` says where it went).
:func:`cap_content` closes a page whose responses, decoded, pass a byte cap (a 50 MB
document, a gzip bomb, a body that never ends), and :func:`close_within` closes pages and
contexts without waiting forever on a renderer stuck in a script.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import BrowserContext, Page, Request, Response
from playwright.async_api import Error as PlaywrightError

SETTLE_MS = 2500  # after "load", wait at most this long for the network to go quiet (SPAs)
ERROR_PAGE = "chrome-error://"


@dataclass
class Visit:
    """What loading one URL did in the main frame."""

    url: str
    response: Response | None = None  # the answer to the navigation asked for
    documents: list[Response] = field(default_factory=list)  # every document response
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, error) of failed ones

    @property
    def last(self) -> Response | None:
        """After a meta refresh or a script redirect, the last document is the answer."""
        return self.documents[-1] if self.documents else self.response

    def refused(self, page: Page) -> tuple[str, str] | None:
        """(url, error) of the navigation that failed when the page ended on an error page."""
        if page.url.startswith(ERROR_PAGE) and self.failed:
            return self.failed[-1]
        return None


def _main_frame(page: Page, request: Request) -> bool:
    try:
        return request.is_navigation_request() and request.frame == page.main_frame
    except PlaywrightError:  # a service worker's request has no frame
        return False


async def visit(page: Page, url: str, settle_ms: int = SETTLE_MS) -> Visit:
    """Load ``url`` (until "load"), then wait for network quiet, at most ``settle_ms``.

    Raises the browser's error when the navigation itself fails."""
    seen = Visit(url)

    def on_response(response: Response) -> None:
        if _main_frame(page, response.request):
            seen.documents.append(response)

    def on_failed(request: Request) -> None:
        if _main_frame(page, request):
            seen.failed.append((request.url, request.failure or "failed"))

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    seen.response = await page.goto(url, wait_until="load")
    with contextlib.suppress(PlaywrightError):
        await page.wait_for_load_state("networkidle", timeout=settle_ms)
    return seen


async def cap_content(page: Page, cap: int, over: Callable[[Page, int], None]) -> bool:
    """Close ``page`` once its responses, decoded, pass ``cap`` bytes (``over`` is told first).

    Counts Chromium's ``Network.dataReceived`` (decoded bytes of every response of the page,
    documents and subresources alike). False when the browser does not speak CDP: then the
    navigation timeout is the only bound."""
    try:
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Network.enable", {"maxTotalBufferSize": 1, "maxResourceBufferSize": 1})
    except PlaywrightError:
        return False
    received = 0

    def on_data(params: dict[str, Any]) -> None:
        nonlocal received
        if received > cap:
            return
        received += int(params.get("dataLength") or 0)
        if received > cap:
            over(page, received)
            _in_background(page.close())

    cdp.on("Network.dataReceived", on_data)
    return True


async def close_within(target: Page | BrowserContext, seconds: float) -> bool:
    """Close a page or context; False when it failed or did not close in time."""
    try:
        async with asyncio.timeout(seconds):
            await target.close()
    except (PlaywrightError, TimeoutError):
        return False
    return True


_BACKGROUND: set[asyncio.Task[None]] = set()


def _in_background(awaitable: Any) -> None:
    task = asyncio.ensure_future(_quiet(awaitable))
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


async def _quiet(awaitable: Any) -> None:
    with contextlib.suppress(PlaywrightError):
        await awaitable


def close_popup(popup: Page) -> None:
    _in_background(popup.close())


def dismiss(dialog: Any) -> None:
    _in_background(dialog.dismiss())
