"""What extraction returns: plain frozen dataclasses."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from prospector.models import Link

PLACEMENTS = ("content", "navigation", "header", "footer", "sidebar", "comments", "other")

# How an email address was found (the demo world's obfuscation names, plus "js" for an
# address that only JavaScript puts into the page, known only when rendered).
EMAIL_SOURCES = ("mailto", "plain", "entities", "at_dot", "paren_at", "cfemail", "js")

# Where an author name was found.
AUTHOR_SOURCES = ("meta", "jsonld", "rel", "byline")


@dataclass(frozen=True)
class Email:
    address: str  # lower-cased
    source: str  # one of EMAIL_SOURCES


@dataclass(frozen=True)
class Author:
    name: str
    source: str  # one of AUTHOR_SOURCES


@dataclass(frozen=True)
class Extraction:
    """Everything read from one HTML document (raw or rendered)."""

    url: str  # the document's URL (what relative links were resolved against, before <base>)
    title: str = ""
    canonical: str | None = None  # <link rel=canonical>, absolute
    canonical_header: str | None = None  # HTTP `Link: <...>; rel="canonical"`, absolute
    meta_robots: tuple[str, ...] = ()  # tokens of <meta name=robots|googlebot>, lower-case
    x_robots_tag: tuple[str, ...] = ()  # tokens of the X-Robots-Tag header(s), lower-case
    links: tuple[Link, ...] = ()  # http(s) links in document order
    main_text: str = ""  # the editorial text, one block per line
    emails: tuple[Email, ...] = ()
    authors: tuple[Author, ...] = ()
    rendered: bool = False  # visibility comes from the browser (True) or static signals

    @property
    def noindex(self) -> bool:
        """True when the robots meta or X-Robots-Tag says ``noindex`` or ``none``."""
        return any(t in ("noindex", "none") for t in (*self.meta_robots, *self.x_robots_tag))

    @property
    def noindex_sources(self) -> tuple[str, ...]:
        """Where noindex was said: ``meta`` and/or ``header``."""
        out = []
        if any(t in ("noindex", "none") for t in self.meta_robots):
            out.append("meta")
        if any(t in ("noindex", "none") for t in self.x_robots_tag):
            out.append("header")
        return tuple(out)

    @property
    def email_addresses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.address for e in self.emails))

    @property
    def author(self) -> str | None:
        """The name most sources agree on (first seen wins a tie), or None."""
        if not self.authors:
            return None
        counts = Counter(a.name for a in self.authors)
        return max(counts, key=lambda name: counts[name])

    @property
    def content_links(self) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.placement == "content")
