"""Facts about one page, computed once at discovery time and stored (``page_facts``).

Everything later qualification needs from a page without fetching it again: the text for
relevance (title, headings, description, the editorial text trimmed to
:data:`MAX_TEXT_WORDS`), outbound link counts, hidden links, comment links, tracking and ad
IDs, paid-link footprints, spam-topic terms, repeated anchors and parked-domain cues. The
result is plain JSON (dicts, lists, strings, numbers); :data:`FACTS_VERSION` changes when its
shape does.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from prospector.models import Link
from prospector.qualify import signal_terms
from prospector.web import signals
from prospector.web.extract import Extraction
from prospector.web.extract.dom import collapse, parse, text_of
from prospector.web.urls import host_of, registrable_domain

FACTS_VERSION = 1
MAX_TEXT_WORDS = 5000  # the editorial text kept for relevance
MAX_HEADINGS = 20  # per level
EXAMPLES = 5  # example links kept per signal
STUFFING_REPEATS = 3  # a commercial anchor used this often in the content is "repeated"
_MENU_PLACEMENTS = ("navigation", "header")  # hidden there = a collapsed menu, not a trick


def page_facts(extraction: Extraction, html: str, url: str) -> dict[str, Any]:
    """JSON-serialisable facts about one page (see the module docstring).

    ``extraction`` is :func:`prospector.web.extract.extract` of ``html`` (raw or rendered);
    ``url`` is the page's final URL.
    """
    domain = registrable_domain(host_of(url))
    root = parse(html)
    head = _headings(root, extraction.main_text)
    words = extraction.main_text.split()
    scan = "\n".join([extraction.title, *head["h1"], *head["h2"], extraction.main_text[:200_000]])
    content = [link for link in extraction.links if link.placement == "content"]
    anchors = " | ".join(link.anchor for link in content)
    return {
        "version": FACTS_VERSION,
        "url": url,
        "domain": domain,
        "title": extraction.title,
        "description": _description(root),
        "headings": head,
        "word_count": len(words),
        "text": _trim(extraction.main_text, MAX_TEXT_WORDS),
        "text_truncated": len(words) > MAX_TEXT_WORDS,
        "links": _link_counts(extraction.links, domain, len(words)),
        "hidden_links": _hidden(extraction.links, domain),
        "comments": _comments(extraction.links, domain),
        "tracking_ids": signal_terms.tracking_ids(html[:2_000_000]),
        "paid_footprints": signal_terms.paid_footprints(scan),
        "spam_terms": signal_terms.spam_terms(f"{scan}\n{anchors}"),
        "anchors": _anchors(content, domain),
        "parked": signals.parked(html, url),
        "noindex": extraction.noindex,
        "rendered": extraction.rendered,
        "author": extraction.author,
        "emails": len(extraction.email_addresses),
    }


def relevance_text(facts: Mapping[str, Any]) -> str:
    """The text relevance reads: the title and headings (counted twice: they say what the
    page is about), the description, then the editorial text."""
    head = facts.get("headings") or {}
    top = [facts.get("title") or "", *(head.get("h1") or [])]
    sub = [*(head.get("h2") or []), *(head.get("h3") or [])]
    parts = [*top, *top, *sub, facts.get("description") or "", facts.get("text") or ""]
    return "\n".join(p for p in parts if p)


def _trim(text: str, limit: int) -> str:
    """The first ``limit`` words of ``text``, its line breaks (one block a line) kept."""
    out: list[str] = []
    count = 0
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if count + len(words) > limit:
            out.append(" ".join(words[: limit - count]))
            break
        out.append(" ".join(words))
        count += len(words)
    return "\n".join(out)


def _headings(root: Any, main_text: str) -> dict[str, list[str]]:
    """Visible h1-h3 texts; h2 and h3 only from the editorial text (not "Comments",
    "Recent posts" and other sidebar or footer headings)."""
    out: dict[str, list[str]] = {"h1": [], "h2": [], "h3": []}
    if root is None:
        return out
    lines = {collapse(line) for line in main_text.splitlines()}
    for el in root.iter("h1", "h2", "h3"):
        level = str(el.tag).lower()
        text = collapse(text_of(el, 300, visible_only=True))[:200]
        if not text or len(out[level]) >= MAX_HEADINGS:
            continue
        if level == "h1" or text in lines:
            out[level].append(text)
    return out


def _description(root: Any) -> str:
    if root is None:
        return ""
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or "").lower()
        if name in ("description", "og:description"):
            return collapse(str(el.get("content") or ""))[:500]
    return ""


def _external(link: Link, domain: str) -> bool:
    return not link.internal and registrable_domain(host_of(link.href)) != domain


def _link_counts(links: tuple[Link, ...], domain: str, words: int) -> dict[str, Any]:
    external = [link for link in links if _external(link, domain)]
    content = [link for link in external if link.placement == "content"]
    per_domain = Counter(registrable_domain(host_of(link.href)) for link in external)
    rels: Counter[str] = Counter(token for link in external for token in set(link.rel))
    return {
        "total": len(links),
        "internal": len(links) - len(external),
        "external": len(external),
        "external_domains": len(per_domain),
        "content_external": len(content),
        "content_domains": len({registrable_domain(host_of(link.href)) for link in content}),
        "nofollow": rels["nofollow"],
        "sponsored": rels["sponsored"],
        "ugc": rels["ugc"],
        "followed_external": sum(
            1 for link in external if not {"nofollow", "sponsored", "ugc"} & set(link.rel)
        ),
        "words_per_content_link": round(words / len(content), 1) if content else None,
        "top_domains": [[d, n] for d, n in per_domain.most_common(EXAMPLES)],
    }


def _example(link: Link) -> dict[str, Any]:
    return {"href": link.href, "anchor": link.anchor[:100], "placement": link.placement}


def _hidden(links: tuple[Link, ...], domain: str) -> dict[str, Any]:
    hidden = [
        link for link in links if link.visible is False and link.placement not in _MENU_PLACEMENTS
    ]
    external = [link for link in hidden if _external(link, domain)]
    return {
        "count": len(external),
        "internal": len(hidden) - len(external),
        "examples": [_example(link) for link in external[:EXAMPLES]],
    }


def _comments(links: tuple[Link, ...], domain: str) -> dict[str, Any]:
    inside = [link for link in links if link.placement == "comments"]
    external = [link for link in inside if _external(link, domain)]
    spammy = [
        link
        for link in external
        if signal_terms.spam_terms(link.anchor) or signal_terms.commercial(link.anchor)
    ]
    return {
        "links": len(inside),
        "external": len(external),
        "followed": sum(1 for link in external if not {"nofollow", "ugc"} & set(link.rel)),
        "spam": len(spammy),
        "examples": [_example(link) for link in spammy[:EXAMPLES]],
    }


def _anchors(content: list[Link], domain: str) -> dict[str, Any]:
    """Anchors the editorial content repeats; commercial ones repeated are anchor stuffing."""
    uses: Counter[str] = Counter()
    targets: defaultdict[str, set[str]] = defaultdict(set)
    external: Counter[str] = Counter()
    for link in content:
        anchor = " ".join(link.anchor.lower().split())
        if not anchor:
            continue
        uses[anchor] += 1
        targets[anchor].add(link.href)
        if _external(link, domain):
            external[anchor] += 1
    repeated = [
        {
            "anchor": anchor[:100],
            "count": count,
            "targets": len(targets[anchor]),
            "external": external[anchor],
            "commercial": signal_terms.commercial(anchor),
        }
        for anchor, count in uses.most_common()
        if count >= STUFFING_REPEATS
    ]
    return {"distinct": len(uses), "repeated": repeated[:10]}
