"""Synthetic host families: hosts generated on the fly, e.g. ``h123.bench.example``.

Register one with ``world.add_family(BenchFamily(...))``; the server issues a certificate for
each new host on first use (SNI), and ``*.example`` in the resolve map already covers them.
Family hosts are not part of ``World.truth()``; :meth:`BenchFamily.expected_links` says what
each page links to (every link is ``live/ok``).
"""

from __future__ import annotations

import re

from prospector.demo.behaviours import finalize
from prospector.demo.html import PageDoc, render
from prospector.demo.model import Page, Site


class BenchFamily:
    """``h<N>.<suffix>`` for ``0 <= N < size``: a home page and ``pages`` articles each, every
    article linking to ``links`` pages on other hosts of the family."""

    def __init__(
        self, suffix: str = "bench.example", *, size: int = 1000, pages: int = 5, links: int = 5
    ) -> None:
        self.suffix = suffix
        self.size = size
        self.pages = pages
        self.links = links
        self._pattern = re.compile(rf"^h(\d+)\.{re.escape(suffix)}$")
        self._cache: dict[str, Site] = {}

    def host(self, n: int) -> str:
        return f"h{n}.{self.suffix}"

    def site(self, host: str) -> Site | None:
        match = self._pattern.match(host)
        if (
            match is None
            or int(match.group(1)) >= self.size
            or match.group(1) != str(int(match.group(1)))
        ):
            return None
        site = self._cache.get(host)
        if site is None:
            site = self._cache[host] = self._build(int(match.group(1)))
        return site

    def expected_links(self, n: int, page: int) -> list[str]:
        """Absolute URLs that page ``/p/<page>`` of host ``h<n>`` links to."""
        out = []
        for k in range(self.links):
            other = (n * 7919 + page * 31 + k * 104729 + 1) % self.size
            if other == n:
                other = (other + 1) % self.size
            out.append(f"https://{self.host(other)}/p/{(page + k) % self.pages}")
        return out

    def _build(self, n: int) -> Site:
        host = self.host(n)
        site = Site(
            host=host,
            name=f"Bench site {n}",
            kind="bench",
            relevance="none",
            archetype="static",
            listed=False,
            sitemap="plain",
        )
        site.nav = [("/", "Home")]
        home = PageDoc(site, "/", ())
        items = "".join(
            f"<li>{home.a(f'/p/{i}', f'Bench article {n}.{i}')}</li>" for i in range(self.pages)
        )
        site.pages["/"] = Page(
            "/",
            "home",
            site.name,
            html=render(home, title=site.name, main=f"<h1>{site.name}</h1><ul>{items}</ul>"),
        )
        for i in range(self.pages):
            doc = PageDoc(site, f"/p/{i}", ())
            refs = " ".join(
                doc.a(url, f"related article {k}")
                for k, url in enumerate(self.expected_links(n, i))
            )
            main = (
                f"<article><h1>Bench article {n}.{i}</h1><p>Synthetic page for load tests. "
                f"{refs}</p></article>"
            )
            site.pages[f"/p/{i}"] = Page(
                f"/p/{i}",
                "article",
                f"Bench article {n}.{i}",
                html=render(doc, title=f"Bench {n}.{i}", main=main),
            )
        finalize(site, ())
        return site
