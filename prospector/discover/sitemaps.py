"""The pages a site lists in its sitemaps.

Sitemaps are found from robots.txt ``Sitemap:`` lines, else at ``/sitemap.xml``; sitemap indexes
are followed (never off-site, never round a loop, at most ``max_sitemaps`` documents); gzip is
recognised by its magic bytes whatever the URL says and decompressed under a cap; ``urlset``,
``sitemapindex``, RSS, Atom and plain-text sitemaps are read, with any XML namespace. XML is
parsed with defusedxml: a DTD that declares entities (billion laughs, external entities) is
refused, never expanded. Malformed XML yields what a lenient scan of its ``<loc>`` elements
finds. Every fetch goes through the ``Fetcher`` (politeness, robots.txt, the network guard).
Failures are recorded in the result with their reasons; nothing is raised.
"""

from __future__ import annotations

import asyncio
import html
import io
import re
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException  # type: ignore[import-untyped,unused-ignore]
from defusedxml import ElementTree as SafeET  # type: ignore[import-untyped,unused-ignore]

from prospector.web.fetch import Fetcher
from prospector.web.robots import robots_url
from prospector.web.urls import host_of, invalid_url, normalize, same_site

SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # sitemaps.org: at most 50 MB uncompressed
MAX_LOCS_PER_SITEMAP = 50_000  # sitemaps.org: at most 50,000 URLs per sitemap
MAX_DEPTH = 4  # index -> index -> ... (the protocol allows one level; be lenient)
MAX_XML_DEPTH = 32  # a sitemap is 3 or 4 levels deep; deeper is junk or an attack
MAX_XML_ELEMENTS = 1_000_000  # 50,000 URLs with all their optional tags stay well within
_GZIP_MAGIC = b"\x1f\x8b"
_HTML_START = re.compile(rb"\A\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
# linear on any input: a location never contains "<" (except inside CDATA)
_LENIENT_LOC = re.compile(
    rb"<(?:([\w.-]+):)?loc\s*>\s*(?:<!\[CDATA\[([^\]<]{0,8192})\]\]>|([^<]{0,8192}))"
    rb"\s*</(?:[\w.-]+:)?loc\s*>",
    re.I,
)
_INDEX_ROOT = re.compile(rb"<(?:[\w.-]+:)?sitemapindex\b", re.I)
_MEDIA_PREFIXES = {b"image", b"video", b"news", b"xhtml"}

LocKind = Literal["page", "sitemap"]


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: str | None
    sitemap: str  # the sitemap that listed it


@dataclass(frozen=True)
class SitemapFailure:
    url: str
    reason: str


@dataclass
class SitemapResult:
    """The same-site page URLs a site's sitemaps list, and what went wrong on the way."""

    site_url: str
    entries: list[SitemapEntry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # documents read (fully or in part)
    failures: list[SitemapFailure] = field(default_factory=list)
    offsite: int = 0  # listed page URLs on other sites, left out
    invalid: int = 0  # listed locations that are not http(s) URLs
    truncated: bool = False  # stopped at ``limit`` URLs or ``max_sitemaps`` documents

    @property
    def urls(self) -> list[str]:
        return [e.url for e in self.entries]

    def fail(self, url: str, reason: str) -> None:
        self.failures.append(SitemapFailure(url, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "site_url": self.site_url,
            "urls": [
                {"url": e.url, "lastmod": e.lastmod, "sitemap": e.sitemap} for e in self.entries
            ],
            "sitemaps": self.sitemaps,
            "failures": [{"url": f.url, "reason": f.reason} for f in self.failures],
            "offsite": self.offsite,
            "invalid": self.invalid,
            "truncated": self.truncated,
        }


@dataclass
class ParsedSitemap:
    """One document's locations: pages and (from an index) further sitemaps."""

    kind: str  # urlset | sitemapindex | rss | atom | text | unknown
    locs: list[tuple[LocKind, str, str | None]] = field(default_factory=list)
    error: str | None = None


async def sitemap_urls(
    fetcher: Fetcher, site_url: str, *, limit: int = 5000, max_sitemaps: int = 50
) -> SitemapResult:
    """The page URLs (at most ``limit``) that ``site_url``'s site lists in its sitemaps."""
    result = SitemapResult(site_url)
    problem = invalid_url(site_url)
    if problem:
        result.fail(site_url, problem)
        return result
    host = host_of(site_url)
    robots = robots_url(site_url)
    policy = await fetcher.robots(site_url)
    if policy.error is not None:
        detail = f": {policy.detail}" if policy.detail else ""
        result.fail(robots, f"site unreachable: {policy.error}{detail}")
        return result
    queue: deque[tuple[str, tuple[str, ...]]] = deque()
    seen: set[str] = set()
    for declared in policy.sitemaps():
        url = urljoin(robots, declared.strip())
        if invalid_url(url) or not same_site(url, host):
            result.fail(url, "sitemap in robots.txt is not on this site: not read")
        elif normalize(url) not in seen:
            seen.add(normalize(url))
            queue.append((url, (normalize(url),)))
    if not queue:
        fallback = urljoin(robots, "/sitemap.xml")
        seen.add(normalize(fallback))
        queue.append((fallback, (normalize(fallback),)))
    cap = min(SITEMAP_MAX_BYTES, fetcher.conf.max_decompressed_bytes)
    listed: set[str] = set()
    read = 0
    while queue and not result.truncated:
        if len(result.entries) >= limit:
            result.truncated = True
            break
        if read >= max_sitemaps:
            result.truncated = True
            result.fail(queue[0][0], f"{len(queue)} more sitemaps not read (max {max_sitemaps})")
            break
        url, ancestry = queue.popleft()
        read += 1
        parsed = await _read_sitemap(fetcher, url, cap, result)
        if parsed is None:
            continue
        for kind, loc, lastmod in parsed.locs:
            absolute = urljoin(url, loc)
            if invalid_url(absolute):
                result.invalid += 1
            elif kind == "sitemap":
                _follow(result, queue, seen, absolute, ancestry, host)
            elif not same_site(absolute, host):
                result.offsite += 1
            elif normalize(absolute) not in listed:
                if len(result.entries) >= limit:
                    result.truncated = True
                    break
                listed.add(normalize(absolute))
                result.entries.append(SitemapEntry(absolute, lastmod, url))
    return result


def _follow(
    result: SitemapResult,
    queue: deque[tuple[str, tuple[str, ...]]],
    seen: set[str],
    url: str,
    ancestry: tuple[str, ...],
    host: str,
) -> None:
    key = normalize(url)
    if not same_site(url, host):
        result.fail(url, "sitemap on another site: not read")
    elif key in ancestry:
        result.fail(url, "loop: the sitemap index lists itself or an index that lists it")
    elif key in seen:
        return
    elif len(ancestry) > MAX_DEPTH:
        result.fail(url, f"sitemap indexes nested more than {MAX_DEPTH} deep: not read")
    else:
        seen.add(key)
        queue.append((url, (*ancestry, key)))


async def _read_sitemap(
    fetcher: Fetcher, url: str, cap: int, result: SitemapResult
) -> ParsedSitemap | None:
    got = await fetcher.fetch(url, body="all")
    if got.error is not None:
        result.fail(url, f"{got.error}: {got.detail}" if got.detail else got.error)
        return None
    if got.status is None or not 200 <= got.status < 300:
        result.fail(url, f"HTTP {got.status}")
        return None
    result.sitemaps.append(url)
    body = got.body
    if got.truncated:
        result.fail(url, "larger than the fetch size cap: read the part received")
    if body.startswith(_GZIP_MAGIC):
        body, problem = gunzip(body, cap)
        if problem:
            result.fail(url, problem)
    try:
        parsed = await asyncio.to_thread(parse_sitemap, body)
    except Exception as exc:  # a parser bug must not end discovery
        result.fail(url, f"unreadable: {type(exc).__name__}: {exc}")
        return None
    if parsed.error:
        result.fail(url, parsed.error)
    return parsed


def gunzip(data: bytes, cap: int) -> tuple[bytes, str | None]:
    """Decompress gzip ``data`` (all members), at most ``cap`` bytes: (output, problem)."""
    out: list[bytes] = []
    size = 0
    while data:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = decoder.decompress(data, cap - size + 1)
        except zlib.error as exc:
            return b"".join(out), f"corrupt gzip data: {exc}"
        out.append(chunk)
        size += len(chunk)
        if size > cap or decoder.unconsumed_tail:
            return b"".join(out)[
                :cap
            ], f"gzip: more than {cap} bytes decompressed: read the first {cap}"
        if not decoder.eof:
            return b"".join(out), "gzip data ends early: read what decompressed"
        data = decoder.unused_data.lstrip(b"\0")
    return b"".join(out), None


def parse_sitemap(data: bytes) -> ParsedSitemap:
    """Read one sitemap document (already decompressed). Never raises on bad input."""
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        return ParsedSitemap("unknown", error="empty document")
    if _HTML_START.match(stripped[:4096]):
        return ParsedSitemap("unknown", error="an HTML page, not a sitemap")
    if not stripped.startswith(b"<") and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _parse_text(stripped)
    return _parse_xml(data)


def _parse_text(data: bytes) -> ParsedSitemap:
    parsed = ParsedSitemap("text")
    for line in data.decode("utf-8", errors="replace").splitlines():
        url = line.strip()
        if url.lower().startswith(("http://", "https://")):
            parsed.locs.append(("page", url, None))
            if len(parsed.locs) >= MAX_LOCS_PER_SITEMAP:
                break
    if not parsed.locs:
        parsed.error = "not a sitemap (neither XML nor a list of URLs)"
    return parsed


_ROOT_KINDS = {"urlset": "urlset", "sitemapindex": "sitemapindex", "rss": "rss", "rdf": "rss"}
_ENTRY_KINDS: dict[str, LocKind] = {
    "url": "page",
    "item": "page",
    "entry": "page",
    "sitemap": "sitemap",
}


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _parse_xml(data: bytes) -> ParsedSitemap:
    """Stream the document, keeping in memory only the open elements and the current entry:
    every finished element is detached unless an entry still needs it."""
    parsed = ParsedSitemap("unknown")
    stack: list[Any] = []
    elements = 0
    try:
        for event, elem in SafeET.iterparse(io.BytesIO(data), events=("start", "end")):
            name = _local(elem.tag)
            if event == "start":
                if not stack:
                    parsed.kind = "atom" if name == "feed" else _ROOT_KINDS.get(name, "unknown")
                stack.append(elem)
                elements += 1
                if len(stack) > MAX_XML_DEPTH or elements > MAX_XML_ELEMENTS:
                    parsed.error = (
                        f"XML nested more than {MAX_XML_DEPTH} deep: stopped there"
                        if len(stack) > MAX_XML_DEPTH
                        else f"more than {MAX_XML_ELEMENTS} XML elements: stopped there"
                    )
                    break
                continue
            stack.pop()
            kind = _ENTRY_KINDS.get(name)
            if kind is not None:
                loc, lastmod = _entry(elem, name)
                if loc:
                    parsed.locs.append((kind, loc, lastmod))
                elem.clear()
            if stack and _local(stack[-1].tag) not in _ENTRY_KINDS:
                stack[-1].remove(elem)
            if len(parsed.locs) >= MAX_LOCS_PER_SITEMAP:
                parsed.error = f"more than {MAX_LOCS_PER_SITEMAP} URLs: read the first"
                break
    except DefusedXmlException as exc:
        return ParsedSitemap(
            parsed.kind,
            error=f"refused: {type(exc).__name__} (XML entities and external references "
            "are never expanded)",
        )
    except ParseError as exc:
        return _lenient(data, parsed, str(exc))
    return parsed


def _entry(elem: Any, name: str) -> tuple[str | None, str | None]:
    """The location and last modification date of a url/sitemap/item/entry element."""
    loc = lastmod = None
    for child in elem:
        child_name = _local(child.tag)
        text = (child.text or "").strip()
        if child_name == "loc" or (child_name == "link" and name == "item"):
            loc = loc or text or None
        elif child_name == "link" and name == "entry":
            if child.get("rel", "alternate") == "alternate" and child.get("href"):
                loc = loc or child.get("href").strip()
        elif child_name in ("lastmod", "updated", "pubdate"):
            lastmod = lastmod or text or None
    return loc, lastmod


def _lenient(data: bytes, parsed: ParsedSitemap, error: str) -> ParsedSitemap:
    """Malformed XML: take every <loc> a plain scan finds (media sitemaps' own locs aside)."""
    kind: LocKind = "sitemap" if _INDEX_ROOT.search(data[:4096]) else "page"
    found: list[tuple[LocKind, str, str | None]] = []
    for match in _LENIENT_LOC.finditer(data):
        if (match.group(1) or b"").lower() in _MEDIA_PREFIXES:
            continue
        raw = match.group(2) if match.group(2) is not None else match.group(3)
        text = raw.decode("utf-8", errors="replace").strip()
        text = text if match.group(2) is not None else html.unescape(text)
        if text:
            found.append((kind, text, None))
        if len(found) >= MAX_LOCS_PER_SITEMAP:
            break
    locs = found if len(found) > len(parsed.locs) else parsed.locs
    if parsed.kind == "unknown":
        parsed.kind = "sitemapindex" if kind == "sitemap" else "urlset"
    return ParsedSitemap(
        parsed.kind,
        locs,
        error=f"malformed XML ({error}): {len(locs)} locations recovered",
    )
