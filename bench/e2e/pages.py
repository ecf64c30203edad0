"""The HTML of the synthetic web (:mod:`bench.e2e.web` decides what exists and links where).

Pages are built with the demo web's page documents and layouts
(:class:`prospector.demo.html.PageDoc`, :func:`~prospector.demo.html.render`) and finished
with its robots.txt, sitemaps and error templates, so they look like the demo's blogs to the
extractor and classifiers. Each link records its kind (see :data:`bench.e2e.web.LINK_KINDS`)
in ``LinkRecord.topic``, which :meth:`bench.e2e.web.SyntheticWeb.stats` counts.
"""

from __future__ import annotations

import json
from html import escape

from bench.e2e import text
from bench.e2e.web import (
    ARTICLES_PER_SITE,
    REF_PAGES,
    PlannedLink,
    WebSpec,
    article_links,
    article_path,
    blog_host,
    is_js_article,
    ref_host,
    resource_links,
    rng_for,
)
from prospector.demo.behaviours import finalize
from prospector.demo.html import PageDoc, render
from prospector.demo.model import Asset, Page, Rule, Site

ARCHETYPES = ("static", "wordpress", "ghost", "magazine", "plain")
NAV = [
    ("/", "Home"),
    ("/resources", "Resources"),
    ("/write-for-us", "Write for us"),
    ("/about", "About"),
    ("/contact", "Contact"),
]
POST_JS = """(function () {
  var path = location.pathname.replace(/\\/$/, '');
  fetch('/api' + path + '.json').then(function (r) { return r.json(); }).then(function (d) {
    var root = document.getElementById('root');
    var art = document.createElement('article');
    var h = document.createElement('h1'); h.textContent = d.title; art.appendChild(h);
    d.paragraphs.forEach(function (t) {
      var p = document.createElement('p'); p.textContent = t; art.appendChild(p);
    });
    var p = document.createElement('p'); p.appendChild(document.createTextNode('Further reading: '));
    d.links.forEach(function (l, i) {
      var a = document.createElement('a'); a.href = l.url; a.textContent = l.text;
      p.appendChild(a); p.appendChild(document.createTextNode(i + 1 < d.links.length ? ', ' : '.'));
    });
    art.appendChild(p); root.appendChild(art);
    document.title = d.title;
  });
})();
"""
HTML = "text/html; charset=utf-8"


def _shell(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title></head><body><div id="root"><noscript>You need to '
        "enable JavaScript to read this post.</noscript></div>"
        '<script src="/static/post.js"></script></body></html>\n'
    )


def _linked(doc: PageDoc, links: list[PlannedLink]) -> list[str]:
    return [doc.a(link.url, link.anchor, topic=link.kind) for link in links]


def blog_site(spec: WebSpec, i: int) -> Site:
    host = blog_host(i)
    rng = rng_for(spec, "blog", i)
    name = f"{rng.choice(text.SUBJECTS).split()[-1].capitalize()} Notes {i}"
    site = Site(host=host, name=name, kind="blog", archetype=ARCHETYPES[i % len(ARCHETYPES)])
    site.nav = list(NAV)
    editor = f"{rng.choice(text.FIRST_NAMES)}@{host}"
    titles = [text.title(rng_for(spec, "title", i, k)) for k in range(ARTICLES_PER_SITE)]

    def add(path: str, kind: str, title: str, doc: PageDoc, html: str) -> None:
        site.pages[path] = Page(path, kind, title, html=html, links=list(doc.links))

    for k in range(ARTICLES_PER_SITE):
        path = article_path(k)
        doc = PageDoc(site, path, ())
        prng = rng_for(spec, "article", i, k)
        paragraphs = [text.paragraph(prng, prng.randint(4, 7)) for _ in range(3)]
        links = article_links(spec, i, k)
        if is_js_article(spec, i, k):
            for link in links:
                doc.record_rendered_link(link.url, link.anchor, topic=link.kind)
            data = {
                "title": titles[k],
                "paragraphs": paragraphs,
                "links": [{"url": link.url, "text": link.anchor} for link in links],
            }
            site.assets[f"/api{path}.json"] = Asset("application/json", json.dumps(data).encode())
            add(path, "spa", titles[k], doc, _shell(titles[k]))
            continue
        half = len(links) // 2
        anchors = _linked(doc, links)
        main = (
            f"<article><h1>{escape(titles[k])}</h1><p>{escape(paragraphs[0])} "
            f"See {', '.join(anchors[:half])}.</p><p>{escape(paragraphs[1])}</p>"
            f"<p>{escape(paragraphs[2])} More: {', '.join(anchors[half:])}.</p></article>"
        )
        add(path, "article", titles[k], doc, render(doc, title=f"{titles[k]} | {name}", main=main))
    site.assets["/static/post.js"] = Asset(
        "application/javascript; charset=utf-8", POST_JS.encode()
    )

    doc = PageDoc(site, "/", ())
    items = "".join(
        f"<li>{doc.a(article_path(k), titles[k])}</li>" for k in range(ARTICLES_PER_SITE)
    )
    main = (
        f"<h1>{escape(name)}</h1><p>{escape(text.paragraph(rng, 3))}</p>"
        f"<h2>Latest posts</h2><ul>{items}</ul>"
    )
    add("/", "home", name, doc, render(doc, title=name, main=main))

    doc = PageDoc(site, "/resources", ())
    items = "".join(f"<li>{a}</li>" for a in _linked(doc, resource_links(spec, i)))
    main = (
        "<h1>Composting resources</h1><p>The sites and guides about compost, worm bins and "
        f"garden soil that we recommend to readers.</p><ul>{items}</ul>"
    )
    add("/resources", "resource_page", "Composting resources", doc,
        render(doc, title=f"Composting resources | {name}", main=main))  # fmt: skip

    doc = PageDoc(site, "/write-for-us", ())
    main = (
        "<h1>Write for us</h1><p>We welcome guest posts about composting, worm bins and garden "
        "soil. Read our guidelines before you pitch: original articles only, unpublished "
        "elsewhere, 800 to 1500 words, with a short author bio. Our editorial team replies "
        f'within two weeks.</p><p>Send your pitch to <a href="mailto:{editor}">{editor}</a>.</p>'
    )
    add("/write-for-us", "guest_post", "Write for us", doc,
        render(doc, title=f"Write for us | {name}", main=main))  # fmt: skip

    doc = PageDoc(site, "/about", ())
    main = f"<h1>About {escape(name)}</h1><p>{escape(text.paragraph(rng, 4))}</p>"
    add("/about", "about", "About", doc, render(doc, title=f"About | {name}", main=main))

    doc = PageDoc(site, "/contact", ())
    main = (
        f"<h1>Contact</h1><p>Questions about composting or the blog? Email the editor at "
        f'<a href="mailto:{editor}">{editor}</a>.</p>'
    )
    add("/contact", "contact", "Contact", doc, render(doc, title=f"Contact | {name}", main=main))
    finalize(site, ())
    return site


def ref_site(spec: WebSpec, j: int) -> Site:
    """A cited host: articles, app shells, a JavaScript redirect, 410s and 301s."""
    host = ref_host(j)
    rng = rng_for(spec, "ref", j)
    name = f"Compost Reference {j}"
    site = Site(host=host, name=name, kind="reference", archetype="static", listed=False)
    site.nav = [("/", "Home")]
    titles = [text.title(rng) for _ in range(REF_PAGES)]
    for k in range(REF_PAGES):
        doc = PageDoc(site, f"/a/{k}", ())
        main = (
            f"<article><h1>{escape(titles[k])}</h1><p>{escape(text.paragraph(rng, 4))}</p>"
            f"<p>{doc.a('/', 'More from ' + name)}</p></article>"
        )
        html = render(doc, title=f"{titles[k]} | {name}", main=main)
        site.pages[f"/a/{k}"] = Page(f"/a/{k}", "article", titles[k], html=html)
    doc = PageDoc(site, "/", ())
    items = "".join(f"<li>{doc.a(f'/a/{k}', titles[k])}</li>" for k in range(REF_PAGES))
    main = f"<h1>{escape(name)}</h1><ul>{items}</ul>"
    site.pages["/"] = Page("/", "home", name, html=render(doc, title=name, main=main))
    for k in range(2):
        data = {
            "title": titles[k],
            "paragraphs": [text.paragraph(rng, 4)],
            "links": [{"url": f"/a/{k}", "text": titles[k]}],
        }
        site.pages[f"/app/{k}"] = Page(f"/app/{k}", "spa", titles[k], html=_shell(titles[k]))
        site.assets[f"/api/app/{k}.json"] = Asset("application/json", json.dumps(data).encode())
        site.rules[f"/go/{k}"] = Rule(f"/go/{k}", js_redirect=f"/a/{k}")
    for k in range(10):
        site.rules[f"/retired/{k}"] = Rule(f"/retired/{k}", status=410)
    for k in range(REF_PAGES):
        site.rules[f"/moved/{k}"] = Rule(f"/moved/{k}", status=301, location=f"/a/{k}")
    site.assets["/static/post.js"] = Asset(
        "application/javascript; charset=utf-8", POST_JS.encode()
    )
    finalize(site, ())
    return site
