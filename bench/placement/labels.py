"""Gold labels for the placement benchmark: which links of ``source.html`` are editorial.

Independent of Prospector's extractor: the source page is parsed here with lxml, every
``<a href>`` that resolves to http(s) is a labelled link, and it is *editorial* when it also
occurs among the links of Readability's ``expected.html`` (see ``shared/eval/README.md``).
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html

FAKE_BASE = "http://fakehost/test/page.html"


@dataclass(frozen=True)
class RawLink:
    href: str  # resolved absolute URL
    anchor: str  # text content, whitespace collapsed
    context: str = ""  # text of the nearest block around the link (tells copies apart)

    @property
    def key(self) -> str:
        return norm_url(self.href)


@dataclass(frozen=True)
class Case:
    name: str
    source: bytes
    links: tuple[RawLink, ...]
    editorial: tuple[bool, ...]

    @property
    def base_url(self) -> str:
        return FAKE_BASE


def norm_url(url: str) -> str:
    """http = https, lower-case host, no default port, percent-decoded, no '/' or fragment."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower()
    if port is not None and port not in (80, 443):
        host = f"{host}:{port}"
    path = unquote(parts.path).rstrip("/")
    query = unquote(parts.query)
    return f"{host}{path}" + (f"?{query}" if query else "")


def collapse(text: str) -> str:
    return " ".join(text.split())


def parse(data: bytes) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(data)
    except Exception:  # an empty or unparseable document has no links
        return None


def base_of(doc: lxml.html.HtmlElement | None) -> str:
    if doc is not None:
        for base in doc.iter("base"):
            href = (base.get("href") or "").strip()
            if href:
                return urljoin(FAKE_BASE, href)
    return FAKE_BASE


def http_anchors(
    doc: lxml.html.HtmlElement | None, base: str
) -> list[tuple[lxml.html.HtmlElement, RawLink]]:
    """Every ``<a href>`` that resolves to http(s), with its link, in document order."""
    out: list[tuple[lxml.html.HtmlElement, RawLink]] = []
    if doc is None:
        return out
    for a in doc.iter("a"):
        href = a.get("href")
        if href is None:
            continue
        try:
            url = urljoin(base, href.strip())
        except ValueError:
            continue
        if urlsplit(url).scheme.lower() in ("http", "https"):
            out.append((a, RawLink(url, collapse(a.text_content()), _context(a))))
    return out


_INLINE = {
    "a",
    "b",
    "i",
    "em",
    "strong",
    "span",
    "sup",
    "sub",
    "small",
    "code",
    "font",
    "u",
    "abbr",
    "cite",
}


def _context(a: lxml.html.HtmlElement) -> str:
    for el in a.iterancestors():
        if isinstance(el.tag, str) and el.tag.lower() not in _INLINE:
            return collapse(el.text_content())[:300]
    return ""


def http_links(doc: lxml.html.HtmlElement | None, base: str) -> list[RawLink]:
    return [link for _, link in http_anchors(doc, base)]


def match(source: Sequence[RawLink], reference: Iterable[RawLink]) -> list[bool]:
    """Which source links occur in ``reference``: same URL; where a URL occurs more than
    once, copies are told apart by anchor text, then by the text around them, then by order."""
    refs: dict[str, list[RawLink]] = defaultdict(list)
    for link in reference:
        refs[link.key].append(link)
    out = [False] * len(source)
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, link in enumerate(source):
        by_key[link.key].append(i)
    for key, idxs in by_key.items():
        pool = list(refs.get(key, ()))
        if not pool:
            continue
        if len(idxs) == 1:
            out[idxs[0]] = True
            continue
        left = idxs
        for same in (
            lambda s, r: s.anchor == r.anchor and s.context == r.context,
            lambda s, r: s.anchor == r.anchor,
            lambda s, r: s.context == r.context,
        ):
            rest: list[int] = []
            for i in left:
                hit = next((r for r in pool if same(source[i], r)), None)
                if hit is None:
                    rest.append(i)
                else:
                    pool.remove(hit)
                    out[i] = True
            left = rest
        for i in left[: len(pool)]:  # anchors and context rewritten: take copies in order
            out[i] = True
    return out


def load_case(folder: Path) -> Case:
    with gzip.open(folder / "source.html.gz") as f:
        source = f.read()
    with gzip.open(folder / "expected.html.gz") as f:
        expected = f.read()
    src_doc = parse(source)
    base = base_of(src_doc)
    links = http_links(src_doc, base)
    ref = http_links(parse(expected), base)
    return Case(folder.name, source, tuple(links), tuple(match(links, ref)))


def load_cases(root: Path) -> list[Case]:
    pages = root / "pages" if (root / "pages").is_dir() else root
    return [load_case(p) for p in sorted(pages.iterdir()) if (p / "source.html.gz").is_file()]
