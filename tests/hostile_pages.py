"""Responders of the hostile web's pages: redirects into refused addresses, bodies too big or
never ending, lying or flooded headers, broken encodings and markup (catalogue:
tests/hostile_catalogue.py)."""

from __future__ import annotations

import asyncio
import functools
import random
import struct
import zlib

from tests.hostile_web import (
    HOST,
    METADATA,
    Conn,
    HostileWeb,
    Request,
    Responder,
)

GIB = 1 << 30
TEXT = "Plain words for a page that is here to be read. " * 8


def html(title: str, body: str = "", head: str = "", text: str = TEXT) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body><h1>{title}</h1><p>{text}</p>{body}</body></html>"
    ).encode()


def trip(web: HostileWeb, address: str = "127.0.0.2", path: str = "/") -> str:
    return web.trip_url(address, path)


# -- redirects and the network guard -------------------------------------------------------


def redirect_to(where: str) -> Responder:
    """A responder: 302 to ``where`` ({trip} = the tripwire port, {port} = this server's)."""

    async def respond(request: Request, conn: Conn) -> None:
        target = where.format(trip=conn.web.trip_port, port=conn.web.port, meta=METADATA)
        raw = b"Location: " + target.encode("utf-8")  # raw UTF-8, as some servers send it
        await conn.head(302, ("Content-Length", "0"), ("Connection", "close"), raw)

    return respond


async def redirect_loop(request: Request, conn: Conn) -> None:
    there = "/redirect-loop/b" if request.path == "/redirect-loop" else "/redirect-loop"
    await conn.respond(302, b"", ("Location", there))


async def redirect_chain(request: Request, conn: Conn) -> None:
    step = int(request.path.rsplit("/", 1)[-1]) if request.path.count("/") > 1 else 0
    if step >= 25:
        await conn.respond(200, html("End of a 25-hop chain"))
    else:
        await conn.respond(301, b"", ("Location", f"/redirect-chain-25/{step + 1}"))


async def redirect_without_location(request: Request, conn: Conn) -> None:
    await conn.respond(302, html("Moved somewhere"))


async def second_hop_private(request: Request, conn: Conn) -> None:
    if request.host == HOST:
        await conn.respond(302, b"", ("Location", f"http://www.{HOST}/redirect-second-hop/2"))
    else:
        await conn.respond(307, b"", ("Location", trip(conn.web, "127.0.0.3", "/second-hop")))


def meta_refresh(where: str) -> Responder:
    async def respond(request: Request, conn: Conn) -> None:
        target = where.format(trip=conn.web.trip_port)
        head = f"<meta http-equiv='refresh' content='0; url={target}'>"
        await conn.respond(200, html("Refreshing", head=head, text="One moment."))

    return respond


def js_redirect(script: str) -> Responder:
    async def respond(request: Request, conn: Conn) -> None:
        code = script.format(trip=conn.web.trip_port, meta=METADATA)
        await conn.respond(200, html("Moving", f"<script>{code}</script>", text="Moving on."))

    return respond


async def subresources(request: Request, conn: Conn) -> None:
    port = conn.web.trip_port
    spots = [
        f"127.0.0.2:{port}",
        f"127.0.0.3:{port}",
        f"[::1]:{port}",
        f"localhost:{port}",
        f"0.0.0.0:{port}",
        f"vm:{port}",
        METADATA,
    ]
    tags = []
    for i, spot in enumerate(spots):
        tags += [
            f"<iframe src='http://{spot}/frame{i}'></iframe>",
            f"<img src='http://{spot}/img{i}.png'>",
            f"<script src='http://{spot}/s{i}.js'></script>",
            f"<link rel=stylesheet href='http://{spot}/c{i}.css'>",
            f"<link rel=preconnect href='http://{spot}'>",
            f"<link rel=dns-prefetch href='//{spot}'>",
            f"<link rel=prefetch href='http://{spot}/p{i}'>",
            f"<link rel=icon href='http://{spot}/favicon{i}.ico'>",
            f"<object data='http://{spot}/o{i}'></object>",
            f"<video src='http://{spot}/v{i}.mp4'></video>",
            f"<audio src='http://{spot}/a{i}.mp3'></audio>",
        ]
    calls = "".join(
        f"try{{fetch('http://{s}/fetch',{{mode:'no-cors'}}).catch(()=>0)}}catch(e){{}}"
        f"try{{const x=new XMLHttpRequest();x.open('GET','http://{s}/xhr');x.send()}}catch(e){{}}"
        f"try{{new WebSocket('ws://{s}/ws')}}catch(e){{}}"
        f"try{{new EventSource('http://{s}/events')}}catch(e){{}}"
        f"try{{navigator.sendBeacon('http://{s}/beacon','x')}}catch(e){{}}"
        for s in spots
    )
    style = f"<style>@import url('http://127.0.0.2:{port}/imp.css');body{{background:url('http://127.0.0.3:{port}/bg.png')}}</style>"
    form = (
        f"<form id=f method=post action='http://127.0.0.2:{port}/form' target=sink>"
        "<input name=a value=b></form><iframe name=sink></iframe>"
        "<script>document.getElementById('f').submit()</script>"
    )
    body = "".join(tags) + style + form + f"<script>{calls}</script>"
    await conn.respond(200, html("Subresources", body, text="Tiny."))


async def webrtc(request: Request, conn: Conn) -> None:
    port = conn.web.trip_port
    servers = [
        f"stun:127.0.0.2:{port}",
        f"stun:[::1]:{port}",
        f"turn:127.0.0.3:{port}?transport=udp",
        f"turn:127.0.0.3:{port}?transport=tcp",
        f"stun:localhost:{port}",
    ]
    urls = repr(servers).replace("'", '"')
    script = (
        f"const pc=new RTCPeerConnection({{iceServers:[{{urls:{urls},username:'u',"
        "credential:'c'}]});pc.createDataChannel('x');"
        "pc.createOffer().then(o=>pc.setLocalDescription(o));"
    )
    await conn.respond(200, html("WebRTC", f"<script>{script}</script>", text="Call."))


async def service_worker(request: Request, conn: Conn) -> None:
    if request.path.endswith("/sw.js"):
        port = conn.web.trip_port
        body = (
            f"self.addEventListener('install',()=>{{fetch('http://127.0.0.2:{port}/sw-install')}});"
            f"self.addEventListener('fetch',e=>e.respondWith(fetch('http://127.0.0.3:{port}/sw')));"
        ).encode()
        await conn.respond(200, body, content_type="application/javascript")
        return
    script = "navigator.serviceWorker&&navigator.serviceWorker.register('/service-worker/sw.js')"
    await conn.respond(200, html("Worker", f"<script>{script}</script>", text="Sw."))


# -- size, encoding and protocol -----------------------------------------------------------


async def body_50mb(request: Request, conn: Conn) -> None:
    size = 50 << 20
    chunk = (b"<p>" + b"fifty megabytes of words " * 2620 + b"</p>\n")[: 1 << 16]
    await conn.head(200, ("Content-Type", "text/html"), ("Content-Length", str(size)))
    if request.method == "HEAD":
        return
    for _ in range(size // len(chunk)):
        await conn.write(chunk)


@functools.cache
def deflate_bomb(total: int, container: str) -> bytes:
    """``total`` bytes of zeros after a little HTML, deflated to about total/1000 bytes.

    Built from one compressed megabyte repeated (a full flush makes each block identical),
    wrapped as gzip or zlib with a correct trailer."""
    prefix = b"<!DOCTYPE html><title>Bomb</title><p>"
    block = b"\0" * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    unit = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    count = total >> 20
    stream = start + unit * count + b"\x03\x00"  # an empty final block
    crc, adler = zlib.crc32(prefix), zlib.adler32(prefix)
    for _ in range(count):
        crc, adler = zlib.crc32(block, crc), zlib.adler32(block, adler)
    size = (len(prefix) + count * len(block)) & 0xFFFFFFFF
    if container == "gzip":
        return b"\x1f\x8b\x08\0\0\0\0\0\x02\xff" + stream + struct.pack("<II", crc, size)
    return b"\x78\xda" + stream + struct.pack(">I", adler)


def bomb(container: str, encoding: str) -> Responder:
    async def respond(request: Request, conn: Conn) -> None:
        data = deflate_bomb(GIB, container)
        await conn.respond(200, data, ("Content-Encoding", encoding))

    return respond


async def infinite_chunked(request: Request, conn: Conn) -> None:
    await conn.head(200, ("Content-Type", "text/html"), ("Transfer-Encoding", "chunked"))
    chunk = b"<p>" + b"never ending " * 5000 + b"</p>"
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    for _ in range((4 * GIB) // len(chunk)):
        await conn.write(frame)


async def content_length_short(request: Request, conn: Conn) -> None:
    body = html("Short") + b"<p>" + b"x" * (1 << 20)
    await conn.head(200, ("Content-Type", "text/html"), ("Content-Length", "64"))
    await conn.write(body)


async def content_length_overstated(request: Request, conn: Conn) -> None:
    await conn.head(200, ("Content-Type", "text/html"), ("Content-Length", "10000000"))
    await conn.write(html("Overstated"))


async def conflicting_lengths(request: Request, conn: Conn) -> None:
    await conn.head(200, ("Content-Length", "10"), ("Content-Length", "5000"))
    await conn.write(html("Which length?"))


async def slow_loris(request: Request, conn: Conn) -> None:
    await conn.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: ")
    while True:
        await asyncio.sleep(0.3)
        await conn.write(b"a")


async def trickle_body(request: Request, conn: Conn) -> None:
    await conn.head(200, ("Content-Type", "text/html"), ("Content-Length", "100000"))
    await conn.write(b"<!DOCTYPE html><title>Trickle</title><p>")
    while True:
        await asyncio.sleep(0.2)
        await conn.write(b"a")


async def no_answer(request: Request, conn: Conn) -> None:
    await asyncio.sleep(3600)


async def header_flood(request: Request, conn: Conn) -> None:
    flood = [f"X-Flood-{i}: {i}".encode() for i in range(20000)]
    await conn.head(200, ("Content-Type", "text/html"), ("Content-Length", "5"), *flood)
    await conn.write(b"flood")


async def huge_header(request: Request, conn: Conn) -> None:
    await conn.head(200, ("Content-Length", "4"), b"X-Big: " + b"b" * (1 << 20))
    await conn.write(b"huge")


async def not_http(request: Request, conn: Conn) -> None:
    # Fixed bytes with a blank line among them: an HTTP client reads up to the first blank
    # line before judging the status line, so random bytes made the outcome depend on whether
    # they happened to hold one ("not HTTP") or not ("hung up before answering").
    binary = random.Random(22).randbytes(1 << 16)
    await conn.write(b"SSH-2.0-OpenSSH_9.6\r\n" + binary[:4096] + b"\r\n\r\n" + binary[4096:])


async def nul_bytes(request: Request, conn: Conn) -> None:
    body = (
        b"<!DOCTYPE html><ti\0tle>N\0ul</title><body><h1>\0\0Nul</h1>"
        b"<a hr\0ef='/x\0y'>li\0nk</a><a href='http://127.0.0.2\0.hostile.example/'>z</a>"
        b"<p>" + b"\0" * 5000 + b"text\0</p><script>var a='\0';</script></body>"
    )
    await conn.respond(200, body)


async def huge_single_line(request: Request, conn: Conn) -> None:
    word = b"x" * (4 << 20)
    body = b"<!DOCTYPE html><title>One line</title><p>" + word + b"<a href=/end>end</a></p>"
    await conn.respond(200, body)


async def wrong_charset(request: Request, conn: Conn) -> None:
    body = (
        b"<!DOCTYPE html><meta charset=shift_jis><title>Caf\xc3\xa9 \x82\xa0</title>"
        b"<p>Na\xc3\xafve \xe2\x82\xac \xff\xfe</p><a href='/caf\xc3\xa9'>caf\xc3\xa9</a>"
    )
    await conn.respond(200, body, content_type="text/html; charset=utf-16")


async def unknown_charset(request: Request, conn: Conn) -> None:
    body = (
        b"\xff\xfe<!DOCTYPE html><meta charset='../../etc/passwd'><title>BOM lies</title>"
        b"<p>+ADw-script+AD4-alert(1)+ADw-/script+AD4-</p><a href=/x>x</a>"
    )
    await conn.respond(200, body, content_type="text/html; charset=x-evil-9")


async def invalid_utf8(request: Request, conn: Conn) -> None:
    bad = b"\xc0\xaf \xed\xa0\x80 \xf8\x88\x80\x80\x80 \xf4\x90\x80\x80 \xe2\x82 \xff \x80"
    body = (
        b"<!DOCTYPE html><meta charset=utf-8><title>" + bad + b"</title><h1>" + bad + b"</h1>"
        b"<a href='/p" + bad + b"'>" + bad + b"</a><p>" + bad * 2000 + b"</p>"
    )
    await conn.respond(200, body)


async def many_links(request: Request, conn: Conn) -> None:
    if request.path != "/many-links-100k":
        await conn.respond(200, html("One of many"))
        return
    links = "".join(f"<li><a href=l{i}>{i}</a>\n" for i in range(100_000))
    private = f"<a href='{trip(conn.web)}'>private</a>"
    await conn.respond(200, html("Links", f"<ul>{links}</ul>{private}", text="Many links."))


async def deep_dom(request: Request, conn: Conn) -> None:
    depth = 50_000
    link = f"<a href='{trip(conn.web, '127.0.0.3')}'>deep</a><a href=/deep/ok>ok</a>"
    body = "<div>" * depth + link + "</div>" * depth
    await conn.respond(200, html("Deep", body, text="Deep."))


def malformed_hrefs(web: HostileWeb) -> dict[str, str]:
    """Broken, scripted, private and over-long hrefs, labelled (every host is either mapped,
    refused, or invalid before any lookup: none of them may reach a real DNS server)."""
    port = web.trip_port
    return {
        "unclosed-ipv6": "http://[::1",
        "percent-host": "http://%zz/",
        "percent-encoded-ip": "http://%31%32%37.0.0.1/",
        "javascript": "javascript:alert(document.domain)",
        "data": "data:text/html,<script>alert(1)</script>",
        "file": "file:///etc/passwd",
        "overlong-label": "http://" + "a" * 300 + ".example/",
        "10kb-path": f"http://{HOST}/" + "long/" * 2048,
        "bad-punycode": "http://xn--a.example/",
        "idn-localhost": f"http://ⓛocalhost:{port}/",
        "fullwidth-ip": f"http://１２７.０.０.１:{port}/",
        "tab-in-host": "http://hostile.exa\tmple/",
        "space-in-host": "http://a b.example/",
        "link-local-zone": "http://[fe80::1%25eth0]/",
        "port-out-of-range": f"http://{HOST}:99999/",
        "negative-port": f"http://{HOST}:-1/",
        "no-host": "http:///nohost",
        "backslashes": "http:\\\\127.0.0.2\\x",
        "scheme-relative": f"//127.0.0.2:{port}/scheme-relative",
        "userinfo": f"http://{HOST}@127.0.0.3:{port}/userinfo",
        "fragment-at": f"http://127.0.0.2:{port}#@{HOST}/",
        "backslash-at": f"http://{HOST}\\@127.0.0.2:{port}/",
        "leading-nul": "\x00http://127.0.0.2/",
        "ipv4-mapped-metadata": "http://[::ffff:a9fe:a9fe]/",
        "metadata-trailing-dot": f"http://{METADATA}./",
    }


async def malformed(request: Request, conn: Conn) -> None:
    hrefs = malformed_hrefs(conn.web).values()
    links = "".join(f'<a href="{h}">bad {i}</a>' for i, h in enumerate(hrefs))
    await conn.respond(200, html("Malformed", f"<base href='http://[::1'>{links}"))


async def long_url(request: Request, conn: Conn) -> None:
    if request.path.startswith("/long-url/"):
        await conn.respond(200, html(f"Long ({len(request.target)} chars)"))
        return
    ten_kb = "/long-url/" + "a" * 10_000
    hundred_kb = "/long-url/" + "b" * 100_000
    body = f"<a href='{ten_kb}'>10 kB</a><a href='{hundred_kb}'>100 kB</a>"
    await conn.respond(200, html("Long URLs", body))


async def idn(request: Request, conn: Conn) -> None:
    hosts = [
        f"xn--80ak6aa92e.{HOST}",  # Cyrillic homograph, a valid name under the mapping
        f"xn--zz-.{HOST}",
        f"аррӏе.{HOST}",
        f"evil\u3002{HOST}",
        "ⓗⓞⓢⓣⓘⓛⓔ.example",
        "xn--" + "a" * 70 + ".example",
        f"www.{HOST}\u200b",
    ]
    body = "".join(f"<a href='http://{h}/idn'>{h}</a>" for h in hosts)
    await conn.respond(200, html("IDN", body))


async def regex_bomb(request: Request, conn: Conn) -> None:
    """Markup that makes naive backtracking regexes quadratic (unclosed tags by the
    ten thousand)."""
    body = (
        "<meta " * 12_000
        + "<script>" * 8_000
        + "<title>" * 8_000
        + "<h1>" * 8_000
        + "<a<a" * 10_000
        + "<!--" * 5_000
    )
    await conn.respond(200, f"<!DOCTYPE html><p>{TEXT}</p>{body}".encode())
