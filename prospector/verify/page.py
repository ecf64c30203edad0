"""One page as verification sees it: fetched politely (its status, verdict and redirect
chain, robots.txt), its served HTML extracted, and its rendered DOM from the job's one
browser — started on first use, like discovery's ``LazyBrowser``.

Failures are values: a page that could not be fetched has its verdict ``inconclusive`` or
``dead`` with the precise status; a page the browser could not render has ``render_note``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from prospector.web.browser import LazyBrowser, open_browser
from prospector.web.extract import Extraction, extract
from prospector.web.fetch import Fetched, Fetcher
from prospector.web.linkstatus import LinkCheck, classify, result
from prospector.web.render import RenderedPage, RenderFailure, render_url
from prospector.web.urls import dedupe_key, registrable_domain

SEARCH_ENGINE_AGENT = "Googlebot"


def page_key(url: str) -> str:
    """Two URLs of one page compare equal: normalised, no fragment or tracking parameters,
    either scheme, with or without a trailing slash."""
    key = dedupe_key(url)
    rest = key.partition("://")[2]
    host, slash, path = rest.partition("/")
    return f"{host}/{path.rstrip('/')}" if slash else host


def same_page(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and page_key(a or "") == page_key(b or "")


def domain_of(url: str) -> str:
    try:
        return registrable_domain((urlsplit(url).hostname or "").lower())
    except ValueError:
        return ""


class Renderer(LazyBrowser):
    """The job's one browser, started the first time a page is rendered; a browser that
    cannot start leaves verification to the served HTML (``failed`` says why)."""

    async def render(self, url: str) -> RenderedPage | RenderFailure | None:
        async with self._lock:
            if self.session is None and self.failed is None:
                try:
                    self.session = await self.stack.enter_async_context(open_browser(self.settings))
                except Exception as exc:  # degrade to the served HTML, with the reason
                    self.failed = str(exc)
        if self.session is None:
            return None
        return await render_url(self.session, url)


@dataclass
class PageView:
    """What one page is: status, robots, the served HTML's extraction and the rendered DOM's."""

    url: str
    check: LinkCheck
    fetched: Fetched | None = None
    raw: Extraction | None = None
    rendered: Extraction | None = None
    rendered_url: str | None = None
    render_note: str | None = None
    robots: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return self.check.verdict

    @property
    def seen(self) -> Extraction | None:
        """The rendered DOM when there is one, else the served HTML."""
        return self.rendered or self.raw

    def redirects(self) -> list[dict[str, Any]]:
        hops = self.fetched.hops if self.fetched else ()
        return [{"url": h.url, "status": h.status, "to": h.location, "via": h.via} for h in hops]

    def summary(self) -> dict[str, Any]:
        fetched = self.fetched
        return {
            "url": self.url,
            "final_url": self.check.final_url,
            "verdict": self.check.verdict,
            "status": self.check.status,
            "http_status": self.check.http_status,
            "detail": self.check.detail,
            "redirects": self.redirects(),
            "content_type": fetched.content_type if fetched else None,
            "rendered": self.rendered is not None,
            "rendered_url": self.rendered_url,
            "render_note": self.render_note,
        }


class PageLoader:
    """Loads pages for one job: the fetcher for status and served HTML, the renderer (if
    any) for the DOM; redirects of our own URLs are resolved once per job."""

    def __init__(self, fetcher: Fetcher, renderer: Renderer | None) -> None:
        self.fetcher = fetcher
        self.renderer = renderer
        self._resolved: dict[str, asyncio.Task[str | None]] = {}
        self._pages: dict[tuple[str, bool], asyncio.Task[PageView]] = {}

    async def load(self, url: str, *, render: bool = True) -> PageView:
        """The page, loaded once per job (two placements on one page share the load)."""
        key = (dedupe_key(url), render)
        task = self._pages.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(url, render))
            self._pages[key] = task
        return await asyncio.shield(task)

    async def _load(self, url: str, render: bool) -> PageView:
        policy = await self.fetcher.robots(url)
        robots: dict[str, Any] = {"source": policy.source}
        if policy.error is None:
            robots["allowed"] = policy.allowed(url, self.fetcher.conf.user_agent)
            robots["search_engines_allowed"] = policy.allowed(url, SEARCH_ENGINE_AGENT)
        fetched = await self.fetcher.fetch(url)
        check = classify(url, fetched) or result(
            url,
            "redirected" if fetched.hops else "ok",
            fetched,
            f"{fetched.status}"
            + (f" after {len(fetched.hops)} redirect(s)" if fetched.hops else ""),
        )
        view = PageView(url, check, fetched, robots=robots)
        if check.verdict != "live":
            return view
        if not fetched.is_html:
            view.notes.append(f"not an HTML page ({fetched.content_type or 'no content type'})")
            return view
        if fetched.truncated:
            view.notes.append("the page is larger than fetch.max_body_bytes: read in part")
        view.raw = extract(fetched.body, fetched.final_url, fetched.headers)
        if render:
            await self._render(view, fetched.final_url)
        return view

    async def _render(self, view: PageView, url: str) -> None:
        if self.renderer is None:
            view.render_note = "not rendered (verify.render = false)"
            return
        page = await self.renderer.render(url)
        if page is None:
            view.render_note = f"not rendered: the browser could not start ({self.renderer.failed})"
        elif isinstance(page, RenderFailure):
            view.render_note = f"not rendered: {page.reason}"
        elif page.status is not None and page.status >= 400:
            view.render_note = f"not rendered: the browser got HTTP {page.status}"
        else:
            view.rendered, view.rendered_url = page.rendered, page.final_url
            if not same_page(page.final_url, url):
                view.notes.append(f"scripts moved the page to {page.final_url}")

    async def resolve(self, url: str) -> str | None:
        """Where ``url`` ends after redirects (None when it does not answer 2xx)."""
        key = dedupe_key(url)
        task = self._resolved.get(key)
        if task is None:
            task = asyncio.ensure_future(self._resolve(url))
            self._resolved[key] = task
        return await asyncio.shield(task)

    async def _resolve(self, url: str) -> str | None:
        fetched = await self.fetcher.fetch(url)
        if fetched.error is not None or fetched.status is None or not 200 <= fetched.status < 300:
            return None
        return fetched.final_url
