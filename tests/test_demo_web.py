"""The local multi-host web: its world, its ground truth, and its server over real sockets."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import html
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import pytest

from prospector.demo.family import BenchFamily
from prospector.demo.model import PAGE_KINDS
from prospector.demo.oracle import TAXONOMY
from prospector.demo.server import DemoWeb
from prospector.demo.world import World, default_world
from tests.demo_helpers import Client, Resp

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SLOW_HOSTS = {"slowsoil.example"}


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWeb]:
    with DemoWeb(cert_dir=tmp_path_factory.mktemp("demo-web-ca")) as server:
        yield server


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return default_world().truth()


@pytest.fixture
def client(web: DemoWeb) -> Iterator[Client]:
    c = Client(web.port, str(web.ca_pem_path))
    yield c
    c.close()


def get(web: DemoWeb, url: str, method: str = "GET", **kw: Any) -> Resp:
    c = Client(web.port, str(web.ca_pem_path), verify=kw.pop("verify", True))
    try:
        return c.request(url, method, **kw)
    finally:
        c.close()


def all_links(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return [link for page in truth["pages"] for link in page["links"]]


# --- the world and its truth -------------------------------------------------------------------


def test_world_is_big_enough(truth: dict[str, Any]) -> None:
    summary = truth["summary"]
    assert summary["sites"] >= 50 and len(truth["sites"]) == summary["sites"]
    assert summary["pages"] >= 500 and len(truth["pages"]) == summary["pages"]
    kinds = set(summary["page_kinds"])
    assert kinds >= set(PAGE_KINDS)


def test_world_is_deterministic(truth: dict[str, Any]) -> None:
    again = World.build().truth()
    dumped = json.dumps(truth, sort_keys=True)
    assert json.dumps(again, sort_keys=True) == dumped
    # ... and across processes with another hash seed (no set-ordering leaks).
    code = (
        "import hashlib, json; from prospector.demo.world import World; "
        "print(hashlib.sha256(json.dumps(World.build().truth(), sort_keys=True).encode())"
        ".hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(Path(__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == hashlib.sha256(dumped.encode()).hexdigest()


def test_truth_uses_the_design_taxonomy(truth: dict[str, Any]) -> None:
    links = all_links(truth)
    for link in links:
        assert link["expected_status"] in TAXONOMY[link["expected_verdict"]], link
    statuses = {link["expected_status"] for link in links}
    every = {s for group in TAXONOMY.values() for s in group}
    assert statuses == every, every - statuses
    assert (
        truth["shared_analytics"]["G-PBN12345"]
        and len(truth["shared_analytics"]["G-PBN12345"]) >= 3
    )
    assert set(truth["dead_hosts"]["nxdomain"]) and truth["dead_hosts"]["refused"]


EXPECTED = {
    "https://gardenersforum.example/t/hot-bin-temperatures": ("inconclusive", "blocked"),
    "https://plantclinic.example/diagnose/compost-flies": ("inconclusive", "blocked"),
    "https://linkedgarden.example/in/urban-composting-network": ("inconclusive", "blocked"),
    "https://seedswap.example/swaps": ("inconclusive", "rate_limited"),
    "https://growbag-market.example/guides/growbags": ("inconclusive", "rate_limited"),
    "https://compostclubarchive.example/guides/hot-composting-18-days": ("dead", "dead_domain"),
    "https://urbanplot.example/guides/balcony-worm-farm.html": ("dead", "soft_404"),
    "https://allotmentdiaries.example/2015/why-does-my-compost-smell/": ("dead", "soft_404"),
    "https://rootsandshoots.example/blog/leaf-mould-in-bin-bags/": ("dead", "soft_404"),
    "https://oldcompostclub.example/resources/compost-calculator": ("dead", "parked"),
    "https://oldgardenmag.example/to-parked": ("dead", "parked"),
    "https://growmore.example/raised-bed-kits": ("dead", "parked"),
    "https://oldgardenmag.example/broken-redirect": ("inconclusive", "server_error"),
    "https://oldgardenmag.example/members/composting-masterclass": ("inconclusive", "blocked"),
    "https://oldgardenmag.example/premium/soil-atlas": ("inconclusive", "auth_required"),
    "https://oldgardenmag.example/moved/worm-tea": ("dead", "not_found"),
    "https://oldgardenmag.example/js/compost-activators": ("dead", "not_found"),
    "https://oldgardenmag.example/moved/leaf-bins": ("live", "redirected"),
    "https://oldgardenmag.example/js/bokashi-bran": ("live", "redirected"),
    "https://oldgardenmag.example/chain/start": ("live", "redirected"),
    "https://oldgardenmag.example/loop/a": ("dead", "redirect_loop"),
    "https://oldgardenmag.example/archive/hop-0": ("dead", "redirect_loop"),
    "https://oldgardenmag.example/articles/worm-composting-basics": ("dead", "not_found"),
    "https://oldgardenmag.example/error/soil-test": ("inconclusive", "server_error"),
    "https://oldgardenmag.example/maintenance": ("inconclusive", "server_error"),
    "https://oldgardenmag.example/empty": ("live", "ok"),
    "https://oldgardenmag.example/out/metadata": ("skipped", "forbidden_address"),
    "http://10.0.0.5/garden-cam/": ("skipped", "forbidden_address"),
    "http://[compost]/bins": ("skipped", "invalid"),
    "https://compostcalc.example/calculator": ("dead", "tls_error"),
    "https://greenroofs.example/": ("dead", "tls_error"),
    "https://beekeepersnotes.example/pollinator-plants/": ("dead", "tls_error"),
    "http://closedgate-gardens.example/": ("inconclusive", "connection_error"),
    "https://hangingbasket.example/summer-baskets": ("inconclusive", "timeout"),
    "https://tricklefeed.example/liquid-feeds": ("inconclusive", "timeout"),
    "https://quickcompost.example/tips/turning-your-heap": ("dead", "not_found"),
    "https://mulchmatters.example/": ("live", "ok"),
    "https://slowsoil.example/articles/clay-soil": ("live", "ok"),
    "https://no-dig-notes.example/posts/page-not-found-where-our-old-posts-went.html": (
        "live",
        "ok",
    ),
    "https://www.compostcorner.example/": ("live", "redirected"),
    "http://thegreenheap.example/": ("live", "redirected"),
}


def test_named_cases_have_the_documented_verdicts(truth: dict[str, Any]) -> None:
    listed = {link["href"]: link for link in all_links(truth)}
    world = default_world()
    for url, (verdict, status) in EXPECTED.items():
        assert url in listed, f"{url} is on no page"
        got = (listed[url]["expected_verdict"], listed[url]["expected_status"])
        assert got == (verdict, status), (url, got, listed[url]["reason"])
        assert world.expect(url).status == status


def test_opportunities_cover_every_target_page(truth: dict[str, Any]) -> None:
    targets = {t["url"] for t in truth["ours"]["targets"]}
    found = {o["target"] for o in truth["opportunities"]}
    assert found == targets
    for opp in truth["opportunities"]:
        assert opp["expected_status"] in TAXONOMY["dead"]
    assert any(o["page_kind"] == "resource_page" for o in truth["opportunities"])
    assert truth["links_to_ours"], "some pages already link to our site (verification)"
    assert any(not link["visible"] for link in truth["links_to_ours"])


def test_syndicated_copies_are_described(truth: dict[str, Any]) -> None:
    copies = {p["syndication"]["mode"]: p for p in truth["pages"] if p["kind"] == "syndicated"}
    assert set(copies) == {"canonical", "noindex", "bare", "self_canonical"}
    assert copies["canonical"]["canonical"] == copies["canonical"]["syndication"]["original"]
    assert copies["noindex"]["noindex"] and copies["noindex"]["canonical"] is None
    assert copies["bare"]["canonical"] is None and not copies["bare"]["syndication"]["attribution"]
    assert copies["self_canonical"]["canonical"] == copies["self_canonical"]["url"]


# --- the server ----------------------------------------------------------------------------------


def test_http_and_https_share_one_port_with_sni(web: DemoWeb, client: Client) -> None:
    plain = client.request("http://compostcorner.example/")
    secure = client.request("https://compostcorner.example/")
    assert plain.status == secure.status == 200
    assert plain.body == secure.body and b"Compost Corner" in secure.body
    with (
        socket.create_connection(("127.0.0.1", web.port)) as raw,
        web.ssl_context().wrap_socket(raw, server_hostname="blog.gardenhaven.example") as tls,
    ):
        cert = tls.getpeercert()
        assert cert is not None
        sans = cast("tuple[tuple[str, str], ...]", cert.get("subjectAltName", ()))
        names = [v for k, v in sans if k == "DNS"]
        assert "blog.gardenhaven.example" in names and "soilsmith.example" in names
    assert {h.scheme for h in web.hits if h.host == "compostcorner.example"} >= {"http", "https"}


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("compostcalc.example", "expired"),
        ("greenroofs.example", "match"),
        ("beekeepersnotes.example", "self.signed"),
    ],
)
def test_bad_certificates_fail_verification(web: DemoWeb, host: str, message: str) -> None:
    with (
        socket.create_connection(("127.0.0.1", web.port)) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match=message),
    ):
        web.ssl_context().wrap_socket(raw, server_hostname=host)
    # The same host still answers when verification is off.
    assert get(web, f"https://{host}/", verify=False).status == 200


def test_walls_limits_and_errors_answer_as_documented(web: DemoWeb, client: Client) -> None:
    wall = client.request("https://gardenersforum.example/t/hot-bin-temperatures")
    assert wall.status == 403 and wall.headers["cf-mitigated"] == "challenge"
    assert b"Just a moment..." in wall.body
    assert client.request("https://plantclinic.example/").status == 503
    assert client.request("https://linkedgarden.example/in/x").status == 999
    limited = client.request("https://seedswap.example/swaps")
    assert limited.status == 429 and limited.headers["retry-after"] == "120"
    dated = client.request("https://growbag-market.example/")
    assert dated.status == 429 and email.utils.parsedate_to_datetime(dated.headers["retry-after"])
    assert (
        client.request("https://oldgardenmag.example/articles/worm-composting-basics").status == 410
    )
    assert client.request("https://oldgardenmag.example/error/soil-test").status == 500
    assert client.request("https://oldgardenmag.example/maintenance").status == 503
    assert client.request("https://oldgardenmag.example/premium/soil-atlas").status == 401
    assert client.request("https://compostcorner.example/no/such/page").status == 404
    assert client.request("https://oldgardenmag.example/empty").body == b""


def test_soft_404s_and_redirect_to_home(web: DemoWeb, client: Client) -> None:
    soft = client.request("https://allotmentdiaries.example/2015/why-does-my-compost-smell/")
    assert soft.status == 200 and b"Oops, nothing here" in soft.body
    one = client.request("https://rootsandshoots.example/x7d9q-random")
    two = client.request("https://rootsandshoots.example/another/random/path")
    assert one.status == two.status == 200 and one.body == two.body
    assert b"not found" not in one.body.lower()
    home = client.request("https://urbanplot.example/guides/balcony-worm-farm.html")
    assert home.status == 301 and home.headers["location"] == "/"
    mention = client.request(
        "https://no-dig-notes.example/posts/page-not-found-where-our-old-posts-went.html"
    )
    assert mention.status == 200 and b"page not found" in mention.body
    assert client.request("https://no-dig-notes.example/zz-random-probe").status == 404


def test_redirects(web: DemoWeb, client: Client) -> None:
    url, hops = "https://oldgardenmag.example/chain/start", 0
    while (r := client.request(url)).status in (301, 302, 307):
        url, hops = urljoin(url, r.headers["location"]), hops + 1
    assert (hops, r.status) == (3, 200)
    loop = client.request("https://oldgardenmag.example/loop/a")
    assert (
        client.request(urljoin("https://oldgardenmag.example/", loop.headers["location"])).headers[
            "location"
        ]
        == "/loop/a"
    )
    url, hops = "https://oldgardenmag.example/archive/hop-0", 0
    while (r := client.request(url)).status == 301 and hops < 30:
        url, hops = urljoin(url, r.headers["location"]), hops + 1
    assert hops > 20 and r.status == 200
    broken = client.request("https://oldgardenmag.example/broken-redirect")
    assert broken.status == 302 and "location" not in broken.headers
    login = client.request("https://oldgardenmag.example/members/composting-masterclass")
    assert login.status == 302 and login.headers["location"].startswith("/login")
    meta = client.request("https://oldgardenmag.example/moved/leaf-bins")
    assert b'http-equiv="refresh"' in meta.body
    assert (
        b"location.replace" in client.request("https://oldgardenmag.example/js/bokashi-bran").body
    )
    parked = client.request("https://growmore.example/raised-bed-kits")
    assert parked.headers["location"] == "http://oldcompostclub.example/"
    assert b"for sale" in client.request("http://oldcompostclub.example/any/path").body
    www = client.request("https://www.compostcorner.example/a?b=c")
    assert www.headers["location"] == "https://compostcorner.example/a?b=c"


def test_head_quirks_gzip_and_headers(web: DemoWeb, client: Client) -> None:
    assert client.request("https://mulchmatters.example/", "HEAD").status == 405
    assert client.request("https://mulchmatters.example/").status == 200
    assert client.request("https://quickcompost.example/tips/x", "HEAD").status == 200
    assert client.request("https://quickcompost.example/tips/x").status == 404
    zipped = client.request("https://mulchmatters.example/", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert b"Mulch Matters" in gzip.decompress(zipped.body)
    head = client.request("https://compostcorner.example/", "HEAD")
    assert head.body == b"" and int(head.headers["content-length"]) > 1000
    page = next(
        p for p in default_world().site("humushq.example").pages.values() if p.kind == "article"
    )
    art = client.request(f"https://humushq.example{page.path}")
    assert 'rel="canonical"' in art.headers["link"]
    assert (
        "noindex" in client.request("https://humushq.example/tag/bokashi").headers["x-robots-tag"]
    )
    robots = client.request("https://wormwhisperer.example/robots.txt").body.decode()
    assert "Sitemap: https://wormwhisperer.example/sitemap.xml.gz" in robots
    sitemap = client.request("https://wormwhisperer.example/sitemap.xml.gz").body
    assert b"<urlset" in gzip.decompress(sitemap)
    assert b"<sitemapindex" in client.request("https://compostcorner.example/sitemap.xml").body
    assert client.request("https://seedandspade.example/robots.txt").body.startswith(
        b"User-agent: Prospector\nDisallow: /"
    )


def test_slow_trickle_and_hang(web: DemoWeb) -> None:
    slow = get(web, "https://slowsoil.example/articles/clay-soil")
    assert slow.status == 200 and slow.elapsed >= default_world().slow_delay_s
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as sock:
        sock.sendall(b"GET /liquid-feeds HTTP/1.1\r\nHost: tricklefeed.example\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 200")
        start = time.monotonic()
        got = head.split(b"\r\n\r\n", 1)[1]
        while len(got) < 2:
            got += sock.recv(1)
        assert time.monotonic() - start >= 0.9
    with socket.create_connection(("127.0.0.1", web.port), timeout=0.5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: hangingbasket.example\r\n\r\n")
        with pytest.raises(TimeoutError):
            sock.recv(1)


def test_refused_host_refuses_and_resolve_map(web: DemoWeb) -> None:
    mapping = web.resolve_map()
    assert mapping["*.example"] == f"127.0.0.1:{web.port}"
    assert mapping["compostclubarchive.example"] == "NXDOMAIN"
    assert mapping["closedgate-gardens.example"] == f"127.0.0.1:{web.refused_port}"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", web.refused_port), timeout=2)
    assert web.base_url("soilsmith.example") == "https://soilsmith.example"


def test_hits_record_what_was_and_was_not_requested(web: DemoWeb, client: Client) -> None:
    web.clear_hits()
    client.request("https://backyardbiome.example/?probe=1")
    client.request("http://backyardbiome.example/robots.txt", "HEAD")
    hits = [(h.host, h.method, h.path, h.scheme) for h in web.hits]
    assert ("backyardbiome.example", "GET", "/?probe=1", "https") in hits
    assert ("backyardbiome.example", "HEAD", "/robots.txt", "http") in hits
    assert not any(h.path == "/never-requested" for h in web.hits)


def _walk(web: DemoWeb, urls: list[str], verify: bool = True) -> dict[str, Resp]:
    """GET each URL (no redirects followed); slow hosts in parallel, the rest on keep-alive."""
    slow = [u for u in urls if urlsplit(u).hostname in SLOW_HOSTS]
    rest = [u for u in urls if u not in slow]
    out: dict[str, Resp] = {}
    with ThreadPoolExecutor(max(1, len(slow))) as pool:
        futures = {u: pool.submit(get, web, u, verify=verify) for u in slow}
        c = Client(web.port, str(web.ca_pem_path), verify=verify)
        try:
            for url in rest:
                out[url] = c.request(url)
        finally:
            c.close()
        out.update({u: f.result() for u, f in futures.items()})
    return out


def test_every_ok_link_answers_200_and_not_found_links_fail(
    web: DemoWeb, truth: dict[str, Any]
) -> None:
    links = all_links(truth)
    ok = sorted({x["href"] for x in links if x["expected_status"] == "ok"})
    assert len(ok) > 500
    answers = _walk(web, ok)
    bad = {u: r.status for u, r in answers.items() if r.status != 200}
    assert not bad
    gone = sorted({x["final_url"] for x in links if x["expected_status"] == "not_found"})
    assert all(r.status in (404, 410) for r in _walk(web, gone).values())


def test_every_page_answers_its_expected_status(web: DemoWeb, truth: dict[str, Any]) -> None:
    sites = {s["host"]: s for s in truth["sites"]}
    pages = [
        p
        for p in truth["pages"]
        if p["http_status"] is not None and sites[p["host"]]["behaviour"] != "trickle"
    ]
    good = [p["url"] for p in pages if sites[p["host"]]["tls"] == "valid"]
    bad = [p["url"] for p in pages if sites[p["host"]]["tls"] != "valid"]
    answers = {**_walk(web, good), **_walk(web, bad, verify=False)}
    wrong = {
        p["url"]: (answers[p["url"]].status, p["http_status"])
        for p in pages
        if answers[p["url"]].status != p["http_status"]
    }
    assert not wrong
    trickle = next(p for p in truth["pages"] if p["host"] == "tricklefeed.example")
    assert get(web, trickle["url"], read_body=False).status == trickle["http_status"] == 200


def test_served_html_matches_the_truth(web: DemoWeb, truth: dict[str, Any], client: Client) -> None:
    contacts = [p for p in truth["pages"] if p["emails"]]
    assert {e["obfuscation"] for p in contacts for e in p["emails"]} == {
        "plain",
        "mailto",
        "at_dot",
        "paren_at",
        "entities",
        "js",
        "cfemail",
    }
    for page in contacts:
        body = client.request(page["url"]).body.decode()
        text = html.unescape(body)
        for mail in page["emails"]:
            user, domain = mail["address"].split("@")
            style = mail["obfuscation"]
            if style in ("plain", "entities"):
                assert mail["address"] in text
                assert (mail["address"] in body) == (style == "plain")
            elif style == "mailto":
                assert f'href="mailto:{mail["address"]}"' in body
            elif style == "at_dot":
                assert f"{user} [at] {' [dot] '.join(domain.split('.'))}" in body
            elif style == "paren_at":
                assert f"{user}(at){domain}" in body
            elif style == "js":
                assert mail["address"] not in body and f'var u="{user}",d="{domain}"' in body
            else:
                hexed = re.findall(r'data-cfemail="([0-9a-f]+)"', body)
                decoded = {
                    bytes(b ^ bytes.fromhex(h)[0] for b in bytes.fromhex(h)[1:]).decode()
                    for h in hexed
                }
                assert mail["address"] in decoded
    normal = {
        s["host"]
        for s in truth["sites"]
        if s["behaviour"] in ("normal", "head_405") and s["tls"] == "valid"
    }
    pages = [p for p in truth["pages"] if p["host"] in normal]
    sample = [p for p in pages if p["kind"] == "resource_page"]
    sample += [p for p in pages if p["kind"] in ("article", "link_farm", "spam")][::7]
    for page in sample:
        body = client.request(page["url"]).body.decode()
        for link in page["links"]:
            if not link["rendered_only"]:
                assert f'href="{html.escape(link["raw_href"])}"' in body, (page["url"], link)


@pytest.mark.browser
def test_chromium_trusts_the_ca_spki(web: DemoWeb) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium")

    def dump(url: str) -> str:
        with tempfile.TemporaryDirectory() as profile:
            out = subprocess.run(
                [
                    CHROMIUM,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    f"--user-data-dir={profile}",
                    f"--host-resolver-rules=MAP *.example 127.0.0.1:{web.port}",
                    f"--ignore-certificate-errors-spki-list={web.ca_spki_sha256_b64()}",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    "--disable-sync",
                    "--virtual-time-budget=5000",
                    "--dump-dom",
                    url,
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
        return out.stdout

    with ThreadPoolExecutor(3) as pool:
        home, spa, expired = pool.map(
            dump,
            [
                "https://soilsmith.example/",
                "https://gardenplanner-app.example/",
                "https://compostcalc.example/",
            ],
        )
    assert "Practical composting guides" in home
    assert "Useful guides" in spa and 'href="https://' in spa  # links exist only after JS
    assert "Compost Calculator" not in expired


def test_stop_is_quick_with_hanging_and_trickling_connections() -> None:
    web = DemoWeb(latency_ms=150).start()
    port = web.port
    socks = []
    for host, path in (("hangingbasket.example", "/"), ("tricklefeed.example", "/liquid-feeds")):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        socks.append(s)
    assert get(web, "https://soilsmith.example/").elapsed >= 0.15  # global latency
    time.sleep(0.3)
    start = time.monotonic()
    web.stop()
    assert time.monotonic() - start < 2.0
    assert not any(t.name == f"prospector-demo-web-{port}" for t in threading.enumerate())
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    for s in socks:
        s.close()


def test_synthetic_host_family_is_served_on_the_fly() -> None:
    world = World.build()
    family = BenchFamily(size=50)
    world.add_family(family)
    with DemoWeb(world) as web:
        r = get(web, "https://h7.bench.example/p/2")
        assert r.status == 200 and b"Bench article 7.2" in r.body
        for url in family.expected_links(7, 2):
            assert url.encode() in r.body
            assert get(web, url).status == 200
        assert get(web, "http://h99.bench.example/").status == 421
