"""The catalogue of the hostile web (served by tests/hostile_web.py): each page has a name (its
test id), what it attacks, and a responder writing raw bytes. ``PAGES`` lists them all."""

from __future__ import annotations

import os
from html import escape

from tests.hostile_pages import (
    GIB,
    body_50mb,
    bomb,
    conflicting_lengths,
    content_length_overstated,
    content_length_short,
    deep_dom,
    deflate_bomb,
    header_flood,
    html,
    huge_header,
    huge_single_line,
    idn,
    infinite_chunked,
    invalid_utf8,
    js_redirect,
    long_url,
    malformed,
    malformed_hrefs,
    many_links,
    meta_refresh,
    no_answer,
    not_http,
    nul_bytes,
    redirect_chain,
    redirect_loop,
    redirect_to,
    redirect_without_location,
    regex_bomb,
    second_hop_private,
    service_worker,
    slow_loris,
    subresources,
    trickle_body,
    trip,
    unknown_charset,
    webrtc,
    wrong_charset,
)
from tests.hostile_web import (
    HOST,
    LINKS_HOST,
    Conn,
    HostilePage,
    Request,
    Responder,
    forbidden_targets,
)

# -- scripts ---------------------------------------------------------------------------------


def script_page(title: str, script: str, body: str = "") -> Responder:
    async def respond(request: Request, conn: Conn) -> None:
        code = script.replace("{trip}", str(conn.web.trip_port))
        await conn.respond(200, html(title, body + f"<script>{code}</script>", text="Short."))

    return respond


async def download_attachment(request: Request, conn: Conn) -> None:
    await conn.respond(
        200,
        b"PK\x03\x04" + os.urandom(1 << 16),
        ("Content-Disposition", 'attachment; filename="invoice.exe"'),
        content_type="application/octet-stream",
    )


async def robots_redirect_private(request: Request, conn: Conn) -> None:
    await conn.respond(302, b"", ("Location", trip(conn.web, "127.0.0.2", "/robots.txt")))


async def robots_bomb(request: Request, conn: Conn) -> None:
    await conn.respond(
        200,
        deflate_bomb(GIB, "gzip"),
        ("Content-Encoding", "gzip"),
        content_type="text/plain",
    )


async def robots_huge(request: Request, conn: Conn) -> None:
    rules = "".join(f"Disallow: /no{i}/*x$\n" for i in range(40_000))
    await conn.respond(200, f"User-agent: *\n{rules}".encode(), content_type="text/plain")


async def form_bomb(request: Request, conn: Conn) -> None:
    body = "<form>" * 1000 + "<input a " * 1000
    await conn.respond(200, html("Forms", body, text="Write for us."))


async def links_to_everything(request: Request, conn: Conn) -> None:
    """An on-topic resource page on another site: its outbound links are every hostile page,
    every refused address and every malformed URL, for a crawl's link checks to meet."""
    web = conn.web
    hrefs = [p.url for p in web.pages if p.host != LINKS_HOST]
    hrefs += [*forbidden_targets(web).values(), *malformed_hrefs(web).values()]
    items = "".join(f'<li><a href="{escape(h)}">{escape(h[:60])}</a></li>' for h in hrefs)
    text = (
        "Our favourite composting resources: guides to home composting, compost bins, "
        "worm bins and garden soil, collected by readers over the years."
    )
    body = f"<main><h2>Composting resources</h2><p>{text}</p><ul>{items}</ul></main>"
    await conn.respond(200, html("Composting resources and useful links", body, text=text))


def plain(title: str) -> Responder:
    async def respond(request: Request, conn: Conn) -> None:
        await conn.respond(200, html(title))

    return respond


def _page(
    name: str,
    attacks: str,
    respond: Responder,
    *,
    host: str = HOST,
    slow: bool = False,
    robots: Responder | None = None,
) -> HostilePage:
    return HostilePage(name, attacks, respond, host=host, slow=slow, robots=robots)


LOOP_AFTER_LOAD = "addEventListener('load',()=>setTimeout(()=>{for(;;){}},50))"
PAGES: list[HostilePage] = [
    # redirects and the guard
    _page("redirect-loop", "a two-page redirect loop", redirect_loop),
    _page("redirect-chain-25", "25 redirects (the limit is 20)", redirect_chain),
    _page("redirect-without-location", "a 302 with no Location", redirect_without_location),
    _page("redirect-location-garbage", "Location: http://[::1", redirect_to("http://[::1")),
    _page(
        "redirect-location-idn-localhost",
        "Location: ⓛocalhost in raw UTF-8 (folds to localhost)",
        redirect_to("http://ⓛocalhost:{trip}/"),
    ),
    _page("redirect-to-loopback", "302 to 127.0.0.2", redirect_to("http://127.0.0.2:{trip}/")),
    _page("redirect-to-ipv6-loopback", "302 to [::1]", redirect_to("http://[::1]:{trip}/")),
    _page(
        "redirect-to-mapped-ipv6",
        "302 to [::ffff:127.0.0.3] (IPv4-mapped IPv6)",
        redirect_to("http://[::ffff:127.0.0.3]:{trip}/"),
    ),
    _page(
        "redirect-to-zero-address",
        "302 to 0.0.0.0 (Linux connects it to loopback)",
        redirect_to("http://0.0.0.0:{trip}/"),
    ),
    _page(
        "redirect-to-encoded-ip",
        "302 to 2130706433 (127.0.0.1 as one decimal number)",
        redirect_to("http://2130706433:{trip}/"),
    ),
    _page(
        "redirect-to-dns-loopback",
        "302 to localhost (resolved by /etc/hosts, not mapped)",
        redirect_to("http://localhost:{trip}/"),
    ),
    _page(
        "redirect-to-metadata",
        "302 to the cloud metadata service",
        redirect_to("http://{meta}/latest/meta-data/iam/security-credentials/"),
    ),
    _page(
        "redirect-to-own-ip",
        "302 to this very server by its literal IP (bypassing the mapping)",
        redirect_to("http://127.0.0.1:{port}/redirect-to-own-ip"),
    ),
    _page(
        "redirect-userinfo-trick",
        "302 to http://hostile.example@127.0.0.2 (the host is after the @)",
        redirect_to(f"http://{HOST}@127.0.0.2:{{trip}}/"),
    ),
    _page("redirect-to-file", "302 to file:///etc/passwd", redirect_to("file:///etc/passwd")),
    _page(
        "redirect-second-hop",
        "a good first hop to another host, then 307 to 127.0.0.3",
        second_hop_private,
    ),
    _page(
        "meta-refresh-to-private",
        "meta refresh 0 to 127.0.0.3",
        meta_refresh("http://127.0.0.3:{trip}/meta"),
    ),
    _page(
        "meta-refresh-to-dns-loopback",
        "meta refresh 0 to vm (a name for loopback in /etc/hosts)",
        meta_refresh("http://vm:{trip}/meta"),
    ),
    _page(
        "js-redirect-to-metadata",
        "location.href to 169.254.169.254",
        js_redirect("location.href = 'http://{meta}/latest/meta-data/';"),
    ),
    _page(
        "js-redirect-to-dns-loopback",
        "location.replace to localhost",
        js_redirect("location.replace('http://localhost:{trip}/js');"),
    ),
    _page(
        "subresources-to-private",
        "iframes, images, scripts, styles, fetch, XHR, WebSocket, EventSource, beacons, "
        "preconnect, prefetch and a form post to loopback and metadata",
        subresources,
    ),
    _page("webrtc-to-private", "STUN/TURN servers on loopback (UDP and TCP)", webrtc),
    _page("service-worker", "a service worker that fetches loopback", service_worker),
    # size, encoding, protocol
    _page("body-50mb", "a 50 MiB body", body_50mb),
    _page("gzip-bomb", "1 GiB of zeros gzipped to 1 MiB", bomb("gzip", "gzip")),
    _page("deflate-bomb", "1 GiB of zeros deflated to 1 MiB", bomb("zlib", "deflate")),
    _page("infinite-chunked", "a chunked body that never ends", infinite_chunked),
    _page("content-length-short", "Content-Length 64, then 1 MiB", content_length_short),
    _page(
        "content-length-overstated",
        "Content-Length 10 MB, 1 kB sent, then hang-up",
        content_length_overstated,
    ),
    _page("conflicting-content-length", "two different Content-Lengths", conflicting_lengths),
    _page("slow-loris-headers", "headers one byte at a time, forever", slow_loris, slow=True),
    _page("trickle-body", "a body one byte at a time, forever", trickle_body, slow=True),
    _page("no-answer", "reads the request, never answers", no_answer, slow=True),
    _page("header-flood", "20,000 headers", header_flood),
    _page("huge-header", "one 1 MiB header", huge_header),
    _page("not-http", "an SSH banner and random bytes instead of HTTP", not_http),
    _page("nul-bytes", "NUL bytes in tags, text, attributes and hrefs", nul_bytes),
    _page("huge-single-line", "4 MiB on one line without a space", huge_single_line),
    _page("wrong-charset", "header says UTF-16, meta says Shift_JIS, body is UTF-8", wrong_charset),
    _page("unknown-charset", "a UTF-16 BOM before ASCII, unknown charset labels", unknown_charset),
    _page("invalid-utf8", "overlong forms, surrogates, truncated sequences", invalid_utf8),
    _page("many-links-100k", "100,000 links on a page", many_links),
    _page(
        "form-bomb",
        "a thousand unclosed forms and inputs (a naive form pattern turns cubic)",
        form_bomb,
    ),
    _page("deep-dom-50k", "50,000 nested elements", deep_dom),
    _page("malformed-hrefs", "broken, private, scripted and 10 kB hrefs", malformed),
    _page("long-url", "links to 10 kB and 100 kB URLs", long_url),
    _page("idn-abuse", "homograph, invalid punycode, look-alike dots", idn),
    _page("regex-bomb", "unclosed tags that make naive regexes quadratic", regex_bomb),
    # scripts
    _page(
        "js-loop-after-load",
        "a script that spins forever once the page has loaded",
        script_page("Spin", LOOP_AFTER_LOAD),
    ),
    _page(
        "js-loop-before-load", "a script that spins before load", script_page("Spin", "for(;;){}")
    ),
    _page(
        "dialog-storm",
        "alert, confirm and prompt, 30 times over",
        script_page(
            "Dialogs",
            "let said=[];for(let i=0;i<30;i++){alert(i);said.push(confirm(i),prompt(i))}"
            "document.title='answers: '+[...new Set(said.map(String))].join(' ')",
        ),
    ),
    _page(
        "popup-flood",
        "window.open 200 times, and target=_blank clicks",
        script_page(
            "Popups",
            "let opened=0;for(let i=0;i<200;i++){if(window.open('/popup-flood/'+i))opened++}"
            "for(let i=0;i<20;i++){const a=document.createElement('a');a.href='/popup-flood/x'+i;"
            "a.target='_blank';document.body.appendChild(a);a.click()}"
            "document.title='windows opened: '+opened",
        ),
    ),
    _page("download-attachment", "Content-Disposition: attachment", download_attachment),
    _page(
        "download-by-script",
        "a script that starts blob and data: downloads",
        script_page(
            "Downloads",
            "for(let i=0;i<10;i++){const a=document.createElement('a');"
            "a.href=URL.createObjectURL(new Blob(['x'.repeat(1e6)]));a.download='f'+i+'.bin';"
            "document.body.appendChild(a);a.click()}",
        ),
    ),
    _page(
        "document-write-loop",
        "document.write 100,000 times, with links and private iframes",
        script_page(
            "Writes",
            "for(let i=0;i<100000;i++){document.write('<a href=/w'+i+'>w</a>')}"
            "document.write(\"<iframe src='http://127.0.0.2:{trip}/written'></iframe>\")",
        ),
    ),
    _page(
        "beforeunload-trap",
        "onbeforeunload holds the page, which keeps navigating to itself",
        script_page(
            "Trap",
            "onbeforeunload=e=>{e.preventDefault();return e.returnValue='stay'};"
            "setInterval(()=>{location.href=location.href},20)",
        ),
    ),
    _page(
        "history-flood",
        "100,000 pushState calls and hash changes",
        script_page(
            "History",
            "for(let i=0;i<100000;i++){history.pushState({},'','#'+i)}location.hash='end'",
        ),
    ),
    _page(
        "worker-loops",
        "Web Workers spinning forever",
        script_page(
            "Workers",
            "for(let i=0;i<4;i++){new Worker(URL.createObjectURL("
            "new Blob(['for(;;){}'],{type:'text/javascript'})))}",
        ),
    ),
    _page(
        "links-to-everything",
        "an on-topic resource page linking to every hostile page, refused address and bad URL",
        links_to_everything,
        host=LINKS_HOST,
    ),
    # robots.txt on hosts of their own
    _page(
        "robots-redirect-private",
        "robots.txt redirects to 127.0.0.2",
        plain("Robots redirect"),
        host=f"robots-redirect-private.{HOST}",
        robots=robots_redirect_private,
    ),
    _page(
        "robots-gzip-bomb",
        "robots.txt is a 1 GiB gzip bomb",
        plain("Robots bomb"),
        host=f"robots-gzip-bomb.{HOST}",
        robots=robots_bomb,
    ),
    _page(
        "robots-huge",
        "a 700 kB robots.txt of 40,000 wildcard rules",
        plain("Robots huge"),
        host=f"robots-huge.{HOST}",
        robots=robots_huge,
    ),
]
