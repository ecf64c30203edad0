"""Typed view of ``niche.toml``: the compact description the demo world is generated from."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

SITE_KINDS = (
    "blog",
    "resource_site",
    "link_farm",
    "spam",
    "pbn",
    "parked",
    "syndication",
    "spa",
)
ARCHETYPES = ("wordpress", "ghost", "static", "magazine", "plain")
EMAIL_STYLES = ("plain", "mailto", "at_dot", "paren_at", "entities", "js", "cfemail")
BEHAVIOURS = (
    "normal",
    "bot_wall",
    "bot_wall_503",
    "status_999",
    "rate_limit_seconds",
    "rate_limit_date",
    "slow",
    "trickle",
    "hang",
    "head_405",
    "head_lies",
    "redirect_all",
)
NOT_FOUND = ("404", "soft404", "soft404_template", "redirect_home")
TLS_MODES = ("valid", "expired", "wrong_host", "self_signed")
ROBOTS = ("open", "wordpress", "private", "block_prospector")
SITEMAPS = ("plain", "index", "gzip", "none")
RELEVANCE = ("high", "medium", "low", "none")
COPY_VIA = ("html", "header", "js")


class SpecError(ValueError):
    """The niche description is malformed (unknown key, bad value)."""


def _check(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _choice(value: str, options: tuple[str, ...], where: str) -> str:
    if value not in options:
        raise SpecError(f"{where}: {value!r} is not one of {', '.join(options)}")
    return value


@dataclass(frozen=True)
class EmailSpec:
    user: str
    style: str = "plain"


@dataclass(frozen=True)
class ResourceSpec:
    path: str
    title: str
    size: int = 24


@dataclass(frozen=True)
class GuestSpec:
    path: str
    title: str
    user: str | None = None
    style: str = "plain"
    form: bool = False


@dataclass(frozen=True)
class FixedSpec:
    path: str
    topic: str
    title: str
    variant: str = ""


@dataclass(frozen=True)
class RuleSpec:
    path: str
    status: int = 0
    location: str | None = None
    chain: int = 0
    login: bool = False
    meta_refresh: str | None = None
    js_redirect: str | None = None
    empty: bool = False


@dataclass(frozen=True)
class CopySpec:
    original: str
    mode: str  # canonical | noindex | bare | self_canonical
    via: str = "html"  # how a canonical copy says so: html | header | js (injected by a script)


@dataclass(frozen=True)
class SpecialLink:
    url: str
    anchor: str
    topic: str


@dataclass(frozen=True)
class TopicSpec:
    key: str
    label: str
    keywords: tuple[str, ...]
    titles: tuple[str, ...]
    headings: tuple[str, ...]
    phrases: tuple[str, ...]
    offtopic: bool = False


@dataclass(frozen=True)
class SiteSpec:
    host: str
    name: str
    kind: str = "blog"
    archetype: str = "static"
    relevance: str = "high"
    topics: tuple[str, ...] = ()
    articles: int = 0
    aliases: tuple[str, ...] = ()
    resources: ResourceSpec | None = None
    guest: GuestSpec | None = None
    contact: tuple[EmailSpec, ...] = ()
    about_email: EmailSpec | None = None
    footer_email: EmailSpec | None = None
    robots: str = "open"
    sitemap: str = "plain"
    features: tuple[str, ...] = ()
    not_found: str = "404"
    behaviour: str = "normal"
    tls: str = "valid"
    gzip: bool = False
    force_https: bool = False
    fixed: tuple[FixedSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    pages: int = 0
    links_per_page: int = 0
    variant: str = ""
    copies: tuple[CopySpec, ...] = ()
    redirect_to: str | None = None


@dataclass(frozen=True)
class OursSpec:
    host: str
    name: str
    author: str
    aliases: tuple[str, ...] = ()
    contact: tuple[EmailSpec, ...] = ()
    targets: tuple[FixedSpec, ...] = ()
    extra: tuple[FixedSpec, ...] = ()


@dataclass(frozen=True)
class NicheSpec:
    seed: int
    years: tuple[int, int]
    nxdomain: tuple[str, ...]
    refused: tuple[str, ...]
    analytics_shared: str
    role_users: tuple[str, ...]
    vocab: dict[str, tuple[str, ...]]
    authors: tuple[str, ...]
    text: dict[str, tuple[str, ...]]
    topics: dict[str, TopicSpec]
    ours: OursSpec
    sites: tuple[SiteSpec, ...]
    special_links: tuple[SpecialLink, ...]
    filler: dict[str, tuple[str, ...]] = field(default_factory=dict)
    filler_count: int = 0


def _email(d: dict[str, Any], where: str) -> EmailSpec:
    _check(d, {"user", "style"}, where)
    return EmailSpec(d["user"], _choice(d.get("style", "plain"), EMAIL_STYLES, where))


def _fixed(d: dict[str, Any], where: str) -> FixedSpec:
    _check(d, {"path", "topic", "title", "variant"}, where)
    return FixedSpec(d["path"], d["topic"], d["title"], d.get("variant", ""))


def _simple(cls: type[Any], d: dict[str, Any], where: str) -> Any:
    _check(d, set(cls.__dataclass_fields__), where)
    return cls(**d)


def _site(d: dict[str, Any], where: str) -> SiteSpec:
    _check(d, set(SiteSpec.__dataclass_fields__), where)
    kw: dict[str, Any] = dict(d)
    host = kw["host"]
    where = f"{where} ({host})"
    kw.setdefault("name", host.split(".")[0].replace("-", " ").title())
    kw["kind"] = _choice(kw.get("kind", "blog"), SITE_KINDS, where)
    kw["archetype"] = _choice(kw.get("archetype", "static"), ARCHETYPES, where)
    kw["relevance"] = _choice(kw.get("relevance", "high"), RELEVANCE, where)
    kw["robots"] = _choice(kw.get("robots", "open"), ROBOTS, where)
    kw["sitemap"] = _choice(kw.get("sitemap", "plain"), SITEMAPS, where)
    kw["not_found"] = _choice(kw.get("not_found", "404"), NOT_FOUND, where)
    kw["behaviour"] = _choice(kw.get("behaviour", "normal"), BEHAVIOURS, where)
    kw["tls"] = _choice(kw.get("tls", "valid"), TLS_MODES, where)
    for key in ("topics", "aliases", "features"):
        kw[key] = tuple(kw.get(key, ()))
    kw["contact"] = tuple(_email(e, f"{where}.contact") for e in kw.get("contact", ()))
    for key in ("about_email", "footer_email"):
        if key in kw:
            kw[key] = _email(kw[key], f"{where}.{key}")
    if "resources" in kw:
        kw["resources"] = _simple(ResourceSpec, kw["resources"], f"{where}.resources")
    if "guest" in kw:
        guest = _simple(GuestSpec, kw["guest"], f"{where}.guest")
        _choice(guest.style, EMAIL_STYLES, f"{where}.guest")
        kw["guest"] = guest
    kw["fixed"] = tuple(_fixed(f, f"{where}.fixed") for f in kw.get("fixed", ()))
    kw["rules"] = tuple(_simple(RuleSpec, r, f"{where}.rules") for r in kw.get("rules", ()))
    kw["copies"] = tuple(_simple(CopySpec, c, f"{where}.copies") for c in kw.get("copies", ()))
    for copy in kw["copies"]:
        _choice(copy.via, COPY_VIA, f"{where}.copies.via")
    return SiteSpec(**kw)


def _topic(key: str, d: dict[str, Any]) -> TopicSpec:
    where = f"topics.{key}"
    _check(d, {"label", "keywords", "titles", "headings", "phrases", "offtopic"}, where)
    return TopicSpec(
        key=key,
        label=d["label"],
        keywords=tuple(d["keywords"]),
        titles=tuple(d["titles"]),
        headings=tuple(d["headings"]),
        phrases=tuple(d["phrases"]),
        offtopic=bool(d.get("offtopic", False)),
    )


def parse_niche(data: dict[str, Any]) -> NicheSpec:
    """Validate the parsed TOML and turn it into a :class:`NicheSpec`."""
    top = (set(NicheSpec.__dataclass_fields__) - {"filler_count", "special_links"}) | {"outbound"}
    _check(data, top, "niche")
    ours = dict(data["ours"])
    _check(ours, set(OursSpec.__dataclass_fields__), "ours")
    ours_spec = OursSpec(
        host=ours["host"],
        name=ours["name"],
        author=ours["author"],
        aliases=tuple(ours.get("aliases", ())),
        contact=tuple(_email(e, "ours.contact") for e in ours.get("contact", ())),
        targets=tuple(_fixed(t, "ours.targets") for t in ours.get("targets", ())),
        extra=tuple(_fixed(t, "ours.extra") for t in ours.get("extra", ())),
    )
    topics = {key: _topic(key, value) for key, value in data["topics"].items()}
    sites = tuple(_site(s, f"sites[{i}]") for i, s in enumerate(data["sites"]))
    filler = dict(data.get("filler", {}))
    count = int(filler.pop("count", 0))
    spec = NicheSpec(
        seed=int(data["seed"]),
        years=(int(data["years"][0]), int(data["years"][1])),
        nxdomain=tuple(data["nxdomain"]),
        refused=tuple(data["refused"]),
        analytics_shared=data["analytics_shared"],
        role_users=tuple(data["role_users"]),
        vocab={k: tuple(v) for k, v in data["vocab"].items()},
        authors=tuple(data["authors"]),
        text={k: tuple(v) for k, v in data["text"].items()},
        topics=topics,
        ours=ours_spec,
        sites=sites,
        special_links=tuple(
            _simple(SpecialLink, s, "outbound.special") for s in data["outbound"]["special"]
        ),
        filler={k: tuple(v) for k, v in filler.items()},
        filler_count=count,
    )
    _validate(spec)
    return spec


def _validate(spec: NicheSpec) -> None:
    hosts: set[str] = {spec.ours.host, *spec.ours.aliases}
    for site in spec.sites:
        for host in (site.host, *site.aliases):
            if host in hosts:
                raise SpecError(f"duplicate host {host}")
            hosts.add(host)
        for topic in site.topics:
            if topic not in spec.topics:
                raise SpecError(f"{site.host}: unknown topic {topic}")
    for link in spec.special_links:
        if link.topic not in spec.topics:
            raise SpecError(f"special link {link.url}: unknown topic {link.topic}")


def load_niche(path: Path | None = None) -> NicheSpec:
    """Read a niche description; the bundled ``niche.toml`` when *path* is None."""
    if path is None:
        text = resources.files("prospector.demo").joinpath("niche.toml").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse_niche(tomllib.loads(text))
