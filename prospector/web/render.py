"""Render a page in the browser and read what a person would see: title, links, emails.

This is the rendered-DOM side of extraction; placement here is by the nearest landmark
(``nav``/``header``/``footer``/``aside``/comments), a first approximation that the extraction
module refines.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError

from prospector.models import Link, PageSnapshot
from prospector.web.browser import BrowserSession

_EXTRACT_JS = r"""
() => {
  const landmark = (el) => {
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const tag = n.tagName.toLowerCase();
      const role = (n.getAttribute('role') || '').toLowerCase();
      const cls = ((n.id || '') + ' ' + (typeof n.className === 'string' ? n.className : '')).toLowerCase();
      if (/(^|[\s_-])comments?([\s_-]|$)/.test(cls)) return 'comments';
      if (tag === 'nav' || role === 'navigation') return 'navigation';
      if (tag === 'header' || role === 'banner') return 'header';
      if (tag === 'footer' || role === 'contentinfo') return 'footer';
      if (tag === 'aside' || role === 'complementary') return 'sidebar';
      if (tag === 'main' || tag === 'article' || role === 'main') return 'content';
    }
    return 'other';
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
    }
    return true;
  };
  const anchorText = (a) => {
    let t = (a.innerText || a.textContent || '').replace(/\s+/g, ' ').trim();
    if (!t) { const img = a.querySelector('img[alt]'); if (img) t = img.getAttribute('alt').trim(); }
    return t;
  };
  const links = [];
  for (const a of document.querySelectorAll('a[href]')) {
    links.push({href: a.href, anchor: anchorText(a), rel: (a.getAttribute('rel') || '').toLowerCase(),
                placement: landmark(a), visible: visible(a)});
  }
  const canon = document.querySelector('link[rel~="canonical" i]');
  const robots = [...document.querySelectorAll('meta[name="robots" i]')].map(m => m.content || '').join(',');
  return {title: document.title || '', links, canonical: canon ? canon.href : null, robots,
          text: document.body ? document.body.innerText : '', html: document.documentElement.outerHTML};
}
"""

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class RenderFailure:
    """A page that could not be rendered, with the browser's reason."""

    url: str
    reason: str


async def render_page(session: BrowserSession, url: str) -> PageSnapshot | RenderFailure:
    """Load ``url`` in a fresh page and snapshot the rendered DOM."""
    async with session.page() as page:
        try:
            response = await page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            return RenderFailure(url, _first_line(exc))
        data = await page.evaluate(_EXTRACT_JS)
        final_url = page.url
    host = (urlsplit(final_url).hostname or "").lower()
    links = tuple(
        Link(
            href=item["href"],
            anchor=item["anchor"],
            rel=tuple(item["rel"].split()),
            placement=item["placement"],
            visible=bool(item["visible"]),
            internal=(urlsplit(item["href"]).hostname or "").lower() == host,
        )
        for item in data["links"]
        if urlsplit(item["href"]).scheme in ("http", "https", "mailto")
    )
    emails = {
        link.href[7:].split("?")[0].lower() for link in links if link.href.startswith("mailto:")
    }
    emails |= {match.lower() for match in _EMAIL.findall(data["text"])}
    return PageSnapshot(
        url=url,
        final_url=final_url,
        http_status=response.status if response else None,
        title=data["title"].strip(),
        canonical=data["canonical"],
        noindex="noindex" in data["robots"].lower(),
        links=tuple(link for link in links if not link.href.startswith("mailto:")),
        emails=tuple(sorted(emails)),
        rendered=True,
        content_hash=hashlib.sha256(data["html"].encode()).hexdigest(),
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first.removeprefix("Page.goto: ")
