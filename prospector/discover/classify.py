"""Page classifiers with evidence: resource page, guest-post page, or not an opportunity.

Each decision carries the signals that made it, so ``prospector inspect page`` and
``prospector show`` can explain it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from prospector.web.extract import Extraction
from prospector.web.extract.dom import Element, collapse, parse, text_of
from prospector.web.urls import host_of, registrable_domain

_GUEST_STRONG = re.compile(
    r"\b(write for us|guest post(ing)? guidelines|guest posts?|guest (author|blogging|"
    r"contributors?)|become an? (contributor|guest author|writer)|contributor guidelines|"
    r"submission guidelines|submit (a|an|your) (guest )?(post|article|story|pitch)|"
    r"contribute (to|an article)|accepting (guest )?(posts|articles|contributions)|"
    r"pitch us|writers? wanted|contributors? wanted)\b",
    re.IGNORECASE,
)
_GUEST_URL = re.compile(
    r"(write-?for-?us|guest-?post|contribut|submission|submit-?(a-)?(post|article)|"
    r"become-?a-?(writer|contributor)|writers?-?wanted)",
    re.IGNORECASE,
)
_GUEST_BODY = re.compile(
    r"\b(guidelines?|pitch(es)?|word count|\d{3,4}\s*(-|to|–)\s*\d{3,4}\s*words|original "
    r"(content|work|articles?)|unpublished|author bio|byline|we (accept|welcome|publish)|"
    r"editorial (team|calendar|standards)|plagiari[sz]m|do-?follow|submissions?)\b",
    re.IGNORECASE,
)
_RESOURCE_TITLE = re.compile(
    r"\b(resources?|useful (links|sites|websites)|links|link list|recommended (sites|"
    r"websites|reading|links|tools)|further reading|directory|toolkit|reading list|"
    r"best (websites|blogs|sites)|where to learn|helpful (links|sites))\b",
    re.IGNORECASE,
)
_RESOURCE_URL = re.compile(
    r"(resources?|links|useful-links|further-reading|toolkit)", re.IGNORECASE
)
MIN_RESOURCE_DOMAINS = 5
MIN_RESOURCE_LINKS = 8
LINK_FARM_DOMAINS = 80
LINK_FARM_WORDS_PER_LINK = 6.0


@dataclass(frozen=True)
class PageType:
    page_type: str  # resource_page | guest_post | other
    signals: dict[str, Any] = field(default_factory=dict)

    @property
    def on_topic(self) -> bool:
        """False only when keywords were given and none matched."""
        return bool(self.signals.get("topic", {}).get("on_topic", True))

    @property
    def opportunity(self) -> bool:
        return self.page_type != "other" and self.on_topic

    def on_site_topic(self) -> PageType:
        """The same decision for a page whose site (not its own text) is on topic."""
        topic = {**self.signals.get("topic", {}), "on_topic": True, "via": "site"}
        return PageType(self.page_type, {**self.signals, "topic": topic})

    def as_dict(self) -> dict[str, Any]:
        return {"page_type": self.page_type, "page_type_signals": self.signals}


def classify_page(
    extraction: Extraction, html: str, url: str, keywords: Sequence[str] = ()
) -> PageType:
    """Decide what kind of opportunity a page is, with the evidence."""
    root = parse(html)  # once: every DOM signal below is one linear walk of it
    headings = _headings(root)
    title = extraction.title
    path = urlsplit(url).path
    guest = _guest_signals(extraction, root, title, headings, path)
    resource = _resource_signals(extraction, root, title, headings, path, url)
    topic = _topic(extraction, title, headings, keywords)
    if guest["decision"]:
        return PageType("guest_post", {"guest_post": guest, "topic": topic})
    if resource["decision"]:
        return PageType("resource_page", {"resource_page": resource, "topic": topic})
    return PageType("other", {"guest_post": guest, "resource_page": resource, "topic": topic})


def _headings(root: Element | None) -> list[str]:
    if root is None:
        return []
    return [collapse(text_of(h)) for h in itertools.islice(root.iter("h1", "h2"), 6)]


def _submission_form(root: Element | None) -> bool:
    """A form with a text area or a file upload (an input inside a form element).

    Walks the fields and asks each for a form around it: linear in the page, where a pattern
    over the markup turns cubic on a thousand unclosed forms and inputs."""
    if root is None:
        return False
    for field_ in root.iter("textarea", "input"):
        if field_.tag == "input" and str(field_.get("type", "")).strip().lower() != "file":
            continue
        if next(field_.iterancestors("form"), None) is not None:
            return True
    return False


def _guest_signals(
    extraction: Extraction, root: Element | None, title: str, headings: list[str], path: str
) -> dict[str, Any]:
    title_cues = sorted(
        {m.group(0).lower() for t in (title, *headings[:2]) for m in _GUEST_STRONG.finditer(t)}
    )
    url_cue = bool(_GUEST_URL.search(path))
    text = extraction.main_text or ""
    body_cues = sorted({m.group(0).lower() for m in _GUEST_BODY.finditer(text[:20_000])})
    strong_in_body = sorted({m.group(0).lower() for m in _GUEST_STRONG.finditer(text[:20_000])})
    form = _submission_form(root)
    emails = list(extraction.email_addresses)
    channel = bool(emails) or form
    decision = bool(
        ((title_cues or url_cue) and (channel or len(body_cues) >= 2))
        or (strong_in_body and channel and len(body_cues) >= 2)
    )
    return {
        "decision": decision,
        "title_cues": title_cues,
        "url_cue": url_cue,
        "body_cues": body_cues[:10],
        "body_phrases": strong_in_body[:5],
        "submission_emails": emails[:5],
        "submission_form": form,
    }


def _resource_signals(
    extraction: Extraction,
    root: Element | None,
    title: str,
    headings: list[str],
    path: str,
    url: str,
) -> dict[str, Any]:
    own = registrable_domain(host_of(url))
    external = [
        link
        for link in extraction.links
        if link.placement == "content"
        and registrable_domain(host_of(link.href)) != own
        and link.visible is not False
    ]
    domains = {registrable_domain(host_of(link.href)) for link in external}
    listed = _listed_external(root, own)
    title_cues = sorted(
        {m.group(0).lower() for t in (title, *headings[:2]) for m in _RESOURCE_TITLE.finditer(t)}
    )
    url_cue = bool(_RESOURCE_URL.search(path))
    words = len((extraction.main_text or "").split())
    words_per_link = words / max(1, len(external))
    link_farm = len(domains) >= LINK_FARM_DOMAINS and words_per_link < LINK_FARM_WORDS_PER_LINK
    list_share = listed / max(1, len(external))
    decision = (
        len(domains) >= MIN_RESOURCE_DOMAINS
        and len(external) >= MIN_RESOURCE_LINKS
        and not link_farm
        and (bool(title_cues) or url_cue or (list_share >= 0.6 and len(domains) >= 15))
        and list_share >= 0.4
    )
    return {
        "decision": decision,
        "external_links": len(external),
        "distinct_domains": len(domains),
        "in_lists": round(list_share, 2),
        "title_cues": title_cues,
        "url_cue": url_cue,
        "link_farm": link_farm,
        "words_per_link": round(words_per_link, 1),
    }


def _listed_external(root: Element | None, own: str) -> int:
    """External links inside list items (``<li>``, ``<dd>``) of the page.

    One walk of the tree counting the open list items (an XPath union such as
    ``//li//a | //dd//a`` sorts its node sets and takes minutes on 100,000 links)."""
    if root is None:
        return 0
    count = 0
    open_items = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if tag in ("li", "dd"):
            open_items += 1 if event == "start" else -1
        elif tag == "a" and event == "start" and open_items:
            href = str(element.get("href") or "")
            if href.startswith(("http://", "https://")) and (
                registrable_domain(host_of(href)) != own
            ):
                count += 1
    return count


def _topic(
    extraction: Extraction, title: str, headings: list[str], keywords: Sequence[str]
) -> dict[str, Any]:
    if not keywords:
        return {}
    haystack = " ".join([title, *headings, extraction.main_text[:50_000]]).lower()
    anchors = " ".join(link.anchor for link in extraction.links).lower()
    matched = [k for k in keywords if _stem_match(k, haystack) or _stem_match(k, anchors)]
    return {"on_topic": bool(matched), "keywords_matched": matched}


def _stem_match(keyword: str, text: str) -> bool:
    words = [re.escape(w.rstrip("s")) for w in keyword.lower().split()]
    return bool(re.search(r"\b" + r"\w*\s+".join(words) + r"\w*", text))
