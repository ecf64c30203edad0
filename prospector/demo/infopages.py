"""Site information pages: about, contact, guest-post guidelines and resource (links) pages."""

from __future__ import annotations

from prospector.demo.context import Ctx
from prospector.demo.html import esc, page_path
from prospector.demo.model import Page, Site
from prospector.demo.pages import finish
from prospector.demo.spec import EmailSpec, SiteSpec, SpecialLink


def about(ctx: Ctx, site: Site, spec: SiteSpec) -> Page:
    path = page_path(site, "about")
    doc = ctx.doc(site, path)
    tg = ctx.text("about", site.host)
    page = Page(path, "about", f"About {site.name}")
    paras = "".join(f"<p>{esc(p)}</p>" for p in tg.words("about", 3))
    team = "".join(f"<li>{esc(a)}</li>" for a in ctx.authors.get(site.host, []))
    mail = f"<p>Write to me directly: {doc.email(spec.about_email)}</p>" if spec.about_email else ""
    main = f"<h1>About {esc(site.name)}</h1>{paras}<h2>Who writes here</h2><ul>{team}</ul>{mail}"
    return finish(ctx, site, spec, doc, page, main)


def contact(ctx: Ctx, site: Site, spec: SiteSpec, emails: tuple[EmailSpec, ...]) -> Page:
    path = page_path(site, "contact")
    doc = ctx.doc(site, path)
    page = Page(path, "contact", f"Contact {site.name}")
    lines = []
    for i, email in enumerate(emails):
        label = "For general questions" if i == 0 else "Or write to"
        lines.append(f"<p>{label}: {doc.email(email)}</p>")
    form = (
        '<form class="contact-form" action="/contact/send" method="post"><label>Name <input '
        'name="name"></label><label>Message <textarea name="message"></textarea></label>'
        "<button>Send</button></form>"
    )
    main = f"<h1>Contact us</h1><p>We read everything, but we cannot reply to all of it.</p>{''.join(lines)}{form}"
    return finish(ctx, site, spec, doc, page, main)


def guest(ctx: Ctx, site: Site, spec: SiteSpec) -> Page:
    assert spec.guest is not None
    g = spec.guest
    doc = ctx.doc(site, g.path)
    tg = ctx.text("guest", site.host)
    page = Page(g.path, "guest_post", g.title)
    paras = "".join(f"<p>{esc(p)}</p>" for p in tg.words("guest", 4))
    wanted = "".join(f"<li>{esc(ctx.niche.topics[t].label)}</li>" for t in site.topics)
    how = ""
    if g.user:
        how += f"<p>Send your pitch to {doc.email(EmailSpec(g.user, g.style))}.</p>"
    if g.form:
        how += (
            '<form class="guest-form" action="/guest-submit" method="post"><label>Your name '
            '<input name="name"></label><label>Your email <input type="email" name="email">'
            '</label><label>Pitch <textarea name="pitch"></textarea></label>'
            "<button>Submit your pitch</button></form>"
        )
    main = f"<h1>{esc(g.title)}</h1>{paras}<h2>Topics we want</h2><ul>{wanted}</ul><h2>How to pitch</h2>{how}"
    return finish(ctx, site, spec, doc, page, main)


def resources(ctx: Ctx, site: Site, spec: SiteSpec) -> Page:
    assert spec.resources is not None
    r = spec.resources
    rng = ctx.rng("resources", site.host)
    doc = ctx.doc(site, r.path)
    page = Page(r.path, "resource_page", r.title, topic=site.topics[0])
    specials: list[SpecialLink] = ctx.specials.get((site.host, r.path), [])
    picked: list[tuple[str, str, str | None]] = [(s.url, s.anchor, s.topic) for s in specials]
    if site.relevance == "none":
        pool = [
            p
            for h, plans in ctx.plans.items()
            if h != site.host
            and ctx.sites[h].relevance == "none"
            and ctx.sites[h].behaviour == "normal"
            for p in plans
        ]
        fill = [(f"https://{h}/", h.split(".")[0].title(), None) for h in ctx.fillers[:4]]
    else:
        pool = [p for t in site.topics for p in ctx.live_articles(t, exclude=site.host)]
        pool += ctx.live_articles(exclude=site.host)
        fill = []
    seen = {u for u, _, _ in picked}
    for plan in pool if len(pool) < 2 else rng.sample(pool, len(pool)):
        if len(picked) + len(fill) >= r.size:
            break
        if plan.url not in seen:
            seen.add(plan.url)
            picked.append((plan.url, plan.title, plan.topic))
    picked += fill
    rng.shuffle(picked)
    groups: dict[str, list[str]] = {}
    for i, (url, anchor, topic) in enumerate(picked):
        rel: tuple[str, ...] = ("nofollow",) if i % 7 == 6 else ()
        label = ctx.niche.topics[topic].label if topic else "Other"
        link = doc.a(url, anchor, rel=rel, topic=topic)
        groups.setdefault(label, []).append(f"<li>{link} &mdash; {esc(label.lower())}</li>")
    sections = "".join(
        f"<h2>{esc(label)}</h2><ul>{''.join(items)}</ul>" for label, items in sorted(groups.items())
    )
    intro = (
        f"<p>We keep this list of {esc(r.title.lower())} for readers. Links were last checked "
        f"in {rng.randint(2016, 2021)}; tell us if one is broken.</p>"
    )
    return finish(ctx, site, spec, doc, page, f"<h1>{esc(r.title)}</h1>{intro}{sections}")
