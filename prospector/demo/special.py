"""Our own site and the unusual sites: fillers, link farms, spam, PBN, parked, syndication, SPA."""

from __future__ import annotations

import json

from prospector.demo import infopages, pages
from prospector.demo.context import ArticlePlan, Ctx
from prospector.demo.html import PageDoc, canonical_script, esc, render
from prospector.demo.model import Asset, Page, Site
from prospector.demo.spec import FixedSpec, SiteSpec

OURS_ANALYTICS = "G-SOILSM1TH7"


def ours_spec(ctx: Ctx) -> SiteSpec:
    o = ctx.niche.ours
    return SiteSpec(
        host=o.host,
        name=o.name,
        archetype="magazine",
        contact=o.contact,
        sitemap="index",
        features=("meta_author", "jsonld_author"),
        aliases=o.aliases,
    )


def make_ours(ctx: Ctx) -> Site:
    o = ctx.niche.ours
    topics = tuple(dict.fromkeys(t.topic for t in (*o.targets, *o.extra)))
    return Site(
        host=o.host,
        name=o.name,
        kind="ours",
        archetype="magazine",
        topics=topics,
        analytics_id=OURS_ANALYTICS,
        aliases=o.aliases,
        sitemap="index",
        features=("meta_author", "jsonld_author"),
        force_https=True,
        nav=[("/", "Home"), ("/guides/", "Guides"), ("/about", "About"), ("/contact", "Contact")],
    )


def build_ours(ctx: Ctx, site: Site) -> None:
    o = ctx.niche.ours
    spec = ours_spec(ctx)
    guides: list[FixedSpec] = [*o.targets, *o.extra]
    tg = ctx.text("ours")
    plans = [ArticlePlan(site.host, g.path, g.title, g.topic, o.author, tg.day()) for g in guides]
    ctx.plans[site.host] = plans
    ctx.authors[site.host] = [o.author]
    for plan in plans:
        doc = ctx.doc(site, plan.path)
        atg = ctx.text("ours-article", plan.path)
        intro, sections = atg.article(plan.topic, site.topics, 5)
        body = [f"<p>{esc(intro)}</p>"]
        for heading, paras in sections:
            body.append(f"<h2>{esc(heading)}</h2>")
            body.extend(f"<p>{esc(p)}</p>" for p in paras)
        html_body = "".join(body)
        ctx.ours_bodies[plan.path] = (plan.title, html_body)
        related = "".join(
            f"<li>{doc.a(p.path, p.title, placement='other')}</li>" for p in plans if p != plan
        )
        page = Page(
            plan.path,
            "article",
            plan.title,
            topic=plan.topic,
            author=o.author,
            author_sources=("byline", "meta", "jsonld"),
            published=plan.day.isoformat(),
        )
        main = (
            f'<article class="guide"><h1>{esc(plan.title)}</h1>'
            f'<div class="byline">By <span class="byline-name">{esc(o.author)}</span> | '
            f'<time datetime="{plan.day.isoformat()}">{plan.day.isoformat()}</time></div>'
            f'<div class="story-body">{html_body}</div></article>'
            f'<section class="related-posts"><h3>More guides</h3><ul>{related}</ul></section>'
        )
        pages.finish(ctx, site, spec, doc, page, main)
    doc = ctx.doc(site, "/")
    items = "".join(f"<li>{doc.a(p.path, p.title)}</li>" for p in plans)
    main = (
        f"<h1>Soilsmith</h1><p>Practical composting guides, tested in real gardens.</p>"
        f"<ul>{items}</ul>"
    )
    pages.finish(ctx, site, spec, doc, Page("/", "home", site.name), main)
    doc = ctx.doc(site, "/guides/")
    items = "".join(f"<li>{doc.a(p.path, p.title)}</li>" for p in plans)
    pages.finish(
        ctx,
        site,
        spec,
        doc,
        Page("/guides/", "other", "Guides"),
        f"<h1>Guides</h1><ul>{items}</ul>",
    )
    infopages.about(ctx, site, spec)
    infopages.contact(ctx, site, spec, spec.contact)


def make_fillers(ctx: Ctx) -> None:
    rng = ctx.rng("fillers")
    prefixes, nouns = ctx.niche.filler.get("prefixes", ()), ctx.niche.filler.get("nouns", ())
    names: list[str] = []
    seen: set[str] = set(ctx.sites)
    while len(names) < ctx.niche.filler_count:
        host = f"{rng.choice(prefixes)}{rng.choice(nouns)}{rng.randint(1, 999)}.example"
        if host not in seen:
            seen.add(host)
            names.append(host)
    for host in names:
        stem = host.removesuffix(".example")
        title = stem.rstrip("0123456789").title() + " " + stem[len(stem.rstrip("0123456789")) :]
        site = Site(
            host=host,
            name=title.strip(),
            kind="filler",
            relevance="none",
            archetype="plain",
            listed=False,
            sitemap="none",
        )
        doc = ctx.doc(site, "/")
        main = (
            f"<h2>Welcome to {esc(site.name)}</h2><p>The best {esc(title.lower())} deals "
            "online. Click here for more. Best prices guaranteed.</p>"
        )
        html = render(doc, title=site.name, main=main)
        ctx.add(site, doc, Page("/", "home", site.name), html)
        ctx.sites[host] = site
        ctx.fillers.append(host)


def build(ctx: Ctx, site: Site, spec: SiteSpec) -> None:
    {
        "link_farm": _link_farm,
        "spam": _spam,
        "pbn": _pbn,
        "parked": _parked,
        "syndication": _syndication,
        "spa": _spa,
    }[spec.kind](ctx, site, spec)


def _plain_page(ctx: Ctx, site: Site, doc: PageDoc, page: Page, main: str) -> Page:
    return ctx.add(site, doc, page, render(doc, title=page.title, main=main, body_class=page.kind))


def _link_farm(ctx: Ctx, site: Site, spec: SiteSpec) -> None:
    site.archetype = "plain"
    paths = ["/"] + [f"/directory/page-{n}" for n in range(2, spec.pages + 1)]
    site.nav = [(p, f"Page {i + 1}") for i, p in enumerate(paths)]
    rng = ctx.rng("farm", site.host)
    for path in paths:
        doc = ctx.doc(site, path)
        hosts = rng.sample(ctx.fillers, min(spec.links_per_page, len(ctx.fillers)))
        items = "".join(f"<li>{doc.a(f'https://{h}/', ctx.sites[h].name)}</li>" for h in hosts)
        main = (
            f"<h2>{esc(site.name)}</h2><p>Submit your site to our directory. Add your "
            f'link today for only $5. Permanent links.</p><ul class="dir">{items}</ul>'
        )
        _plain_page(ctx, site, doc, Page(path, "link_farm", f"{site.name} - {path}"), main)


def _spam(ctx: Ctx, site: Site, spec: SiteSpec) -> None:
    site.archetype = "plain"
    rng = ctx.rng("spam", site.host)
    tg = ctx.text("spam", site.host)
    titles = list(ctx.niche.topics["spam"].titles)
    paths = ["/", *[f"/{n}" for n in ("offers", "best-deals", "reviews")][: spec.pages - 1]]
    site.nav = [(p, "Home" if p == "/" else p.strip("/").replace("-", " ").title()) for p in paths]
    if spec.guest:
        site.nav.append((spec.guest.path, "Write for us"))
    for i, path in enumerate(paths):
        doc = ctx.doc(site, path)
        paras = "".join(f"<p>{esc(tg.paragraph('spam', 2, 3))}</p>" for _ in range(2))
        links: list[str] = []
        if spec.variant == "stuffing":
            for p in paths:
                links.append(doc.a(p, "best compost bin"))
            for host in ("greenleafguide.example", "organicgrowhub.example"):
                links.append(doc.a(f"https://{host}/", "best compost bin"))
            hidden = (
                '<div style="display:none">'
                + doc.a("https://luckyspin-casino.example/", "casino", visible=False)
                + doc.a(
                    f"https://{ctx.niche.ours.host}/guides/hot-composting",
                    "cheap viagra",
                    visible=False,
                )
                + "</div>"
            )
            footprint = '<p class="sponsored">Sponsored post. This article contains paid links.</p>'
        elif spec.variant == "backlinks":
            for host in (
                "greenleafguide.example",
                "gardentipsdaily.example",
                "organicgrowhub.example",
                "soilsecretsblog.example",
            ):
                links.append(doc.a(f"https://{host}/", f"DA 50+ guest post on {host}"))
            hidden = ""
            footprint = (
                "<p>Sponsored posts from $49. Dofollow guaranteed. This is a sponsored "
                "post. Buy backlinks now.</p>"
            )
        else:
            for h in rng.sample(ctx.fillers, 12):
                links.append(
                    doc.a(
                        f"https://{h}/",
                        rng.choice(["free spins", "cheap pills", "casino bonus", "best slots"]),
                    )
                )
            hidden = (
                '<div style="display:none">'
                + "".join(
                    doc.a(f"https://{h}/", "payday loans", visible=False)
                    for h in rng.sample(ctx.fillers, 5)
                )
                + "</div>"
            )
            footprint = "<p>18+ only. Sponsored. Gamble responsibly.</p>"
        contact = ""
        if path == "/" and spec.contact:
            contact = f"<p>Order: {doc.email(spec.contact[0])}</p>"
        main = (
            f"<h2>{esc(titles[i % len(titles)])}</h2>{paras}<p>{' | '.join(links)}</p>"
            f"{footprint}{hidden}{contact}"
        )
        _plain_page(ctx, site, doc, Page(path, "spam", titles[i % len(titles)]), main)
    if spec.guest:
        infopages.guest(ctx, site, spec)


def _pbn(ctx: Ctx, site: Site, spec: SiteSpec) -> None:
    site.nav = [("/", "Home")]
    network = [s.host for s in ctx.niche.sites if s.kind == "pbn" and s.host != site.host]
    rng = ctx.rng("pbn", site.host)
    plans = ctx.plans[site.host]
    footer = "<p>A Network Media Group publication.</p>"
    for n, plan in enumerate(plans):
        doc = ctx.doc(site, plan.path)
        tg = ctx.text("pbn", plan.path)
        others = [p for h in network for p in ctx.plans[h]]
        a, b = rng.sample(others, 2)
        money = doc.a("https://compost-deals-4u.example/", "best compost bin")
        paras = [tg.paragraph(plan.topic, 2, 3), tg.paragraph(plan.topic, 2, 3)]
        extra = f"Read more: {doc.a(a.url, a.title)} and {doc.a(b.url, b.title)}. Buy the {money}."
        if n == 0 and site.host == "greenleafguide.example":
            ours = doc.a(f"https://{ctx.niche.ours.host}/guides/hot-composting", "hot composting")
            extra += f" See also {ours}."
        main = (
            f'<h2>{esc(plan.title)}</h2><p class="date">{plan.day.isoformat()}</p>'
            f'<div class="post"><p>{esc(paras[0])}</p><p>{extra}</p><p>{esc(paras[1])}</p>'
            "</div>"
        )
        page = Page(
            plan.path, "article", plan.title, topic=plan.topic, published=plan.day.isoformat()
        )
        ctx.add(site, doc, page, render(doc, title=plan.title, main=main, footer_extra=footer))
    doc = ctx.doc(site, "/")
    items = "".join(f"<li>{doc.a(p.path, p.title)}</li>" for p in plans)
    main = f"<h2>{esc(site.name)}</h2><p>Tips and reviews.</p><ul>{items}</ul>"
    ctx.add(
        site,
        doc,
        Page("/", "home", site.name),
        render(doc, title=site.name, main=main, footer_extra=footer),
    )


def parked_html(host: str, variant: str) -> str:
    if variant == "parking":
        searches = ["Compost Bins", "Worm Farm Kits", "Garden Supplies", "Organic Fertilizer"]
        items = "".join(
            f'<li><a href="/search?q={s.lower().replace(" ", "+")}">{s}</a></li>' for s in searches
        )
        body = (
            f'<div class="parking"><h1>{host}</h1><p>Related searches</p><ul>{items}</ul>'
            "<p>This domain may be for sale. The domain owner has not set up a website yet."
            '</p><script>var parkingConfig={"pid":"pk-20931","ads":true};</script>'
            '<p class="privacy"><a href="/privacy">Privacy Policy</a></p></div>'
        )
    else:
        body = (
            f'<div class="forsale"><h1>{host}</h1><h2>This domain is for sale!</h2>'
            "<p>Buy this domain now for $2,495 or make an offer.</p>"
            '<p><a href="/buy">Buy now</a> · <a href="/offer">Make an offer</a></p>'
            "<p>Secure transfer via DomainMarket escrow.</p></div>"
        )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        f"{host} - domain for sale</title></head><body>{body}</body></html>\n"
    )


def _parked(ctx: Ctx, site: Site, spec: SiteSpec) -> None:
    site.nav = []
    page = Page("/", "parked", f"{site.host} - domain for sale", extra={"variant": spec.variant})
    page.html = parked_html(site.host, spec.variant)
    site.pages["/"] = page


def _syndication(ctx: Ctx, site: Site, spec: SiteSpec) -> None:
    site.nav = [("/", "Home")]
    ours = ctx.niche.ours
    copies: list[tuple[str, str]] = []
    for copy in spec.copies:
        original = f"https://{ours.host}{copy.original}"
        title, body = ctx.ours_bodies[copy.original]
        path = "/stories/" + copy.original.rsplit("/", 1)[-1]
        doc = ctx.doc(site, path)
        page = Page(
            path, "syndicated", title, topic=None, author=ours.author, author_sources=("byline",)
        )
        attribution, injected = copy.mode != "bare", ""
        if copy.mode == "canonical":  # via "js": no canonical served, a script adds one
            page.canonical, page.canonical_source = original, copy.via
            if copy.via == "header":
                page.headers += (("Link", f'<{original}>; rel="canonical"'),)
            injected = canonical_script(original) if copy.via == "js" else ""
        elif copy.mode == "self_canonical":
            page.canonical, page.canonical_source = doc.url, "html"
        if copy.mode == "noindex":
            page.noindex, page.noindex_source = True, "meta"
        credit = (
            f'<p class="credit">This article first appeared on '
            f"{doc.a(original, ours.name)} and is republished with permission.</p>"
            if attribution
            else ""
        )
        page.extra = {
            "original": original,
            "mode": copy.mode,
            "attribution": attribution,
            "acceptable": copy.mode in ("canonical", "noindex"),
            "canonical_via": copy.via if copy.mode == "canonical" else None,
        }
        main = (
            f'<article><h1>{esc(title)}</h1><p class="byline">By {esc(ours.author)}</p>'
            f'<div class="story-body">{body}</div>{credit}</article>{injected}'
        )
        pages.finish(ctx, site, spec, doc, page, main)
        copies.append((path, title))
    doc = ctx.doc(site, "/")
    items = "".join(f"<li>{doc.a(p, t)}</li>" for p, t in copies)
    main = f"<h1>{esc(site.name)}</h1><p>Stories from around the web.</p><ul>{items}</ul>"
    pages.finish(ctx, site, spec, doc, Page("/", "home", site.name), main)


def _spa(ctx: Ctx, site: Site, spec: SiteSpec) -> None:
    site.nav = []
    doc = ctx.doc(site, "/")
    rng = ctx.rng("spa", site.host)
    picks = rng.sample([p for t in site.topics for p in ctx.live_articles(t)], 6)
    for p in picks:
        doc.record_rendered_link(p.url, p.title, p.topic)
    data = {
        "title": "Garden Planner",
        "intro": "Plan your beds, track sowings and find the best guides on the web.",
        "links": [{"title": p.title, "url": p.url} for p in picks],
    }
    site.assets["/api/content.json"] = Asset("application/json", json.dumps(data).encode())
    site.assets["/static/app.js"] = Asset("application/javascript; charset=utf-8", _SPA_JS.encode())
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Garden Planner</title>'
        '</head><body><div id="root"><noscript>You need to enable JavaScript to run this app.'
        '</noscript></div><script src="/static/app.js"></script></body></html>\n'
    )
    ctx.add(site, doc, Page("/", "spa", "Garden Planner", topic=site.topics[0]), html)


_SPA_JS = """(function () {
  fetch('/api/content.json').then(function (r) { return r.json(); }).then(function (d) {
    var root = document.getElementById('root');
    var h = document.createElement('h1'); h.textContent = d.title; root.appendChild(h);
    var p = document.createElement('p'); p.textContent = d.intro; root.appendChild(p);
    var h2 = document.createElement('h2'); h2.textContent = 'Useful guides'; root.appendChild(h2);
    var ul = document.createElement('ul'); ul.className = 'links';
    d.links.forEach(function (l) {
      var li = document.createElement('li'); var a = document.createElement('a');
      a.href = l.url; a.textContent = l.title; li.appendChild(a); ul.appendChild(li);
    });
    root.appendChild(ul);
    document.title = d.title + ' - plan your garden';
  });
})();
"""
