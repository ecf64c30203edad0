"""HTML building: a page document that records every link and email it emits, and layouts.

Whatever a page renders goes through :class:`PageDoc`, so the ground truth (links with their
placement/rel/visibility, emails with their obfuscation) cannot drift from the HTML.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from urllib.parse import urljoin, urlsplit

from prospector.demo.model import EmailRecord, LinkRecord, Site
from prospector.demo.spec import EmailSpec

CF_DECODER_PATH = "/cdn-cgi/scripts/5c5dd728/cloudflare-static/email-decode.min.js"
CF_DECODER_JS = (
    "(function(){var els=document.querySelectorAll('[data-cfemail]');"
    "for(var i=0;i<els.length;i++){var el=els[i],h=el.getAttribute('data-cfemail'),"
    "k=parseInt(h.substr(0,2),16),s='';for(var j=2;j<h.length;j+=2){"
    "s+=String.fromCharCode(parseInt(h.substr(j,2),16)^k);}"
    "var a=document.createElement('a');a.href='mailto:'+s;a.textContent=s;"
    "el.parentNode.replaceChild(a,el);}})();\n"
)


def esc(text: str) -> str:
    return escape(text, quote=True)


def resolve_href(base: str, href: str) -> str:
    """Resolve like a browser would; an unparseable href comes back unchanged."""
    try:
        resolved = urljoin(base, href)
        parts = urlsplit(resolved)
        _ = parts.port
    except ValueError:
        return href
    if " " in (parts.netloc or "") or (parts.scheme in ("http", "https") and not parts.hostname):
        return href
    return resolved


class PageDoc:
    """One page under construction."""

    def __init__(
        self, site: Site, path: str, role_users: Iterable[str], base_href: str | None = None
    ) -> None:
        self.site = site
        self.path = path
        self.url = site.url(path)
        self.base_href = base_href
        self.base = base_href or self.url
        self.role_users = frozenset(role_users)
        self.links: list[LinkRecord] = []
        self.emails: list[EmailRecord] = []
        self.cf_decoder = False
        self._ids = 0

    def a(
        self,
        href: str,
        text: str,
        *,
        rel: tuple[str, ...] = (),
        placement: str = "content",
        visible: bool = True,
        topic: str | None = None,
        cls: str | None = None,
        style: str | None = None,
    ) -> str:
        anchor = " ".join(text.split())
        self.links.append(
            LinkRecord(
                href=resolve_href(self.base, href),
                raw_href=href,
                anchor=anchor,
                rel=rel,
                placement=placement,
                visible=visible,
                topic=topic,
            )
        )
        attrs = [f'href="{esc(href)}"']
        if cls:
            attrs.append(f'class="{cls}"')
        if rel:
            attrs.append(f'rel="{" ".join(rel)}"')
        if style:
            attrs.append(f'style="{style}"')
        return f"<a {' '.join(attrs)}>{esc(text)}</a>"

    def record_rendered_link(self, href: str, text: str, topic: str | None = None) -> None:
        """A link that only JavaScript creates (single-page app)."""
        self.links.append(
            LinkRecord(
                href=resolve_href(self.base, href),
                raw_href=href,
                anchor=" ".join(text.split()),
                rendered_only=True,
                topic=topic,
            )
        )

    def email(self, spec: EmailSpec, domain: str | None = None) -> str:
        domain = domain or self.site.mail_domain
        user = spec.user
        address = f"{user}@{domain}"
        kind = "role" if user in self.role_users else "personal"
        if all(e.address != address or e.obfuscation != spec.style for e in self.emails):
            self.emails.append(EmailRecord(address, kind, spec.style))
        style = spec.style
        if style == "plain":
            return f'<span class="email">{address}</span>'
        if style == "mailto":
            who = user.split(".")[0].capitalize() if kind == "personal" else "the team"
            return f'<a href="mailto:{address}">Email {who}</a>'
        if style == "at_dot":
            return f"{user} [at] {' [dot] '.join(domain.split('.'))}"
        if style == "paren_at":
            return f"{user}(at){domain}"
        if style == "entities":
            return "".join(f"&#{ord(c)};" for c in address)
        if style == "js":
            self._ids += 1
            eid = f"em-{self._ids}"
            return (
                f'<span id="{eid}">(enable JavaScript to see the address)</span>'
                f'<script>(function(){{var u="{user}",d="{domain}";'
                f'var e=document.getElementById("{eid}");'
                "e.innerHTML='<a href=\"mailto:'+u+'&#64;'+d+'\">'+u+'&#64;'+d+'</a>';"
                "})();</script>"
            )
        # cfemail: Cloudflare's XOR-hex email protection, decoded by its script.
        key = sum(address.encode()) % 200 + 20
        hexed = f"{key:02x}" + "".join(f"{b ^ key:02x}" for b in address.encode())
        self.cf_decoder = True
        return (
            f'<a href="/cdn-cgi/l/email-protection#{hexed}" class="__cf_email__" '
            f'data-cfemail="{hexed}">[email&#160;protected]</a>'
        )


def analytics_snippet(tag: str) -> str:
    """Inline gtag snippet (no external request: tests never touch the internet)."""
    return (
        "<script>window.dataLayer=window.dataLayer||[];"
        "function gtag(){dataLayer.push(arguments);}gtag('js',new Date());"
        f"gtag('config','{tag}');</script>"
    )


def canonical_script(url: str) -> str:
    """An inline script that adds ``<link rel="canonical" href=url>`` once the page runs."""
    return (
        "<script>(function(){var l=document.createElement('link');l.rel='canonical';"
        f"l.href={json.dumps(url)};document.head.appendChild(l);}})();</script>"
    )


def jsonld(data: dict[str, object]) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, sort_keys=True)}</script>'


def _nav(doc: PageDoc, tag: str = "li") -> str:
    items = []
    for path, label in doc.site.nav:
        link = doc.a(path, label, placement="navigation")
        items.append(f"<{tag}>{link}</{tag}>" if tag else link)
    return "".join(items)


def render(
    doc: PageDoc,
    *,
    title: str,
    main: str,
    sidebar: str | None = None,
    head: Iterable[str] = (),
    description: str = "",
    footer_extra: str = "",
    body_class: str = "",
) -> str:
    """Wrap *main* in the site's archetype chrome (header, nav, sidebar, footer)."""
    site = doc.site
    head_parts = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
    ]
    if description:
        head_parts.append(f'<meta name="description" content="{esc(description)}">')
    if doc.base_href:
        head_parts.append(f'<base href="{esc(doc.base_href)}">')
    head_parts.extend(head)
    if site.analytics_id:
        head_parts.append(analytics_snippet(site.analytics_id))
    year = 2025
    footer_links = " · ".join(
        doc.a(path, label, placement="footer")
        for path, label in site.nav
        if label in ("About", "Contact")
    )
    footer = f"<p>&copy; {year} {esc(site.name)}. {footer_links}</p>{footer_extra}"
    logo = doc.a("/", site.name, placement="header", cls="logo")
    arch = site.archetype
    side = sidebar or ""
    if arch == "wordpress":
        body = (
            f'<div id="page" class="site"><header id="masthead" class="site-header">'
            f'<div class="site-branding"><p class="site-title">{logo}</p></div>'
            f'<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">'
            f"{_nav(doc)}</ul></nav></header>"
            f'<div id="content" class="site-content"><main id="primary" class="site-main">{main}'
            f"</main>"
            + (f'<aside id="secondary" class="widget-area">{side}</aside>' if side else "")
            + f'</div><footer id="colophon" class="site-footer"><div class="site-info">{footer}'
            "<p>Proudly powered by PressEngine</p></div></footer></div>"
        )
    elif arch == "ghost":
        body = (
            f'<div class="viewport"><header id="gh-head" class="gh-head"><div class="gh-head-inner">'
            f'{logo}<nav class="gh-head-menu"><ul class="nav">{_nav(doc)}</ul></nav></div></header>'
            f'<main id="gh-main" class="gh-main">{main}</main>'
            + (f'<aside class="gh-sidebar">{side}</aside>' if side else "")
            + f'<footer class="gh-foot"><div class="gh-foot-inner">{footer}</div></footer></div>'
        )
    elif arch == "magazine":
        body = (
            f'<div class="wrapper"><div class="masthead" role="banner">{logo}'
            f'<div class="topnav" role="navigation">{_nav(doc, "span")}</div></div>'
            f'<div class="layout"><div class="col-main" role="main">{main}</div>'
            + (f'<div class="col-side" role="complementary">{side}</div>' if side else "")
            + f'</div><div class="bottom" role="contentinfo">{footer}</div></div>'
        )
    elif arch == "plain":
        body = (
            f'<div id="top"><h1 class="logo">{logo}</h1><div class="menu">{_nav(doc, "")}</div></div>'
            f'<div id="body">{main}</div>'
            + (f'<div id="side">{side}</div>' if side else "")
            + f'<div id="foot">{footer}</div>'
        )
    else:  # static
        body = (
            f'<header class="header"><nav class="nav">{logo}<ul class="menu">{_nav(doc)}</ul>'
            f'</nav></header><main class="main">{main}</main>'
            + (f"<aside>{side}</aside>" if side else "")
            + f'<footer class="footer">{footer}</footer>'
        )
    if doc.cf_decoder:
        body += f'<script src="{CF_DECODER_PATH}"></script>'
    cls = f' class="{body_class}"' if body_class else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n'
        + "\n".join(head_parts)
        + f"\n</head>\n<body{cls}>\n{body}\n</body>\n</html>\n"
    )


def _suffix(site: Site) -> str:
    """Static sites use .html paths, WordPress uses trailing slashes."""
    if site.archetype == "static":
        return ".html"
    if site.archetype in ("wordpress", "ghost"):
        return "/"
    return ""


def page_path(site: Site, name: str) -> str:
    return f"/{name}{_suffix(site)}"
