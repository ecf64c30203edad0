"""Per-host and per-path behaviours: how a request to the demo web is answered.

``route()`` is the single place that decides a response; the server executes it and the
oracle (truth) reads it, so the two cannot disagree. Behaviours (``Site.behaviour``):

- ``bot_wall`` / ``bot_wall_503``: Cloudflare-style "Just a moment..." challenge, 403 / 503,
  ``cf-mitigated: challenge``; ``status_999``: LinkedIn-style 999;
- ``rate_limit_seconds`` / ``rate_limit_date``: 429 with ``Retry-After`` (seconds / HTTP-date);
- ``slow`` (delay before answering), ``trickle`` (headers, then a byte a second), ``hang``;
- ``head_405`` (HEAD is refused), ``head_lies`` (HEAD always 200, GET of unknown path 404);
- ``redirect_all`` (every path 301s to ``Site.redirect_to``).

Not-found policies (``Site.not_found``): ``404``, ``soft404`` (200 "Oops, nothing here"),
``soft404_template`` (200, the same bland template for every path), ``redirect_home`` (301 /).
Robots.txt is always served as written (except on a hanging host).
"""

from __future__ import annotations

import email.utils
import gzip
from html import escape
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from prospector.demo.html import CF_DECODER_JS, CF_DECODER_PATH, PageDoc, render
from prospector.demo.model import Asset, Reply, Rule, Site

HTML = "text/html; charset=utf-8"
RAY = "8a1b2c3d4e5f6a7b"
ROBOTS = {
    "open": "User-agent: *\nAllow: /\n",
    "wordpress": "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n",
    "private": "User-agent: *\nDisallow: /private/\nDisallow: /search\n",
    "block_prospector": "User-agent: Prospector\nDisallow: /\n\nUser-agent: *\nDisallow: /drafts/\n",
}
CHALLENGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow"></head><body><div class="main-wrapper" role="main">
<div class="main-content"><h1 class="zone-name-title h1">{host}</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>
<div id="challenge-body-text" class="core-msg spacer">{host} needs to review the security of your
connection before proceeding.</div><form id="challenge-form" action="/?__cf_chl_f_tk=x1" method="POST">
</form></div></div><div class="footer" role="contentinfo"><div class="ray-id">Ray ID: <code>{ray}</code>
</div><div id="footer-text">Performance &amp; security by Cloudflare</div></div></body></html>
"""


def _html(status: int, body: str, nature: str, *extra: tuple[str, str]) -> Reply:
    return Reply(status, (("Content-Type", HTML), *extra), body.encode(), nature=nature)


def redirect(status: int, location: str | None, nature: str = "redirect") -> Reply:
    headers = (("Location", location),) if location is not None else ()
    body = f"<html><body><p>Moved to {escape(location or '(nowhere)')}</p></body></html>"
    return Reply(status, (("Content-Type", HTML), *headers), body.encode(), nature=nature)


def challenge(host: str, status: int) -> Reply:
    body = CHALLENGE.format(host=escape(host), ray=RAY)
    return _html(
        status,
        body,
        "challenge",
        ("cf-mitigated", "challenge"),
        ("Server", "cloudflare"),
        ("CF-RAY", f"{RAY}-LHR"),
        ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate"),
    )


def route(
    site: Site,
    host: str,
    scheme: str,
    method: str,
    target: str,
    *,
    slow_delay_s: float = 3.0,
    now: float | None = None,
) -> Reply:
    path = target.split("?", 1)[0].split("#", 1)[0] or "/"
    if host != site.host:  # an alias such as www.
        to_scheme = "https" if site.force_https else scheme
        return redirect(301, f"{to_scheme}://{site.host}{target}")
    behaviour = site.behaviour
    if behaviour == "hang":
        return Reply(0, nature="hang", mode="hang")
    if behaviour == "redirect_all":
        return redirect(301, site.redirect_to)
    if scheme == "http" and site.force_https:
        return redirect(301, f"https://{site.host}{target}")
    if path == "/robots.txt":
        return Reply(
            200,
            (("Content-Type", "text/plain; charset=utf-8"),),
            site.robots_txt.encode(),
            nature="file",
        )
    reply = _gate(site, behaviour, now) or _content(site, method, path)
    if behaviour == "slow":
        return Reply(
            reply.status,
            reply.headers,
            reply.body,
            reply.nature,
            reply.redirect_to,
            reply.mode,
            slow_delay_s,
            reply.compressible,
        )
    if behaviour == "trickle":
        return Reply(
            reply.status,
            reply.headers,
            reply.body,
            reply.nature,
            reply.redirect_to,
            "trickle",
            reply.delay_s,
            False,
        )
    return reply


def _gate(site: Site, behaviour: str, now: float | None) -> Reply | None:
    if behaviour == "bot_wall":
        return challenge(site.host, 403)
    if behaviour == "bot_wall_503":
        return challenge(site.host, 503)
    if behaviour == "status_999":
        body = "<html><head><script>var trk='bf';</script></head><body>Request denied</body></html>"
        return _html(999, body, "blocked")
    if behaviour == "rate_limit_seconds":
        return Reply(
            429,
            (("Content-Type", "text/plain"), ("Retry-After", "120")),
            b"Too Many Requests\n",
            nature="rate_limited",
        )
    if behaviour == "rate_limit_date":
        import time

        when = email.utils.formatdate((now or time.time()) + 3600, usegmt=True)
        return Reply(
            429,
            (("Content-Type", "text/plain"), ("Retry-After", when)),
            b"Too Many Requests\n",
            nature="rate_limited",
        )
    return None


def _content(site: Site, method: str, path: str) -> Reply:
    if site.kind == "parked":
        return Reply(200, (("Content-Type", HTML),), site.pages["/"].body, nature="parked")
    if method == "HEAD" and site.behaviour == "head_405":
        return Reply(
            405,
            (("Allow", "GET"), ("Content-Type", "text/plain")),
            b"Method Not Allowed\n",
            nature="method_not_allowed",
        )
    if method == "HEAD" and site.behaviour == "head_lies":
        return Reply(200, (("Content-Type", HTML),), site.pages["/"].body, nature="page")
    if path == CF_DECODER_PATH:
        return Reply(
            200,
            (("Content-Type", "application/javascript"),),
            CF_DECODER_JS.encode(),
            nature="file",
        )
    rule = site.rules.get(path)
    if rule is not None:
        return _rule(site, rule)
    asset = site.assets.get(path)
    if asset is not None:
        compress = site.gzip and not asset.content_type.startswith("application/x-gzip")
        return Reply(
            200,
            (("Content-Type", asset.content_type),),
            asset.body,
            nature="file",
            compressible=compress,
        )
    found = site.pages.get(path)
    if found is not None:
        headers = (("Content-Type", found.content_type), *found.headers)
        return Reply(200, headers, found.body, nature="page", compressible=site.gzip)
    policy = site.not_found
    if policy == "soft404":
        return Reply(200, (("Content-Type", HTML),), site.templates["soft404"], nature="soft404")
    if policy == "soft404_template":
        return Reply(
            200, (("Content-Type", HTML),), site.templates["soft404_template"], nature="soft404"
        )
    if policy == "redirect_home":
        return redirect(301, "/", nature="redirect")
    return Reply(404, (("Content-Type", HTML),), site.templates["not_found"], nature="not_found")


def _rule(site: Site, rule: Rule) -> Reply:
    if rule.login:
        return redirect(302, f"/login?next={quote(rule.path)}", nature="login")
    if rule.meta_refresh:
        body = (
            f'<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0; url='
            f'{escape(rule.meta_refresh)}"><title>Moved</title></head><body><p>This page has '
            f"moved.</p></body></html>"
        )
        return Reply(
            200,
            (("Content-Type", HTML),),
            body.encode(),
            nature="meta_refresh",
            redirect_to=rule.meta_refresh,
        )
    if rule.js_redirect:
        body = (
            f"<!DOCTYPE html><html><head><title>Redirecting</title><script>"
            f'location.replace("{rule.js_redirect}");</script></head><body>'
            "<p>Redirecting...</p></body></html>"
        )
        return Reply(
            200,
            (("Content-Type", HTML),),
            body.encode(),
            nature="js_redirect",
            redirect_to=rule.js_redirect,
        )
    if rule.empty:
        return Reply(200, (("Content-Type", HTML),), b"", nature="page")
    status = rule.status
    if 300 <= status < 400:
        return redirect(status, rule.location)
    if status == 401:
        return _html(
            401,
            "<h1>401 Authorization Required</h1>",
            "auth",
            ("WWW-Authenticate", 'Basic realm="Members"'),
        )
    if status == 410:
        return Reply(410, (("Content-Type", HTML),), site.templates["gone"], nature="not_found")
    if status >= 500:
        text = "Internal Server Error" if status == 500 else "Service Unavailable"
        return _html(status, f"<html><body><h1>{status} {text}</h1></body></html>", "error")
    return _html(status, f"<html><body><h1>{status}</h1></body></html>", "error")


# --- build-time: robots.txt, sitemaps and error templates ------------------------------------


def finalize(site: Site, role_users: tuple[str, ...]) -> None:
    """Add robots.txt, sitemaps and error templates once the pages exist."""
    lines = ROBOTS[site.robots]
    base = f"https://{site.host}"
    if site.sitemap == "gzip":
        lines += f"\nSitemap: {base}/sitemap.xml.gz\n"
    elif site.sitemap != "none":
        lines += f"\nSitemap: {base}/sitemap.xml\n"
    site.robots_txt = lines
    _sitemaps(site, base)
    _templates(site, role_users)


def _urlset(urls: list[tuple[str, str | None]]) -> bytes:
    items = "".join(
        f"<url><loc>{xml_escape(u)}</loc>" + (f"<lastmod>{d}</lastmod>" if d else "") + "</url>"
        for u, d in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>\n'
    ).encode()


def _sitemaps(site: Site, base: str) -> None:
    if site.sitemap == "none":
        return
    entries = [(base + p.path, p.published) for p in site.pages.values() if not p.noindex]
    xml = "application/xml"
    if site.sitemap == "gzip":
        site.assets["/sitemap.xml.gz"] = Asset(
            "application/x-gzip", gzip.compress(_urlset(entries), mtime=0)
        )
    elif site.sitemap == "index":
        posts = [e for e in entries if e[1]]
        other = [e for e in entries if not e[1]]
        site.assets["/sitemap-posts.xml"] = Asset(xml, _urlset(posts))
        site.assets["/sitemap-pages.xml"] = Asset(xml, _urlset(other))
        index = "".join(
            f"<sitemap><loc>{base}/{name}</loc></sitemap>"
            for name in ("sitemap-posts.xml", "sitemap-pages.xml")
        )
        site.assets["/sitemap.xml"] = Asset(
            xml,
            (
                '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/'
                f'schemas/sitemap/0.9">{index}</sitemapindex>\n'
            ).encode(),
        )
    else:
        site.assets["/sitemap.xml"] = Asset(xml, _urlset(entries))


def _templates(site: Site, role_users: tuple[str, ...]) -> None:
    def page(title: str, main: str) -> bytes:
        doc = PageDoc(site, "/__template__", role_users)
        return render(doc, title=f"{title} | {site.name}", main=main).encode()

    site.templates["not_found"] = page(
        "Page not found", "<h1>Page not found</h1><p>Sorry, we could not find that page.</p>"
    )
    site.templates["gone"] = page(
        "Gone", "<h1>This page has been removed</h1><p>The article is no longer available.</p>"
    )
    site.templates["soft404"] = page(
        "Oops, nothing here",
        "<h1>Oops, nothing here</h1><p>Page not found. The page you were looking for "
        "does not exist. Try the search or go back to the home page.</p>",
    )
    recent = [p for p in site.pages.values() if p.kind == "article"][:6]
    items = "".join(f"<li>{escape(p.title)}</li>" for p in recent)
    site.templates["soft404_template"] = page(
        site.name, f"<h1>Latest from {escape(site.name)}</h1><ul>{items}</ul>"
    )
