"""The site's pages read for contacts: which ones, reading them, and what is on them.

Pages are grouped by kind — write-for-us, contact, about (or ``other`` for a configured path
that is none of these). For each kind, the candidates are the site's own links of that kind
(found on the prospect page by anchor text or path: "Write for us", ``/contact.html``...)
then the configured ``contacts.pages`` of that kind; they are tried in order until one reads
(status 200, HTML, still on the site), so a site that links its contact page at
``/contact.html`` is not also asked for ``/contact``, ``/contact/`` and ``/contact-us``.
Everything goes through the fetcher: politeness, robots.txt and the network guard apply.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from prospector.qualify.contact_js import script_emails
from prospector.web.extract import Email, Extraction, extract
from prospector.web.extract.dom import parse
from prospector.web.fetch import Fetched, Fetcher
from prospector.web.urls import host_of, normalize, same_site

KIND_ORDER = ("write_for_us", "contact", "about")
_SLUGS = {
    "write_for_us": re.compile(
        r"write-?for-?(us|me)|contribut(e|e-to-us|ors?|ions?|or-guidelines)"
        r"|guest-?(post|posts|posting|blog|blogging|author|authors|writers?|contributions?)"
        r"(-guidelines|-policy|-submissions?)?|submissions?(-guidelines)?"
        r"|submit(-(a|an|your))?(-(guest-)?(post|article|story|pitch))?|pitch(-us|es)?"
        r"|become-an?-(writer|contributor|guest-author|author)"
        r"|(writers?|editorial|submission|contributor)-guidelines"
    ),
    "contact": re.compile(
        r"contact(-us|-me|-page)?|contactus|get-in-touch|reach-us|kontakt|contacto|impressum"
    ),
    "about": re.compile(
        r"about(-us|-me|-the-site)?|aboutus|who-we-are|our-team|the-team|team"
        r"|meet-the-team|masthead|staff"
    ),
}
_MAX_ANCHOR_WORDS = 5
_MAX_LINKS_PER_KIND = 2


@dataclass(frozen=True)
class SitePage:
    """One page read for contacts."""

    url: str  # the final URL
    kind: str  # write_for_us | contact | about | prospect | other
    emails: tuple[Email, ...]
    authors: tuple[str, ...]
    forms: tuple[str | None, ...] = ()  # actions of forms that take a message


def slug(text: str) -> str:
    """``/Write_For_Us.html`` -> ``write-for-us``; ``Get in touch!`` -> ``get-in-touch``."""
    last = text.strip().lower().rstrip("/").rsplit("/", 1)[-1]
    last = re.sub(r"\.(html?|php|aspx?|jsp)$", "", last)
    return re.sub(r"[^a-z0-9]+", "-", last).strip("-")


def kind_of(text: str) -> str | None:
    """The kind of page a URL path, anchor text or title names exactly, else None."""
    key = slug(text)
    for kind in KIND_ORDER:
        if _SLUGS[kind].fullmatch(key):
            return kind
    return None


def page_kind(url: str, title: str = "") -> str | None:
    """The kind of the prospect page itself: by its last path segment, or its title's first
    part ("Write for us | Site")."""
    try:
        path = urlsplit(url).path
    except ValueError:
        path = ""
    kind = kind_of(path) if path.strip("/") else None
    if kind is None and title:
        kind = kind_of(re.split(r"\s[|·–—:-]\s|[|·]", title)[0])
    return kind


def linked_pages(extraction: Extraction, host: str) -> dict[str, list[str]]:
    """The site's own links to its write-for-us, contact and about pages, by kind."""
    out: dict[str, list[str]] = {kind: [] for kind in KIND_ORDER}
    for link in extraction.links:
        if not same_site(link.href, host):
            continue
        anchor = " ".join(link.anchor.split())
        kind = None
        if anchor and len(anchor.split()) <= _MAX_ANCHOR_WORDS:
            kind = kind_of(anchor)
        if kind is None:
            try:
                kind = kind_of(urlsplit(link.href).path) if urlsplit(link.href).path else None
            except ValueError:
                kind = None
        if kind is None:
            continue
        url = link.href.split("#", 1)[0]
        if url not in out[kind] and len(out[kind]) < _MAX_LINKS_PER_KIND:
            out[kind].append(url)
    return out


def plan(
    page_url: str, extraction: Extraction | None, configured: list[str], skip: set[str]
) -> dict[str, list[str]]:
    """Candidate URLs per kind, in the order to try them (see the module's docstring)."""
    host = host_of(page_url)
    links = linked_pages(extraction, host) if extraction is not None else {}
    groups: dict[str, list[str]] = {kind: list(links.get(kind, [])) for kind in KIND_ORDER}
    for i, path in enumerate(configured):
        url = urljoin(page_url, path)
        if not same_site(url, host):
            continue
        kind = kind_of(urlsplit(url).path) or f"other-{i}"
        groups.setdefault(kind, []).append(url)
    seen = set(skip)
    out: dict[str, list[str]] = {}
    for kind, urls in groups.items():
        kept = []
        for url in urls:
            key = normalize(url)
            if key not in seen:
                seen.add(key)
                kept.append(url)
        if kept:
            out[kind] = kept
    return out


def read(fetched: Fetched, kind: str) -> tuple[SitePage, Extraction]:
    """Emails (JavaScript-built ones too), authors and message forms of a fetched page."""
    html = fetched.text()
    extraction = extract(fetched.body, fetched.final_url, fetched.headers)
    emails = list(extraction.emails)
    root = parse(html)
    forms: list[str | None] = []
    if root is not None:
        known = {e.address for e in emails}
        emails += [Email(a, "js") for a in script_emails(root) if a not in known]
        for form in root.iter("form"):
            if next(iter(form.iter("textarea")), None) is not None:
                action = form.get("action")
                forms.append(urljoin(fetched.final_url, action) if action else fetched.final_url)
    page = SitePage(
        fetched.final_url,
        kind,
        tuple(emails),
        tuple(dict.fromkeys(a.name for a in extraction.authors)),
        tuple(forms),
    )
    return page, extraction


def usable(fetched: Fetched, host: str | None) -> str | None:
    """None when a fetched page can be read for contacts, else why not. With ``host``, the
    page must also have stayed on that site and not been sent to the home page."""
    if fetched.error is not None:
        return fetched.error + (f" ({fetched.detail})" if fetched.detail else "")
    if fetched.status != 200:
        return f"HTTP {fetched.status}"
    if not fetched.is_html or not fetched.body:
        return f"not an HTML page ({fetched.content_type or 'no content type'})"
    if host is None:
        return None
    if not same_site(fetched.final_url, host):
        return f"redirected off the site to {fetched.final_url}"
    asked, final = urlsplit(fetched.url).path, urlsplit(fetched.final_url).path
    if final in ("", "/") and asked not in ("", "/"):
        return "redirected to the home page"
    return None


async def read_group(
    fetcher: Fetcher, kind: str, urls: list[str], host: str
) -> tuple[SitePage | None, list[str]]:
    """The first candidate of a kind that reads, and notes on the ones that did not."""
    notes: list[str] = []
    failed: list[str] = []
    for url in urls:
        fetched = await fetcher.fetch(url)
        why = usable(fetched, host)
        if why is None:
            return read(fetched, kind.split("-", 1)[0])[0], notes
        if fetched.error == "robots":
            notes.append(f"{url}: disallowed by robots.txt")
        elif fetched.status != 404:
            notes.append(f"{url}: {why}")
        failed.append(url)
    if kind in KIND_ORDER:
        notes.append(f"no {kind.replace('_', '-')} page read (tried {', '.join(failed)})")
    return None, notes


async def read_site(
    fetcher: Fetcher, groups: dict[str, list[str]], host: str
) -> tuple[list[SitePage], list[str]]:
    """Read every kind's group concurrently (the fetcher keeps each host polite)."""
    results = await asyncio.gather(
        *(read_group(fetcher, kind, urls, host) for kind, urls in groups.items())
    )
    pages: list[SitePage] = []
    notes: list[str] = []
    seen: set[str] = set()
    for page, group_notes in results:
        notes.extend(group_notes)
        if page is not None and normalize(page.url) not in seen:
            seen.add(normalize(page.url))
            pages.append(page)
    return pages, notes
