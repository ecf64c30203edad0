"""``inspect page``: one page as Prospector sees it — raw HTML and rendered DOM, links with
placement and visibility, canonical, robots, emails, authors, and the page type."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prospector.config import Settings
from prospector.discover.classify import classify_page
from prospector.errors import NetworkError, UserError
from prospector.web.browser import open_browser
from prospector.web.extract import Extraction, extract
from prospector.web.fetch import Fetcher
from prospector.web.render import RenderFailure, render_html, render_url

FILE_BASE = "https://inspected.invalid/"


async def inspect_page_async(
    settings: Settings,
    target: str,
    *,
    base_url: str | None = None,
    render: bool = True,
    keywords: Sequence[str] = (),
) -> dict[str, Any]:
    path = Path(target)
    if "://" not in target and path.exists():
        return await _inspect_file(settings, path, base_url, render, keywords)
    if not target.startswith(("http://", "https://")):
        raise UserError(f"{target}: no such file, and not an http(s) URL")
    return await _inspect_url(settings, target, render, keywords)


async def _inspect_file(
    settings: Settings, path: Path, base_url: str | None, render: bool, keywords: Sequence[str]
) -> dict[str, Any]:
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    base = base_url or FILE_BASE + path.name
    raw = extract(data, base)
    rendered = None
    if render:
        async with open_browser(settings) as session:
            rendered = await render_html(session, data, base)
    html = data.decode("utf-8", errors="replace")
    return _report(base, base, raw, rendered, html, keywords)


async def _inspect_url(
    settings: Settings, url: str, render: bool, keywords: Sequence[str]
) -> dict[str, Any]:
    async with Fetcher(settings) as fetcher:
        fetched = await fetcher.fetch(url)
    if fetched.error is not None:
        raise NetworkError(f"{url}: {fetched.error}: {fetched.detail}")
    raw = extract(fetched.body, fetched.final_url, fetched.headers)
    html = fetched.text()
    final, rendered = fetched.final_url, None
    if render:
        async with open_browser(settings) as session:
            page = await render_url(session, url)
        if isinstance(page, RenderFailure):
            raise NetworkError(f"{url}: the browser could not load it: {page.reason}")
        rendered, final, html = page.rendered, page.final_url, page.html or html
    report = _report(url, final, raw, rendered, html, keywords)
    report["http_status"] = fetched.status
    return report


def _report(
    url: str,
    final_url: str,
    raw: Extraction,
    rendered: Extraction | None,
    html: str,
    keywords: Sequence[str],
) -> dict[str, Any]:
    seen = rendered or raw
    page_type = classify_page(seen, html, final_url, keywords)
    out: dict[str, Any] = {
        "url": url,
        "final_url": final_url,
        "title": seen.title,
        "canonical": raw.canonical or raw.canonical_header,
        "canonical_rendered": (rendered.canonical or rendered.canonical_header)
        if rendered
        else None,
        "noindex": seen.noindex or raw.noindex,
        "noindex_sources": sorted({*raw.noindex_sources, *seen.noindex_sources}),
        "links": [
            {
                "href": link.href,
                "anchor": link.anchor,
                "rel": list(link.rel),
                "placement": link.placement,
                "visible": link.visible,
            }
            for link in seen.links
        ],
        "emails": list(seen.email_addresses),
        "email_sources": {e.address: e.source for e in seen.emails},
        "authors": [{"name": a.name, "source": a.source} for a in seen.authors],
        "rendered": rendered is not None,
        **page_type.as_dict(),
    }
    if rendered is not None:
        raw_hrefs = {link.href for link in raw.links}
        out["rendered_only_links"] = sorted({link.href for link in rendered.links} - raw_hrefs)
    return out


def inspect_page(settings: Settings, target: str, **options: Any) -> dict[str, Any]:
    return asyncio.run(inspect_page_async(settings, target, **options))
