"""Pages of ordinary blogs: home, archive, articles, about, contact, guest-post and resources."""

from __future__ import annotations

from random import Random

from prospector.demo.context import ArticlePlan, Ctx
from prospector.demo.html import PageDoc, esc, jsonld, render
from prospector.demo.model import Page, Site
from prospector.demo.spec import SiteSpec

# Existing links to our site (for verification): host -> (target path, anchor, rel, placement,
# visible).
LINKS_TO_OURS: dict[str, tuple[str, str, tuple[str, ...], str, bool]] = {
    "compostcorner.example": (
        "/guides/hot-composting",
        "hot composting guide",
        (),
        "content",
        True,
    ),
    "leafandloam.example": ("/guides/leaf-mould", "how to make leaf mould", (), "content", True),
    "pottingbench.example": (
        "/guides/compost-troubleshooting",
        "compost troubleshooting",
        ("nofollow",),
        "content",
        True,
    ),
    "coolclimatecompost.example": ("/", "Soilsmith", (), "sidebar", True),
}
NOT_FOUND_TEXT = (
    "If you followed an old link here and got a page not found error, we are sorry. "
    "When we moved hosts last spring, around forty early posts were removed because the "
    "advice in them no longer held up. Some of the removed posts have been rewritten below; "
    "the rest are gone for good. Readers still email us about the worm-bin series, so that "
    "one is coming back this summer."
)


def _fmt_day(plan: ArticlePlan) -> str:
    return f"{plan.day.day} {plan.day.strftime('%B %Y')}"


def _sidebar(ctx: Ctx, doc: PageDoc, rng: Random) -> str | None:
    site = doc.site
    if site.archetype not in ("wordpress", "ghost"):
        return None
    recent = ctx.plans.get(site.host, [])[:5]
    items = "".join(f"<li>{doc.a(p.path, p.title, placement='sidebar')}</li>" for p in recent)
    out = f'<section class="widget recent-posts"><h2>Recent posts</h2><ul>{items}</ul></section>'
    if site.archetype == "wordpress" or site.host in LINKS_TO_OURS:
        friends = [h for h in ctx.relevant_hosts() if h != site.host]
        picks = sorted(rng.sample(friends, 3))
        rolls = [
            f"<li>{doc.a(f'https://{h}/', ctx.sites[h].name, placement='sidebar')}</li>"
            for h in picks
        ]
        ours = LINKS_TO_OURS.get(site.host)
        if ours and ours[3] == "sidebar":
            url = f"https://{ctx.niche.ours.host}{ours[0]}"
            rolls.append(f"<li>{doc.a(url, ours[1], rel=ours[2], placement='sidebar')}</li>")
        out += (
            f'<section class="widget blogroll"><h2>Blogroll</h2><ul>{"".join(rolls)}</ul></section>'
        )
    return out


def _footer_extra(doc: PageDoc, spec: SiteSpec) -> str:
    if spec.footer_email is None:
        return ""
    return f"<p>Say hello: {doc.email(spec.footer_email)}</p>"


def _head(site: Site, doc: PageDoc, page: Page) -> list[str]:
    head: list[str] = []
    if page.canonical and page.canonical_source == "html":
        head.append(f'<link rel="canonical" href="{esc(page.canonical)}">')
    if page.noindex and page.noindex_source == "meta":
        head.append('<meta name="robots" content="noindex, follow">')
    if "meta" in page.author_sources and page.author:
        head.append(f'<meta name="author" content="{esc(page.author)}">')
    if "jsonld" in page.author_sources and page.author:
        head.append(
            jsonld(
                {
                    "@context": "https://schema.org",
                    "@type": "BlogPosting",
                    "headline": page.title,
                    "datePublished": page.published,
                    "author": {"@type": "Person", "name": page.author},
                }
            )
        )
    return head


def _canonical(site: Site, page: Page) -> None:
    if page.kind == "syndicated":
        return  # syndicated copies set their own canonical
    if "link_header_canonical" in site.features and page.kind == "article":
        page.canonical, page.canonical_source = site.url(page.path), "header"
        page.headers += (("Link", f'<{page.canonical}>; rel="canonical"'),)
    elif site.archetype in ("wordpress", "ghost", "magazine"):
        page.canonical, page.canonical_source = site.url(page.path), "html"


def finish(ctx: Ctx, site: Site, spec: SiteSpec, doc: PageDoc, page: Page, main: str) -> Page:
    rng = ctx.rng("chrome", site.host, page.path)
    _canonical(site, page)
    html = render(
        doc,
        title=f"{page.title} | {site.name}" if page.kind != "home" else site.name,
        main=main,
        sidebar=_sidebar(ctx, doc, rng) if page.kind not in ("resource_page",) else None,
        head=_head(site, doc, page),
        description=page.title,
        footer_extra=_footer_extra(doc, spec),
        body_class=page.kind,
    )
    return ctx.add(site, doc, page, html)


def _byline(site: Site, plan: ArticlePlan) -> str:
    name, when = esc(plan.author), _fmt_day(plan)
    iso = plan.day.isoformat()
    arch = site.archetype
    if arch == "wordpress":
        return (
            f'<div class="entry-meta"><span class="posted-on"><time class="entry-date published" '
            f'datetime="{iso}">{when}</time></span> <span class="byline">by '
            f'<span class="author vcard">{name}</span></span></div>'
        )
    if arch == "ghost":
        return (
            f'<div class="gh-article-meta"><span class="gh-article-author">{name}</span> · '
            f'<time datetime="{iso}">{when}</time></div>'
        )
    if arch == "magazine":
        return (
            f'<div class="byline">By <span class="byline-name">{name}</span> | '
            f'<time class="dateline" datetime="{iso}">{when}</time></div>'
        )
    return f'<p class="post-meta">Posted on <time datetime="{iso}">{when}</time> by {name}</p>'


def article(ctx: Ctx, site: Site, spec: SiteSpec, plan: ArticlePlan) -> Page:
    rng = ctx.rng("article", site.host, plan.path)
    tg = ctx.text("article", site.host, plan.path)
    base = f"https://{site.host}/blog/" if "base_href" in site.features else None
    doc = ctx.doc(site, plan.path, base)
    sources = [] if "no_byline" in site.features else ["byline"]
    sources += [
        s for s, f in (("meta", "meta_author"), ("jsonld", "jsonld_author")) if f in site.features
    ]
    page = Page(
        plan.path,
        "article",
        plan.title,
        topic=plan.topic,
        author=plan.author,
        author_sources=tuple(sources),
        published=plan.day.isoformat(),
    )
    intro, sections = tg.article(plan.topic, site.topics, rng.randint(3, 4))
    blocks = [f"<p>{esc(intro)}</p>"]
    for heading, section in sections:
        blocks.append(f"<h2>{esc(heading)}</h2>")
        blocks.extend(f"<p>{esc(p)}</p>" for p in section)
    if plan.variant == "mentions_not_found":
        blocks.insert(1, f"<p>{esc(NOT_FOUND_TEXT)}</p>")
    # Contextual links: other live articles, older posts' dead links, our site.
    extra: list[str] = []
    pool = ctx.live_articles(plan.topic, exclude=site.host) or ctx.live_articles(exclude=site.host)
    for target in rng.sample(pool, min(len(pool), rng.randint(1, 2))):
        link = doc.a(target.url, target.title, topic=target.topic)
        extra.append(esc(rng.choice(ctx.niche.text["link_sentences"])).replace("{a}", link))
    if plan.day.year < 2020 and rng.random() < 0.4:
        dead = [s for s in ctx.niche.special_links if s.topic == plan.topic]
        if dead:
            s = rng.choice(dead)
            extra.append(f"We also recommend {doc.a(s.url, s.anchor, topic=s.topic)}.")
    ours = LINKS_TO_OURS.get(site.host)
    if ours and ours[3] == "content" and _first_on_topic(ctx, site, plan, ours[0]):
        url = f"https://{ctx.niche.ours.host}{ours[0]}"
        extra.append(f"Soilsmith has a thorough {doc.a(url, ours[1], rel=ours[2])} too.")
    for sentence in extra:
        i = rng.randrange(1, len(blocks) + 1)
        blocks.insert(i, f"<p>{sentence}</p>")
    if "rel_mix" in site.features:
        blocks.append(_rel_mix(ctx, doc, rng))
    if "base_href" in site.features:
        sib = [p for p in ctx.plans[site.host] if p.path != plan.path][:2]
        rel_links = ", ".join(
            doc.a(p.path.removeprefix("/blog/"), p.title, topic=p.topic) for p in sib
        )
        blocks.append(f"<p>Related on this blog: {rel_links}.</p>")
    content_cls = {
        "wordpress": "entry-content",
        "ghost": "gh-content gh-canvas",
        "magazine": "story-body",
        "plain": "post",
    }.get(site.archetype, "post-content")
    head = "" if "no_byline" in site.features else _byline(site, plan)
    main = (
        f'<article class="post"><header class="entry-header"><h1 class="entry-title">'
        f"{esc(plan.title)}</h1>{head}</header>"
        f'<div class="{content_cls}">{"".join(blocks)}</div></article>'
    )
    if "comments" in site.features:
        main += _comments(ctx, doc, rng)
    related = [p for p in ctx.plans[site.host] if p.path != plan.path and p.variant == ""][:3]
    if related:
        items = "".join(f"<li>{doc.a(p.path, p.title, placement='other')}</li>" for p in related)
        main += (
            f'<section class="related-posts"><h3>You might also like</h3><ul>{items}</ul></section>'
        )
    return finish(ctx, site, spec, doc, page, main)


def _first_on_topic(ctx: Ctx, site: Site, plan: ArticlePlan, target_path: str) -> bool:
    topic = next((t.topic for t in ctx.niche.ours.targets if t.path == target_path), None)
    plans = [p for p in ctx.plans[site.host] if p.variant == ""]
    match = [p for p in plans if p.topic == topic] or plans
    return bool(match) and match[0].path == plan.path


def _rel_mix(ctx: Ctx, doc: PageDoc, rng: Random) -> str:
    pool = ctx.live_articles(exclude=doc.site.host)
    a, b = rng.sample(pool, 2)
    return (
        "<h2>Tools and further reading</h2><p>"
        f"{doc.a(a.url, a.title, rel=('nofollow',), topic=a.topic)} (we are not affiliated); "
        f"our thermometer came from "
        f"{doc.a('https://compost-deals-4u.example/', 'Compost Deals', rel=('sponsored',))} "
        f"(sponsored); and a reader recommended {doc.a(b.url, b.title, rel=('ugc',), topic=b.topic)}."
        "</p>"
    )


def _comments(ctx: Ctx, doc: PageDoc, rng: Random) -> str:
    friends = [h for h in ctx.relevant_hosts() if h != doc.site.host]
    items = []
    names = rng.sample(list(ctx.niche.authors), 2)
    for host, name in zip(rng.sample(friends, 2), names, strict=True):
        who = doc.a(
            f"https://{host}/", name, rel=("external", "nofollow", "ugc"), placement="comments"
        )
        items.append(
            f'<li class="comment"><p class="comment-author">{who}</p>'
            f"<p>{esc(ctx.text('c', doc.url, host).paragraph(doc.site.topics[0], 1, 2))}</p></li>"
        )
    spam = doc.a(
        "https://luckyspin-casino.example/",
        "best casino bonus",
        rel=("nofollow", "ugc"),
        placement="comments",
    )
    items.append(
        f'<li class="comment"><p class="comment-author">Casino Bonus</p><p>Great post! '
        f"Check {spam} for free spins.</p></li>"
    )
    return f'<section id="comments" class="comments-area"><h2>Comments</h2><ol>{"".join(items)}</ol></section>'


def home(ctx: Ctx, site: Site, spec: SiteSpec) -> Page:
    doc = ctx.doc(site, "/")
    tg = ctx.text("home", site.host)
    page = Page("/", "home", site.name, topic=site.topics[0] if site.topics else None)
    items = []
    for plan in ctx.plans[site.host][:8]:
        if plan.variant == "login":
            continue
        first = tg.sentences(plan.topic, 1)[0]
        items.append(f"<li><h3>{doc.a(plan.path, plan.title)}</h3><p>{esc(first)}</p></li>")
    intro = tg.paragraph(site.topics[0], 2, 3) if site.topics else ""
    main = f'<h1>{esc(site.name)}</h1><p>{esc(intro)}</p><h2>Latest</h2><ul class="posts">{"".join(items)}</ul>'
    return finish(ctx, site, spec, doc, page, main)


def archive(ctx: Ctx, site: Site, spec: SiteSpec, path: str) -> Page:
    doc = ctx.doc(site, path)
    page = Page(path, "other", "All articles")
    if "x_robots_tags" in site.features:
        page.noindex, page.noindex_source = True, "header"
        page.headers += (("X-Robots-Tag", "noindex"),)
    items = "".join(
        f"<li>{doc.a(p.path, p.title)} <small>{_fmt_day(p)}</small></li>"
        for p in ctx.plans[site.host]
        if p.variant != "login"
    )
    return finish(ctx, site, spec, doc, page, f"<h1>All articles</h1><ul>{items}</ul>")


def tag_page(ctx: Ctx, site: Site, spec: SiteSpec, topic: str) -> Page:
    path = f"/tag/{topic}"
    doc = ctx.doc(site, path)
    label = ctx.niche.topics[topic].label
    page = Page(
        path,
        "other",
        f"Tag: {label}",
        topic=topic,
        noindex=True,
        noindex_source="header",
        headers=(("X-Robots-Tag", "noindex, nofollow"),),
    )
    items = "".join(
        f"<li>{doc.a(p.path, p.title)}</li>" for p in ctx.plans[site.host] if p.topic == topic
    )
    return finish(ctx, site, spec, doc, page, f"<h1>{esc(label)}</h1><ul>{items}</ul>")


def login(ctx: Ctx, site: Site, spec: SiteSpec, plan: ArticlePlan) -> Page:
    doc = ctx.doc(site, plan.path)
    page = Page(plan.path, "other", plan.title)
    main = (
        "<h1>Sign in</h1><p>Members only. Sign in to continue reading.</p>"
        '<form action="/login" method="post"><input name="user"><input type="password" '
        'name="password"><button>Sign in</button></form>'
    )
    return finish(ctx, site, spec, doc, page, main)
