"""Shared state while the world is being generated (plans, pools, per-purpose RNGs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

from prospector.demo.html import PageDoc
from prospector.demo.model import Page, Site
from prospector.demo.spec import NicheSpec, SiteSpec, SpecialLink
from prospector.demo.text import TextGen

# Behaviours under which a normal GET of an existing page still answers 200 with the page.
SERVING_BEHAVIOURS = ("normal", "head_405")


@dataclass(frozen=True)
class ArticlePlan:
    host: str
    path: str
    title: str
    topic: str
    author: str
    day: date
    variant: str = ""

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.path}"


class Ctx:
    def __init__(self, niche: NicheSpec) -> None:
        self.niche = niche
        self.sites: dict[str, Site] = {}
        self.specs: dict[str, SiteSpec] = {}
        self.plans: dict[str, list[ArticlePlan]] = {}
        self.authors: dict[str, list[str]] = {}
        self.ours_bodies: dict[str, tuple[str, str]] = {}  # path -> (title, body html)
        self.specials: dict[tuple[str, str], list[SpecialLink]] = {}
        self.fillers: list[str] = []

    def rng(self, *parts: object) -> Random:
        return Random(":".join(str(p) for p in (self.niche.seed, *parts)))

    def text(self, *parts: object) -> TextGen:
        return TextGen(self.niche, self.rng(*parts))

    def doc(self, site: Site, path: str, base_href: str | None = None) -> PageDoc:
        return PageDoc(site, path, self.niche.role_users, base_href)

    def add(self, site: Site, doc: PageDoc, page: Page, html: str) -> Page:
        page.html = html
        page.links = doc.links
        page.emails = doc.emails
        site.pages[page.path] = page
        return page

    def live_articles(
        self, topic: str | None = None, exclude: str | None = None
    ) -> list[ArticlePlan]:
        """Articles that answer 200 to a plain GET (safe targets for live links)."""
        out: list[ArticlePlan] = []
        for host, plans in self.plans.items():
            site = self.sites[host]
            if host == exclude or host == self.niche.ours.host or not site.listed:
                continue
            if site.kind not in ("blog", "resource_site") or site.tls != "valid":
                continue
            if site.behaviour not in SERVING_BEHAVIOURS or site.robots == "block_prospector":
                continue
            out.extend(p for p in plans if p.variant == "" and (topic is None or p.topic == topic))
        return out

    def relevant_hosts(self) -> list[str]:
        return [
            h
            for h, s in self.sites.items()
            if s.kind == "blog"
            and s.relevance == "high"
            and s.behaviour in SERVING_BEHAVIOURS
            and s.tls == "valid"
            and s.robots != "block_prospector"
        ]
