"""Render pages in Chromium and read them with the same extractor as raw HTML.

In the browser, every ``<a>`` is marked with its computed visibility
(``data-prospector-visible="1|0"``: display, visibility, opacity, zero size, off-screen or
clipped away, for the link and its ancestors) and elements the browser does not show are
marked ``data-prospector-hidden="1"``; then the DOM is serialised and handed to
:func:`prospector.web.extract.extract`, which takes ``visible`` from those marks. So raw and
rendered extraction differ only in what the page's scripts changed and in what CSS hides.

Three entry points:

- :func:`render_url` — load a URL (through the session's network guard) and return the HTTP
  status, final URL, headers, the extraction of the rendered DOM and of the raw HTML served.
- :func:`render_html` — render a file's HTML *as if served from* ``base_url``, with no network
  access at all: the navigation is answered with the given HTML, every other request is aborted.
- :func:`render_page` — :func:`render_url` as a :class:`PageSnapshot` (used by discovery).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urldefrag, urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Response, Route, WebSocketRoute

from prospector.models import PageSnapshot
from prospector.web.browser import BrowserSession, Stuck, read_dom
from prospector.web.extract import (
    HIDDEN_ATTR,
    RENDERED_ATTR,
    VISIBLE_ATTR,
    Email,
    Extraction,
    extract,
)
from prospector.web.extract.charset import decode_html
from prospector.web.navigate import SETTLE_MS, visit

# Marks visibility in the live DOM. Memoised per element; reads all, then writes all.
_MARK_JS = r"""
([visibleAttr, hiddenAttr, renderedAttr]) => {
  const own = new Map();
  const rectArea = (r) => r.width >= 1 && r.height >= 1;
  const clippedAway = (el, s) => {
    if (s.clip && s.clip !== 'auto' && /rect\(\s*(0|1)px,?\s*(0|1)px,?\s*(0|1)px,?\s*(0|1)px\s*\)/.test(s.clip)) return true;
    if (s.clipPath && /inset\(\s*(50%|100%)/.test(s.clipPath)) return true;
    const overflow = s.overflow + ' ' + s.overflowX + ' ' + s.overflowY;
    if (/hidden|clip/.test(overflow)) {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) return true;
    }
    return false;
  };
  // Does this element itself hide its whole subtree?
  const hidesSubtree = (el) => {
    if (own.has(el)) return own.get(el);
    const s = getComputedStyle(el);
    const v = s.display === 'none' || parseFloat(s.opacity) === 0 || clippedAway(el, s);
    own.set(el, v);
    return v;
  };
  const ancestorsHide = (el) => {
    for (let n = el; n && n.nodeType === 1 && n !== document.documentElement; n = n.parentElement) {
      if (hidesSubtree(n)) return true;
    }
    return false;
  };
  const hasArea = (a) => {
    for (const r of a.getClientRects()) if (rectArea(r)) return true;
    for (const d of a.querySelectorAll('*')) if (rectArea(d.getBoundingClientRect())) return true;
    return false;
  };
  const offScreen = (a) => {
    const r = a.getBoundingClientRect();
    const x = window.scrollX, y = window.scrollY;
    return r.right + x <= 0 || r.bottom + y <= 0;
  };
  // Read everything first, then write: an attribute set between two reads makes the next
  // read recompute style and layout, which on a page of 100,000 links takes minutes.
  const body = document.body || document.documentElement;
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_ELEMENT);
  const hidden = [];
  for (let n = walker.currentNode; n; n = walker.nextNode()) {
    const s = getComputedStyle(n);
    if (s.display === 'none' || s.visibility === 'hidden' || s.visibility === 'collapse') {
      hidden.push(n);
    }
  }
  const links = Array.from(document.querySelectorAll('a'));
  const seen = links.map((a) => getComputedStyle(a).visibility === 'visible'
    && !ancestorsHide(a) && hasArea(a) && !offScreen(a));
  for (const n of hidden) n.setAttribute(hiddenAttr, '1');
  links.forEach((a, i) => a.setAttribute(visibleAttr, seen[i] ? '1' : '0'));
  document.documentElement.setAttribute(renderedAttr, '1');
  return document.documentElement.outerHTML.length;
}
"""


@dataclass(frozen=True)
class RenderFailure:
    """A page that could not be rendered, with the browser's reason."""

    url: str
    reason: str


@dataclass(frozen=True)
class RenderedPage:
    """One URL as the browser saw it."""

    url: str  # as requested
    final_url: str  # after redirects (HTTP, meta refresh, JavaScript)
    status: int | None  # HTTP status of the final document response
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, repeats joined
    rendered: Extraction | None = None  # the DOM after scripts ran
    raw: Extraction | None = None  # the HTML as served (before scripts), when readable
    html: str = ""  # the serialised rendered DOM (with the visibility marks)


async def render_url(session: BrowserSession, url: str) -> RenderedPage | RenderFailure:
    """Load ``url`` in a fresh guarded page; extract both the served HTML and the rendered DOM.

    Returns a :class:`RenderFailure` (with a one-line reason) when navigation fails (DNS,
    refused or forbidden address, TLS, timeout), when a meta refresh or script sends the page
    somewhere it cannot go, when the page's content passes ``fetch.max_decompressed_bytes``
    and when the visit does not finish within the session's deadline (a script that never
    yields). Emails that appear only in the rendered DOM are reported with ``source="js"``.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):  # never file:, data:, chrome:
        return RenderFailure(url, "only http(s) pages are rendered")
    try:
        async with asyncio.timeout(session.deadline_s):
            return await _render_url(session, url)
    except TimeoutError:
        return RenderFailure(url, f"the page did not finish within {session.deadline_s:g}s")
    except Stuck as exc:
        return RenderFailure(url, str(exc))


async def _render_url(session: BrowserSession, url: str) -> RenderedPage | RenderFailure:
    cap = session.settings.fetch.max_body_bytes
    async with session.page() as page:
        try:
            seen = await visit(page, url)
        except PlaywrightError as exc:
            return RenderFailure(url, session.oversized(page) or _first_line(exc))
        refused = seen.refused(page)
        if refused is not None:
            target, error = refused
            why = session.refusal(target) or error
            return RenderFailure(url, f"the page went on to {target}, which failed: {why}")
        response = seen.last
        headers = await read_dom(page, session, _headers(response))
        served = await read_dom(page, session, _body(response))
        final_url = page.url
        try:
            html = await read_dom(
                page, session, _marked_dom(page, session.settings.fetch.max_decompressed_bytes)
            )
        except PlaywrightError as exc:
            return RenderFailure(url, session.oversized(page) or _first_line(exc))
    if served is not None and len(served) > cap:
        served = served[:cap]  # as the fetcher reads it: the first max_body_bytes
    raw = extract(served, response.url, headers) if served is not None and response else None
    rendered = extract(html, final_url, headers)
    return RenderedPage(
        url=url,
        final_url=final_url,
        status=response.status if response else None,
        headers=headers,
        rendered=_with_js_emails(rendered, raw),
        raw=raw,
        html=html,
    )


async def render_html(
    session: BrowserSession,
    html: str | bytes,
    base_url: str,
    headers: Mapping[str, str] | None = None,
) -> Extraction:
    """Render a file's HTML as if ``base_url`` had served it, without any network access.

    The browser navigates to ``base_url``; that one navigation is answered with ``html``
    (decoded like :func:`extract` decodes bytes) and every other request — scripts, styles,
    XHR, WebSockets — is aborted, so nothing leaves the machine; later navigations (meta
    refresh, script redirects, frames) are answered "204 No Content" locally, which leaves the
    page where it is. Inline scripts do run. Returns the extraction of the rendered DOM, with ``visible`` from the browser and
    JavaScript-only emails marked ``source="js"``. Raises :class:`prospector.errors.BrowserError`
    only when the browser itself fails.
    """
    content_type = None
    for key, value in (headers or {}).items():
        if key.lower() == "content-type":
            content_type = value
    text = decode_html(html, content_type)
    body = text.encode("utf-8")
    target = urldefrag(base_url).url
    served = False

    async def answer(route: Route) -> None:
        nonlocal served
        request = route.request
        if not request.is_navigation_request():
            await route.abort("blockedbyclient")
        elif not served and urldefrag(request.url).url == target:
            served = True
            await route.fulfill(
                status=200, body=body, headers={"content-type": "text/html; charset=utf-8"}
            )
        else:  # meta refresh, location.href, frames: "204 No Content" keeps the page as it is
            await route.fulfill(status=204, body=b"")

    async def refuse_socket(ws: WebSocketRoute) -> None:
        await ws.close()

    async with session.page() as page:
        await page.route("**/*", answer)
        await page.route_web_socket("**/*", refuse_socket)
        try:
            await page.goto(base_url, wait_until="load")
        except PlaywrightError as exc:
            from prospector.errors import BrowserError

            raise BrowserError(f"cannot render {base_url}: {_first_line(exc)}") from None
        await _settle(page)
        dom = await _marked_dom(page, session.settings.fetch.max_decompressed_bytes)
        final_url = page.url or base_url
    raw = extract(text, base_url, headers)
    return _with_js_emails(extract(dom, final_url, headers), raw)


async def render_page(session: BrowserSession, url: str) -> PageSnapshot | RenderFailure:
    """Load ``url`` in a fresh page and snapshot the rendered DOM."""
    page = await render_url(session, url)
    if isinstance(page, RenderFailure):
        return page
    ex = page.rendered or Extraction(url=page.final_url)
    return PageSnapshot(
        url=url,
        final_url=page.final_url,
        http_status=page.status,
        title=ex.title,
        canonical=ex.canonical or ex.canonical_header,
        noindex=ex.noindex,
        links=ex.links,
        emails=ex.email_addresses,
        rendered=True,
        content_hash=hashlib.sha256(page.html.encode()).hexdigest(),
    )


async def _settle(page: Page) -> None:
    """Give scripts started by "load" a moment: wait for network quiet, at most SETTLE_MS."""
    with contextlib.suppress(PlaywrightError):
        await page.wait_for_load_state("networkidle", timeout=SETTLE_MS)


async def _marked_dom(page: Page, cap: int) -> str:
    """Mark visibility and serialise the DOM; refuse a DOM larger than ``cap`` characters."""
    size = await page.evaluate(_MARK_JS, [VISIBLE_ATTR, HIDDEN_ATTR, RENDERED_ATTR])
    if int(size) > cap:
        raise PlaywrightError(
            f"the rendered page has {int(size):,} characters, more than {cap:,} "
            "(fetch.max_decompressed_bytes)"
        )
    return await page.content()


async def _headers(response: Response | None) -> dict[str, str]:
    if response is None:
        return {}
    out: dict[str, str] = {}
    with contextlib.suppress(PlaywrightError):
        for item in await response.headers_array():
            name = item["name"].lower()
            out[name] = f"{out[name]}, {item['value']}" if name in out else item["value"]
    return out


async def _body(response: Response | None) -> bytes | None:
    if response is None:
        return None
    try:
        return await response.body()
    except PlaywrightError:  # redirected away, or the body was not kept
        return None


def _with_js_emails(rendered: Extraction, raw: Extraction | None) -> Extraction:
    """Emails found in the served HTML keep how they were written; the rest came from JS."""
    before: dict[str, str] = {e.address: e.source for e in raw.emails} if raw else {}
    emails: list[Email] = []
    for email in rendered.emails:
        how = before.get(email.address, "js" if raw is not None else email.source)
        emails.append(Email(email.address, how))
    return replace(rendered, emails=tuple(emails))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first.removeprefix("Page.goto: ")
