"""The one entry point: ``extract(html, base_url, headers) -> Extraction``."""

from __future__ import annotations

from collections.abc import Mapping

from prospector.models import Link
from prospector.web.extract import authors, emails, meta
from prospector.web.extract.charset import decode_html
from prospector.web.extract.dom import RENDERED_ATTR, parse, tag, text_of
from prospector.web.extract.layout import Layout, analyse
from prospector.web.extract.links import (
    anchor_text,
    browser_visible,
    document_base,
    host_key,
    is_cf_protection,
    join,
    rel_tokens,
    scheme,
)
from prospector.web.extract.model import Extraction
from prospector.web.extract.placement import main_text, placement


def extract(
    html: str | bytes, base_url: str, headers: Mapping[str, str] | None = None
) -> Extraction:
    """Read links, metadata, emails and authors from one HTML document.

    ``base_url`` is the document's URL (relative links resolve against it, or against the
    document's ``<base href>``); ``headers`` are the HTTP response headers, if any (charset,
    ``Link: rel=canonical``, ``X-Robots-Tag``). Bytes are decoded by BOM, header charset,
    ``<meta charset>``, then UTF-8 with a windows-1252 fallback. Never raises on bad markup or
    encodings: what cannot be read is left out. A document carrying the browser's visibility
    marks (see ``prospector.web.render``) gets ``visible`` from them and ``rendered=True``.
    """
    content_type = next(iter(meta.header_values(headers, "content-type")), None)
    text = decode_html(html, content_type)
    canonical_header = meta.link_header_canonical(headers, base_url)
    x_robots = meta.x_robots_tag(headers)
    root = parse(text)
    if root is None:
        return Extraction(url=base_url, canonical_header=canonical_header, x_robots_tag=x_robots)
    base = document_base(root, base_url)
    layout = analyse(root)
    rendered = root.get(RENDERED_ATTR) == "1"
    links = _links(layout, base, base_url, rendered)
    body = next(iter(root.iter("body")), root)
    return Extraction(
        url=base_url,
        title=meta.title(root),
        canonical=meta.canonical(root, base),
        canonical_header=canonical_header,
        meta_robots=meta.meta_robots(root),
        x_robots_tag=x_robots,
        links=links,
        main_text=main_text(layout),
        emails=emails.find(layout, text_of(body, visible_only=True), text),
        authors=authors.find(root, layout),
        rendered=rendered,
    )


def _links(layout: Layout, base: str, page_url: str, rendered: bool) -> tuple[Link, ...]:
    page_host = host_key(page_url)
    out: list[Link] = []
    for i, el in enumerate(layout.nodes):
        if tag(el) != "a":
            continue
        href = el.get("href")
        if href is None:
            continue
        url = join(base, href)
        if url is None or scheme(url) not in ("http", "https") or is_cf_protection(url):
            continue
        seen = browser_visible(el)
        if rendered and seen is None:
            continue  # not an element in the browser (e.g. markup inside <noscript>)
        out.append(
            Link(
                href=url,
                anchor=anchor_text(el),
                rel=rel_tokens(el),
                placement=placement(layout, i, url),
                visible=seen if seen is not None else not layout.hidden[i],
                internal=host_key(url) == page_host,
            )
        )
    return tuple(out)
