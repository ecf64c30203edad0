"""From site specs to sites: identities, article plans, navigation, and the build order."""

from __future__ import annotations

import string
from datetime import date

from prospector.demo import infopages, pages, special
from prospector.demo.context import ArticlePlan, Ctx
from prospector.demo.html import page_path
from prospector.demo.model import Rule, Site
from prospector.demo.spec import FixedSpec, NicheSpec, SiteSpec, SpecialLink
from prospector.demo.text import slugify


def _analytics(ctx: Ctx, spec: SiteSpec) -> str | None:
    if spec.kind == "pbn":
        return ctx.niche.analytics_shared
    if spec.kind == "parked":
        return None
    rng = ctx.rng("analytics", spec.host)
    roll = rng.random()
    if roll < 0.7:
        return "G-" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=10))
    if roll < 0.9:
        return f"UA-{rng.randint(1000000, 9999999)}-1"
    return None


def make_site(ctx: Ctx, spec: SiteSpec) -> Site:
    site = Site(
        host=spec.host,
        name=spec.name,
        kind=spec.kind,
        relevance=spec.relevance,
        archetype=spec.archetype,
        topics=spec.topics,
        analytics_id=_analytics(ctx, spec),
        tls=spec.tls,
        behaviour=spec.behaviour,
        not_found=spec.not_found,
        aliases=spec.aliases,
        force_https=spec.force_https,
        gzip=spec.gzip,
        robots=spec.robots,
        sitemap=spec.sitemap if spec.kind not in ("parked", "link_farm", "spam") else "none",
        redirect_to=spec.redirect_to,
        features=spec.features,
    )
    for rule in spec.rules:
        if rule.chain:
            for i in range(rule.chain):
                nxt = f"{rule.path[:-1]}{i + 1}" if i + 1 < rule.chain else rule.location
                path = f"{rule.path[:-1]}{i}"
                site.rules[path] = Rule(path, status=rule.status, location=nxt)
        else:
            site.rules[rule.path] = Rule(
                rule.path,
                status=rule.status,
                location=rule.location,
                login=rule.login,
                meta_refresh=rule.meta_refresh,
                js_redirect=rule.js_redirect,
                empty=rule.empty,
            )
    return site


def article_path(site: Site, slug: str, plan_day: date) -> str:
    if "base_href" in site.features:
        return f"/blog/{slug}/"
    return {
        "wordpress": f"/{plan_day.year}/{plan_day.month:02d}/{slug}/",
        "ghost": f"/{slug}/",
        "magazine": f"/articles/{slug}",
        "plain": f"/{slug}.html",
    }.get(site.archetype, f"/posts/{slug}.html")


def archive_path(site: Site) -> str:
    return {
        "wordpress": "/blog/",
        "ghost": "/archive/",
        "magazine": "/articles/",
        "plain": "/archive",
    }.get(site.archetype, "/archive.html")


def plan_articles(ctx: Ctx, site: Site, count: int, fixed: tuple[FixedSpec, ...]) -> None:
    tg = ctx.text("plan", site.host)
    rng = tg.rng
    authors = rng.sample(list(ctx.niche.authors), rng.randint(1, 3))
    ctx.authors[site.host] = authors
    used: set[str] = set()
    plans: list[ArticlePlan] = []
    paths: set[str] = set()
    for i in range(count):
        topic = site.topics[i % len(site.topics)]
        title = tg.title(topic, used)
        day = tg.day()
        path = article_path(site, slugify(title), day)
        if path in paths:
            continue
        paths.add(path)
        plans.append(ArticlePlan(site.host, path, title, topic, rng.choice(authors), day))
    for f in fixed:
        plans.append(
            ArticlePlan(site.host, f.path, f.title, f.topic, authors[0], tg.day(), f.variant)
        )
    plans.sort(key=lambda p: (p.day, p.path), reverse=True)
    ctx.plans[site.host] = plans


def _nav(ctx: Ctx, site: Site, spec: SiteSpec) -> list[tuple[str, str]]:
    nav = [("/", "Home"), (archive_path(site), "Articles")]
    if spec.resources:
        nav.append((spec.resources.path, "Resources"))
    if spec.guest:
        nav.append((spec.guest.path, "Write for us"))
    nav += [(page_path(site, "about"), "About"), (page_path(site, "contact"), "Contact")]
    return nav


def assign_specials(ctx: Ctx) -> None:
    """Spread the special links over relevant resource pages; big resource sites get every
    link on a topic our site has a target page for."""
    niche = ctx.niche
    pages_: list[tuple[str, str]] = []
    big: list[tuple[str, str]] = []
    for spec in niche.sites:
        if spec.resources is None or spec.relevance not in ("high", "medium"):
            continue
        key = (spec.host, spec.resources.path)
        pages_.append(key)
        if spec.kind == "resource_site":
            big.append(key)
    targets = {t.topic for t in niche.ours.targets}
    for i, link in enumerate(niche.special_links):
        ctx.specials.setdefault(pages_[i % len(pages_)], []).append(link)
    for key in big:
        have = ctx.specials.setdefault(key, [])
        have.extend(s for s in niche.special_links if s.topic in targets and s not in have)


def build_sites(niche: NicheSpec) -> Ctx:
    ctx = Ctx(niche)
    ours = special.make_ours(ctx)
    ctx.sites[ours.host] = ours
    for spec in niche.sites:
        ctx.specs[spec.host] = spec
        ctx.sites[spec.host] = make_site(ctx, spec)
    special.make_fillers(ctx)
    for spec in niche.sites:
        site = ctx.sites[spec.host]
        if spec.kind in ("blog", "resource_site", "pbn"):
            plan_articles(ctx, site, spec.articles, spec.fixed)
            site.nav = _nav(ctx, site, spec)
    assign_specials(ctx)
    special.build_ours(ctx, ours)
    for spec in niche.sites:
        site = ctx.sites[spec.host]
        if spec.kind in ("blog", "resource_site"):
            build_blog(ctx, site, spec)
        else:
            special.build(ctx, site, spec)
    return ctx


def build_blog(ctx: Ctx, site: Site, spec: SiteSpec) -> None:
    pages.home(ctx, site, spec)
    pages.archive(ctx, site, spec, archive_path(site))
    for plan in ctx.plans[site.host]:
        if plan.variant == "login":
            pages.login(ctx, site, spec, plan)
        else:
            pages.article(ctx, site, spec, plan)
    infopages.about(ctx, site, spec)
    infopages.contact(ctx, site, spec, spec.contact)
    if spec.guest:
        infopages.guest(ctx, site, spec)
    if spec.resources:
        infopages.resources(ctx, site, spec)
    if "x_robots_tags" in site.features:
        for topic in site.topics:
            pages.tag_page(ctx, site, spec, topic)


def special_links_for(ctx: Ctx, host: str, path: str) -> list[SpecialLink]:
    return ctx.specials.get((host, path), [])
