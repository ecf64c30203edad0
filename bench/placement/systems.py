"""The systems compared: Prospector (raw HTML, rendered DOM), the naive rule, trafilatura.

Each returns, for one case, a list of booleans aligned with ``case.links``: "this link is
editorial content". Prospector's links are aligned with the labelled links by normalised URL
and order of appearance; trafilatura's output links are matched like ``expected.html``.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import lxml.html

from bench.placement.labels import (
    Case,
    base_of,
    http_anchors,
    http_links,
    match,
    norm_url,
    parse,
)
from prospector.models import Link
from prospector.web.extract import Extraction, extract

NAIVE_TAGS = {"nav", "header", "footer", "aside"}
NAIVE_WORDS = re.compile(r"nav|menu|footer|sidebar|comment|widget", re.IGNORECASE)


def align(case: Case, links: Sequence[Link]) -> list[bool]:
    """Prospector's ``placement == "content"`` for each labelled link (missing = False)."""
    ours: dict[str, list[bool]] = defaultdict(list)
    for link in links:
        ours[norm_url(link.href)].append(link.placement == "content")
    taken: dict[str, int] = defaultdict(int)
    out = []
    for link in case.links:
        key = link.key
        k = taken[key]
        taken[key] += 1
        out.append(ours[key][k] if k < len(ours[key]) else False)
    return out


def ours_raw(case: Case) -> list[bool]:
    return align(case, extract(case.source, case.base_url).links)


def naive(case: Case) -> list[bool]:
    """Content unless inside nav/header/footer/aside or a class/id saying nav, menu..."""
    doc = parse(case.source)
    return [not _naive_boiler(a) for a, _ in http_anchors(doc, base_of(doc))]


def _naive_boiler(a: lxml.html.HtmlElement) -> bool:
    for el in a.iterancestors():
        if not isinstance(el.tag, str):
            continue
        if el.tag.lower() in NAIVE_TAGS:
            return True
        if NAIVE_WORDS.search(f"{el.get('id') or ''} {el.get('class') or ''}"):
            return True
    return False


TRAFILATURA_VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "favor_recall": {"favor_recall": True},
    "favor_precision": {"favor_precision": True},
    "no_fallback": {"no_fallback": True},
}


def trafilatura_system(options: dict[str, Any]) -> Callable[[Case], list[bool]]:
    import trafilatura

    def run(case: Case) -> list[bool]:
        result = trafilatura.extract(
            case.source,
            url=case.base_url,
            output_format="html",
            include_links=True,
            include_comments=False,
            include_tables=True,
            include_images=True,
            deduplicate=False,
            **options,
        )
        if not result:
            return [False] * len(case.links)
        doc = parse(result.encode("utf-8"))
        base = base_of(parse(case.source))
        return match(case.links, http_links(doc, base))

    return run


async def render_all(cases: Sequence[Case], concurrency: int = 2) -> dict[str, Extraction]:
    """Render every case's HTML in Chromium (no network), as served from its base URL."""
    from prospector.config import load_settings
    from prospector.web.browser import open_browser
    from prospector.web.render import render_html

    settings = load_settings(None, env={})
    out: dict[str, Extraction] = {}
    gate = asyncio.Semaphore(concurrency)
    async with open_browser(settings) as session:

        async def one(case: Case) -> None:
            async with gate:
                out[case.name] = await render_html(session, case.source, case.base_url)

        await asyncio.gather(*(one(c) for c in cases))
    return out
