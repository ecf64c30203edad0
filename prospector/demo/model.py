"""Plain data of the demo world: sites, pages, links, emails, and the replies the server sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Link placements, as the extractor should report them.
PLACEMENTS = ("content", "navigation", "header", "footer", "sidebar", "comments", "other")

PAGE_KINDS = (
    "home",
    "article",
    "resource_page",
    "guest_post",
    "contact",
    "about",
    "link_farm",
    "spam",
    "parked",
    "syndicated",
    "spa",
    "other",
)


@dataclass(frozen=True)
class LinkRecord:
    """One ``<a href>`` as it appears on a page (what extraction should find)."""

    href: str  # resolved absolute URL (the raw value when it cannot be resolved)
    raw_href: str  # the attribute exactly as written
    anchor: str  # anchor text, whitespace-normalised, entities decoded
    rel: tuple[str, ...] = ()
    placement: str = "content"
    visible: bool = True
    rendered_only: bool = False  # exists only after JavaScript runs
    topic: str | None = None


@dataclass(frozen=True)
class EmailRecord:
    address: str
    type: str  # role | personal
    obfuscation: str  # plain | mailto | at_dot | paren_at | entities | js | cfemail


@dataclass
class Page:
    path: str
    kind: str
    title: str
    html: str = ""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    topic: str | None = None
    author: str | None = None
    author_sources: tuple[str, ...] = ()
    published: str | None = None
    canonical: str | None = None
    canonical_source: str | None = None  # html | header
    noindex: bool = False
    noindex_source: str | None = None  # meta | header
    links: list[LinkRecord] = field(default_factory=list)
    emails: list[EmailRecord] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    _body: bytes | None = field(default=None, repr=False)

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = self.html.encode("utf-8")
        return self._body


@dataclass(frozen=True)
class Rule:
    """A per-path response that overrides the page table (redirects, errors, walls)."""

    path: str
    status: int = 0
    location: str | None = None
    login: bool = False
    meta_refresh: str | None = None
    js_redirect: str | None = None
    empty: bool = False


@dataclass(frozen=True)
class Asset:
    content_type: str
    body: bytes


@dataclass
class Site:
    host: str
    name: str
    kind: str
    relevance: str = "high"
    archetype: str = "static"
    topics: tuple[str, ...] = ()
    analytics_id: str | None = None
    tls: str = "valid"
    behaviour: str = "normal"
    not_found: str = "404"
    aliases: tuple[str, ...] = ()
    force_https: bool = False
    gzip: bool = False
    robots: str = "open"
    robots_txt: str = ""
    sitemap: str = "plain"
    redirect_to: str | None = None
    features: tuple[str, ...] = ()
    listed: bool = True  # False for filler hosts and synthetic families
    pages: dict[str, Page] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    templates: dict[str, bytes] = field(default_factory=dict)  # not-found, soft-404, gone
    nav: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mail_domain(self) -> str:
        labels = self.host.split(".")
        return ".".join(labels[-2:])

    def url(self, path: str = "/", scheme: str = "https") -> str:
        return f"{scheme}://{self.host}{path}"


@dataclass(frozen=True)
class Reply:
    """What the server should do for one request. ``nature`` tells the oracle what it is."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    nature: str = "page"
    redirect_to: str | None = None  # target of a meta-refresh / JavaScript redirect
    mode: str = "normal"  # normal | trickle | hang
    delay_s: float = 0.0
    compressible: bool = False

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None
