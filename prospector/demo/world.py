"""The demo world: every site and page of the local multi-host web, and how each host answers.

Build it with :meth:`World.build` (or the cached :func:`default_world`); nothing is generated at
import time. Hosts are looked up through :meth:`World.site_for`, which consults the fixed sites
first and then any registered :class:`HostFamily` (synthetic hosts made on the fly).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from prospector.demo import behaviours, oracle, searchengine, wayback
from prospector.demo.model import Page, Reply, Site
from prospector.demo.searchengine import SearchEngine
from prospector.demo.sites import build_sites
from prospector.demo.spec import NicheSpec, load_niche
from prospector.demo.wayback import WaybackArchive


class HostFamily(Protocol):
    """A generator of hosts (e.g. ``h123.bench.example``) consulted after the fixed sites."""

    def site(self, host: str) -> Site | None: ...


class World:
    def __init__(self, niche: NicheSpec, sites: dict[str, Site], *, slow_delay_s: float) -> None:
        self.niche = niche
        self.slow_delay_s = slow_delay_s
        self.nxdomain_hosts: tuple[str, ...] = niche.nxdomain
        self.refused_hosts: tuple[str, ...] = niche.refused
        self._sites = sites
        self._hosts: dict[str, Site] = {}
        for site in sites.values():
            self._hosts[site.host] = site
            for alias in site.aliases:
                self._hosts[alias] = site
        self._families: list[HostFamily] = []
        self._expectations: dict[str, oracle.Expectation] = {}
        self._truth: dict[str, Any] | None = None
        self._archive: WaybackArchive | None = None
        self._search: SearchEngine | None = None

    @classmethod
    def build(cls, niche_path: Path | None = None, *, slow_delay_s: float = 3.0) -> World:
        """Generate the world from a niche description (the bundled one by default)."""
        niche = load_niche(niche_path)
        ctx = build_sites(niche)
        for site in ctx.sites.values():
            behaviours.finalize(site, niche.role_users)
        return cls(niche, ctx.sites, slow_delay_s=slow_delay_s)

    # --- hosts ---------------------------------------------------------------------------

    @property
    def seed(self) -> int:
        return self.niche.seed

    @property
    def ours(self) -> Site:
        return self._sites[self.niche.ours.host]

    def sites(self) -> list[Site]:
        """The listed sites (fillers and family hosts excluded), in a stable order."""
        return [s for s in self._sites.values() if s.listed]

    def filler_hosts(self) -> list[str]:
        return [s.host for s in self._sites.values() if not s.listed]

    def site(self, host: str) -> Site:
        site = self.site_for(host)
        if site is None:
            raise KeyError(host)
        return site

    def site_for(self, host: str) -> Site | None:
        host = host.lower().rstrip(".")
        site = self._hosts.get(host)
        if site is not None:
            return site
        for family in self._families:
            site = family.site(host)
            if site is not None:
                return site
        return None

    @property
    def archive(self) -> WaybackArchive:
        """The demo web's Wayback Machine (built on first use)."""
        if self._archive is None:
            self._archive = WaybackArchive(self)
        return self._archive

    @property
    def search_engine(self) -> SearchEngine:
        """The demo web's search engine (SearXNG's JSON format), built on first use."""
        if self._search is None:
            self._search = SearchEngine(self)
        return self._search

    def serves(self, host: str) -> bool:
        """True for every host name the demo web answers (sites, families, APIs)."""
        host = host.lower().rstrip(".")
        return host in wayback.HOSTS or host == searchengine.HOST or self.site_for(host) is not None

    def add_family(self, family: HostFamily) -> None:
        self._families.append(family)
        self._truth = None

    def hostnames(self, tls: str | None = "valid") -> list[str]:
        """Every fixed hostname (aliases included), optionally only those with this TLS mode."""
        return sorted(h for h, s in self._hosts.items() if tls is None or s.tls == tls)

    def tls_mode(self, host: str) -> str:
        site = self.site_for(host)
        return site.tls if site is not None else "valid"

    def pages(self) -> Iterator[tuple[Site, Page]]:
        for site in self.sites():
            for page in site.pages.values():
                yield site, page

    @property
    def site_count(self) -> int:
        return len(self.sites())

    @property
    def page_count(self) -> int:
        return sum(1 for _ in self.pages())

    # --- answering ---------------------------------------------------------------------------

    def route(
        self, scheme: str, host: str, method: str, target: str, now: float | None = None
    ) -> Reply:
        """The response to one request (the server executes it; the oracle reads it)."""
        host = host.lower().rstrip(".")
        if host in wayback.HOSTS:
            return self.archive.handle(host, method, target)
        if host == searchengine.HOST:
            return self.search_engine.handle(method, target)
        site = self.site_for(host)
        if site is None:
            body = f"<html><body><h1>421 Misdirected Request</h1><p>{host}</p></body></html>"
            return Reply(
                421,
                (("Content-Type", "text/html; charset=utf-8"),),
                body.encode(),
                nature="misdirected",
            )
        return behaviours.route(
            site, host, scheme, method, target, slow_delay_s=self.slow_delay_s, now=now
        )

    def expect(self, url: str) -> oracle.Expectation:
        """Expected link-check result for *url* (verdict, status, reason)."""
        found = self._expectations.get(url)
        if found is None:
            found = self._expectations[url] = oracle.expect(self, url)
        return found

    def truth(self) -> dict[str, Any]:
        """The machine-readable ground truth (JSON-serialisable); see ``truth.py``."""
        if self._truth is None:
            from prospector.demo.truth import build_truth

            self._truth = build_truth(self)
        return self._truth


@functools.cache
def default_world() -> World:
    """The bundled world, built once on first use."""
    return World.build()
