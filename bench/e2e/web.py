"""The synthetic web of the end-to-end benchmark: what exists and what links where.

Deterministic from :class:`WebSpec` (a page count and a seed). Three kinds of host, all
second-level names under ``.example`` so each is a site of its own:

- ``e2e-blog<i>.example`` — the campaign's seed sites: topical blogs of
  :data:`PAGES_PER_SITE` pages each (home, resources, write for us, about, contact and
  articles). One article in :attr:`WebSpec.js_every` is a single-page-app shell whose text and
  links exist only after its script runs (so discovery renders it). Articles link out to the
  reference hosts, to each other, and to dead places.
- ``e2e-ref<j>.example`` — the rest of the web the blogs cite: articles ``/a/<k>`` for
  ``k < REF_PAGES``; ``/a/<k>`` beyond that is a 404, ``/retired/<k>`` a 410, ``/moved/<k>`` a
  301 to ``/a/<k>``, ``/app/<k>`` an app shell and ``/go/<k>`` a JavaScript redirect (both need
  the browser when the link checker meets them). Popular hosts are cited more (quadratic skew).
- ``e2e-gone<g>.example`` — hosts that do not resolve (``NXDOMAIN`` in ``network.resolve``).

The HTML is built by :mod:`bench.e2e.pages`; this module only decides the plan, so the page
and link counts (:meth:`SyntheticWeb.stats`) come from the same decisions as the pages.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from random import Random

from bench.e2e import text
from prospector.demo.model import Site

PAGES_PER_SITE = 25
FIXED_PATHS = ("/", "/resources", "/write-for-us", "/about", "/contact")
ARTICLES_PER_SITE = PAGES_PER_SITE - len(FIXED_PATHS)
REF_PAGES = 30  # live articles per reference host
REF_HOSTS_PER_SITE = 5
GONE_PER_SITE = 0.5
OURS = "e2e-ours.example"
LINK_KINDS = ("live", "cross", "redirect", "js", "not_found", "gone", "nxdomain")
# cumulative thresholds of one article link's kind (the rest are live reference articles)
MIX = (
    ("cross", 0.06),
    ("not_found", 0.09),
    ("gone", 0.11),
    ("nxdomain", 0.13),
    ("redirect", 0.15),
    ("js", 0.151),
)
_HOST = re.compile(r"^e2e-(blog|ref)(\d+)\.example$")


@dataclass(frozen=True)
class WebSpec:
    pages: int = 1000  # HTML pages over all blog sites: what discovery reads
    seed: int = 2024
    links_per_article: int = 24
    resource_links: int = 40
    js_every: int = 25  # one article in this many is an app shell

    @property
    def sites(self) -> int:
        return max(1, self.pages // PAGES_PER_SITE)

    @property
    def ref_hosts(self) -> int:
        return self.sites * REF_HOSTS_PER_SITE

    @property
    def gone_hosts(self) -> int:
        return max(2, int(self.sites * GONE_PER_SITE))


@dataclass(frozen=True)
class PlannedLink:
    url: str
    anchor: str
    kind: str  # one of LINK_KINDS


def blog_host(i: int) -> str:
    return f"e2e-blog{i}.example"


def ref_host(j: int) -> str:
    return f"e2e-ref{j}.example"


def gone_host(g: int) -> str:
    return f"e2e-gone{g}.example"


def article_path(k: int) -> str:
    return f"/posts/{k}"


def rng_for(spec: WebSpec, *parts: object) -> Random:
    return Random(":".join(str(p) for p in (spec.seed, *parts)))


def is_js_article(spec: WebSpec, i: int, k: int) -> bool:
    return (i * 7 + k) % spec.js_every == 3


def _ref(spec: WebSpec, rng: Random) -> str:
    j = min(spec.ref_hosts - 1, int(spec.ref_hosts * rng.random() ** 2))
    return f"https://{ref_host(j)}"


def article_links(spec: WebSpec, i: int, k: int) -> list[PlannedLink]:
    """The outbound links of article ``k`` of blog ``i``, in page order."""
    rng = rng_for(spec, "links", i, k)
    out = []
    for _ in range(spec.links_per_article):
        roll = rng.random()
        kind = next((name for name, upto in MIX if roll < upto), "live")
        if kind == "cross" and spec.sites < 2:
            kind = "live"
        anchor = rng.choice(text.ANCHORS)
        if kind == "cross":
            other = rng.randrange(spec.sites - 1)
            other += other >= i
            url = f"https://{blog_host(other)}{article_path(rng.randrange(ARTICLES_PER_SITE))}"
        elif kind == "not_found":
            url = f"{_ref(spec, rng)}/a/{REF_PAGES + rng.randrange(REF_PAGES)}"
        elif kind == "gone":
            url = f"{_ref(spec, rng)}/retired/{rng.randrange(10)}"
        elif kind == "nxdomain":
            url = f"https://{gone_host(rng.randrange(spec.gone_hosts))}/{rng.choice(text.SLUGS)}"
        elif kind == "redirect":
            url = f"{_ref(spec, rng)}/moved/{rng.randrange(REF_PAGES)}"
        elif kind == "js":
            url = f"{_ref(spec, rng)}/{rng.choice(('app', 'go'))}/{rng.randrange(2)}"
        else:
            url = f"{_ref(spec, rng)}/a/{rng.randrange(REF_PAGES)}"
        out.append(PlannedLink(url, anchor, kind))
    return out


def resource_links(spec: WebSpec, i: int) -> list[PlannedLink]:
    """The curated list of the blog's resources page: reference home pages and articles."""
    rng = rng_for(spec, "resources", i)
    out = []
    for n in range(spec.resource_links):
        base = _ref(spec, rng)
        url = f"{base}/" if n % 4 == 0 else f"{base}/a/{rng.randrange(REF_PAGES)}"
        out.append(PlannedLink(url, rng.choice(text.ANCHORS), "live"))
    return out


@dataclass(frozen=True)
class WebStats:
    sites: int
    pages: int  # HTML pages of the blog sites
    js_pages: int  # of which app shells
    outbound_links: int  # external links in the blogs' content, with repeats
    unique_outbound: int  # distinct URLs among them
    by_kind: dict[str, int]  # outbound links by kind, with repeats
    unique_by_kind: dict[str, int]
    ref_hosts: int
    gone_hosts: int

    def as_dict(self) -> dict[str, object]:
        return {
            "sites": self.sites,
            "pages": self.pages,
            "js_pages": self.js_pages,
            "outbound_links": self.outbound_links,
            "unique_outbound": self.unique_outbound,
            "by_kind": self.by_kind,
            "unique_by_kind": self.unique_by_kind,
            "ref_hosts": self.ref_hosts,
            "gone_hosts": self.gone_hosts,
        }


class SyntheticWeb:
    """The web of one :class:`WebSpec`; also a ``HostFamily`` for the demo web's server."""

    def __init__(self, spec: WebSpec) -> None:
        self.spec = spec
        self._cache: dict[str, Site] = {}

    def blog_hosts(self) -> list[str]:
        return [blog_host(i) for i in range(self.spec.sites)]

    def ref_hosts(self) -> list[str]:
        return [ref_host(j) for j in range(self.spec.ref_hosts)]

    def nxdomain_hosts(self) -> list[str]:
        return [gone_host(g) for g in range(self.spec.gone_hosts)]

    def site(self, host: str) -> Site | None:
        host = host.lower().rstrip(".")
        found = self._cache.get(host)
        if found is not None:
            return found
        match = _HOST.match(host)
        if match is None or match.group(2) != str(int(match.group(2))):
            return None
        kind, n = match.group(1), int(match.group(2))
        from bench.e2e import pages

        if kind == "blog" and n < self.spec.sites:
            found = pages.blog_site(self.spec, n)
        elif kind == "ref" and n < self.spec.ref_hosts:
            found = pages.ref_site(self.spec, n)
        if found is not None:
            self._cache[host] = found
        return found

    def stats(self) -> WebStats:
        """Counts over every blog page, from the links its HTML actually carries."""
        pages = js = 0
        links: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        kind_of: dict[str, str] = {}
        for host in self.blog_hosts():
            site = self.site(host)
            assert site is not None
            for page in site.pages.values():
                pages += 1
                js += page.kind == "spa"
                for link in page.links:
                    if link.placement != "content" or not link.href.startswith("http"):
                        continue
                    if link.href.split("/")[2] == host:
                        continue
                    links[link.href] += 1
                    kind = link.topic or "live"
                    kinds[kind] += 1
                    kind_of[link.href] = kind
        unique = Counter(kind_of.values())
        return WebStats(
            sites=self.spec.sites,
            pages=pages,
            js_pages=js,
            outbound_links=sum(links.values()),
            unique_outbound=len(links),
            by_kind={k: kinds[k] for k in LINK_KINDS if kinds[k]},
            unique_by_kind={k: unique[k] for k in LINK_KINDS if unique[k]},
            ref_hosts=self.spec.ref_hosts,
            gone_hosts=self.spec.gone_hosts,
        )
