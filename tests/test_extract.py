"""Extraction from raw HTML: synthetic fixtures per feature, then the demo web's ground truth."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest

from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.models import Link
from prospector.web.extract import Extraction, extract
from tests.demo_helpers import Client

PAGE = "https://blog.example/posts/page.html"
PROSE = (
    "Composting at home is easier than most people think, and it pays back quickly. "
    "Start with a bin in partial shade, add greens and browns in roughly equal measure, "
    "keep the heap as damp as a wrung-out sponge, and turn it every week or two. "
)


def article(body: str, *, chrome: bool = True, head: str = "") -> str:
    """A page with the usual chrome around an article holding ``body`` between prose."""
    top = (
        '<header class="site-header"><a class="logo" href="/">Blog</a>'
        '<nav class="main-nav"><a href="/about">About</a><a href="/archive">Archive</a></nav>'
        "</header>"
        if chrome
        else ""
    )
    side = (
        '<aside class="sidebar"><h2>Friends</h2><ul><li><a href="https://friend.example/">'
        "Friend</a></li></ul></aside>"
        if chrome
        else ""
    )
    foot = '<footer><a href="/privacy">Privacy</a></footer>' if chrome else ""
    return (
        f"<!DOCTYPE html><html><head><title>A post</title>{head}</head><body>{top}"
        f"<main><article><h1>A post</h1><p>{PROSE}</p>{body}<p>{PROSE}</p><p>{PROSE}</p>"
        f"</article></main>{side}{foot}</body></html>"
    )


def by_href(ex: Extraction) -> dict[str, Link]:
    return {link.href: link for link in ex.links}


# --- links: URLs, anchors, rel ------------------------------------------------------------------


def test_base_href_resolves_relative_links() -> None:
    html = (
        '<html><head><base href="/docs/v2/"></head><body><p><a href="intro">Intro</a> '
        '<a href="../v1/old">Old</a> <a href="https://other.example/x">Abs</a> '
        '<a href="#top">Top</a></p></body></html>'
    )
    hrefs = [link.href for link in extract(html, PAGE).links]
    assert hrefs == [
        "https://blog.example/docs/v2/intro",
        "https://blog.example/docs/v1/old",
        "https://other.example/x",
        "https://blog.example/docs/v2/#top",
    ]
    no_base = extract('<a href="next.html">n</a>', PAGE).links
    assert no_base[0].href == "https://blog.example/posts/next.html"


def test_anchor_text_nested_and_fallbacks() -> None:
    html = (
        '<p><a href="/a"><span>Worm</span> <b>bins</b>\n  <em>compared</em></a>'
        '<a href="/b"><img src="x.png" alt=" Bin photo "></a>'
        '<a href="/c" aria-label="Next page"><svg></svg></a>'
        '<a href="/d" title="Home"></a>'
        '<a href="/e"><div>Block</div><div>text</div></a></p>'
    )
    anchors = [link.anchor for link in extract(html, PAGE).links]
    assert anchors == ["Worm bins compared", "Bin photo", "Next page", "Home", "Block text"]


def test_rel_tokens_are_lowercased_and_deduplicated() -> None:
    html = (
        '<p><a href="/1" rel="NoFollow UGC nofollow">1</a><a href="/2" rel="sponsored,noopener">2'
        '</a><a href="/3">3</a></p>'
    )
    rels = [link.rel for link in extract(html, PAGE).links]
    assert rels == [("nofollow", "ugc"), ("sponsored", "noopener"), ()]


def test_only_http_links_count_and_internal_is_same_host() -> None:
    html = (
        '<p><a href="mailto:me@blog.example">m</a><a href="javascript:void(0)">j</a>'
        '<a href="tel:+441234">t</a><a href="ftp://files.example/x">f</a>'
        '<a href="data:text/html,x">d</a><a>no href</a>'
        '<a href="/in">in</a><a href="https://www.blog.example/www">www</a>'
        '<a href="https://elsewhere.example/">out</a>'
        '<a href="http://[compost]/bins">broken</a></p>'
    )
    links = extract(html, PAGE).links
    assert [(link.href, link.internal) for link in links] == [
        ("https://blog.example/in", True),
        ("https://www.blog.example/www", True),
        ("https://elsewhere.example/", False),
        ("http://[compost]/bins", False),  # unparseable: kept as written for the checker
    ]


# --- placement ------------------------------------------------------------------------------------


def test_each_placement_class() -> None:
    body = (
        '<p>Read the <a href="https://guide.example/hot">hot composting guide</a> first, '
        "then come back here for the rest of it, because there is plenty more to say.</p>"
        '<div class="share-buttons"><a href="https://social.example/x">Post it</a></div>'
    )
    comments = (
        '<section id="comments" class="comments-area"><ol><li class="comment">'
        '<p class="comment-author"><a href="https://commenter.example/">Ann</a></p>'
        "<p>Great post, thanks for writing it all up in such detail.</p></li></ol></section>"
        '<section class="related-posts"><h3>Related</h3><ul><li>'
        '<a href="/other-post">Other post</a></li></ul></section>'
    )
    html = article(body).replace("</article>", "</article>" + comments)
    links = by_href(extract(html, PAGE))
    assert links["https://blog.example/"].placement == "header"
    assert links["https://blog.example/about"].placement == "navigation"
    assert links["https://guide.example/hot"].placement == "content"
    assert links["https://social.example/x"].placement == "other"
    assert links["https://commenter.example/"].placement == "comments"
    assert links["https://blog.example/other-post"].placement == "other"
    assert links["https://friend.example/"].placement == "sidebar"
    assert links["https://blog.example/privacy"].placement == "footer"


def test_landmarks_by_aria_role_and_class_words() -> None:
    html = (
        '<div role="banner"><a href="/r-banner">b</a></div>'
        '<div class="topNav"><a href="/camel">c</a></div>'
        '<div role="main"><p>'
        + PROSE
        + '<a href="https://x.example/in-text">in text</a> '
        + PROSE
        + "</p><p>"
        + PROSE
        + '</p><div class="breadcrumbs"><a href="/crumb">Home</a></div></div>'
        '<div class="widget-area"><a href="/w">w</a></div>'
        '<div class="inside"><a href="/inside">inside is not "side"</a></div>'
        '<div role="contentinfo"><a href="/r-foot">f</a></div>'
    )
    links = by_href(extract(html, PAGE))
    place = {h.rsplit("/", 1)[1]: link.placement for h, link in links.items()}
    assert place["r-banner"] == "header"
    assert place["camel"] == "navigation"
    assert place["in-text"] == "content"
    assert place["crumb"] == "navigation"
    assert place["w"] == "sidebar"
    assert place["inside"] == "other"  # outside the article, but no boilerplate word
    assert place["r-foot"] == "footer"


def test_wordpress_taxonomy_classes_do_not_make_the_post_boilerplate() -> None:
    html = article('<p>See <a href="https://x.example/">this source</a> as well.</p>').replace(
        "<article>", '<article class="post type-post tag-sidebar category-comments author-ann">'
    )
    assert by_href(extract(html, PAGE))["https://x.example/"].placement == "content"


def test_a_link_list_page_is_content() -> None:
    items = "".join(f'<li><a href="https://site{n}.example/">Site {n}</a></li>' for n in range(12))
    html = (
        '<header><a href="/">Home</a></header><main><h1>Useful links</h1>'
        f"<p>Our favourite places.</p><ul>{items}</ul></main>"
        '<footer><a href="/contact">Contact</a></footer>'
    )
    links = extract(html, PAGE).links
    assert Counter(link.placement for link in links) == {"content": 12, "header": 1, "footer": 1}


def _cards(n: int) -> str:
    return "".join(
        f'<li class="card"><h3><a href="https://news.example/story-{k}">Story number {k} of '
        f"the day</a></h3><p>A short summary of story {k}, which happened somewhere else, to "
        "someone else, and is told on another page.</p></li>"
        for k in range(n)
    )


def test_a_teaser_stream_beside_an_article_is_not_content() -> None:
    html = article('<p>As <a href="https://source.example/">the study</a> found.</p>', chrome=False)
    html = html.replace("</main>", f'</main><div class="stream"><ul>{_cards(8)}</ul></div>')
    place = {link.href: link.placement for link in extract(html, PAGE).links}
    assert place["https://source.example/"] == "content"
    assert {place[f"https://news.example/story-{k}"] for k in range(8)} == {"other"}


def test_a_front_page_of_teasers_is_content() -> None:
    html = (
        '<header><a href="/">Home</a></header><main><h1>Latest</h1><p>What is new this week '
        f'on the blog, in short.</p><ul class="posts">{_cards(10)}</ul></main>'
    )
    place = Counter(link.placement for link in extract(html, PAGE).links)
    assert place == {"content": 10, "header": 1}


def test_main_text_is_the_article_not_the_chrome() -> None:
    ex = extract(article('<p>The <a href="/x">middle</a> paragraph is here.</p>'), PAGE)
    assert "Composting at home" in ex.main_text and "middle paragraph" in ex.main_text
    assert "Friend" not in ex.main_text and "Privacy" not in ex.main_text


# --- visibility ------------------------------------------------------------------------------------


def test_statically_hidden_links() -> None:
    body = (
        '<p><a href="/shown">shown</a></p>'
        '<div style="display: none"><a href="/display-none">x</a></div>'
        '<p style="color:red;visibility:hidden"><a href="/visibility">x</a></p>'
        '<div hidden><a href="/hidden-attr">x</a></div>'
        '<div aria-hidden="true"><span><a href="/aria">x</a></span></div>'
        '<noscript><a href="/noscript">x</a></noscript>'
    )
    visible = {
        link.href.rsplit("/", 1)[1]: link.visible for link in extract(article(body), PAGE).links
    }
    assert visible["shown"] is True
    for name in ("display-none", "visibility", "hidden-attr", "aria", "noscript"):
        assert visible[name] is False, name


def test_browser_marks_win_and_noscript_markup_is_dropped_when_rendered() -> None:
    html = (
        '<html data-prospector-rendered="1"><body><p><a href="/a" data-prospector-visible="0">a'
        '</a><a href="/b" style="display:none" data-prospector-visible="1">b</a></p>'
        '<noscript><a href="/c">c</a></noscript></body></html>'
    )
    ex = extract(html, PAGE)
    assert ex.rendered
    assert [(link.href.rsplit("/", 1)[1], link.visible) for link in ex.links] == [
        ("a", False),
        ("b", True),
    ]


# --- canonical and robots --------------------------------------------------------------------------


def test_canonical_from_html_and_link_header() -> None:
    html = '<html><head><link rel="Canonical" href="/posts/page"></head><body></body></html>'
    ex = extract(html, PAGE)
    assert ex.canonical == "https://blog.example/posts/page" and ex.canonical_header is None
    headers = {
        "Link": '<https://cdn.example/style.css>; rel=preload, </posts/page>; rel="canonical"'
    }
    ex = extract("<p>x</p>", PAGE, headers)
    assert ex.canonical is None and ex.canonical_header == "https://blog.example/posts/page"
    unquoted = extract("<p>x</p>", PAGE, {"link": "<https://a.example/b>; rel=canonical"})
    assert unquoted.canonical_header == "https://a.example/b"


def test_meta_robots_and_x_robots_tag() -> None:
    meta = '<head><meta name="ROBOTS" content="NoIndex, follow"></head>'
    ex = extract(meta, PAGE)
    assert ex.meta_robots == ("noindex", "follow") and ex.noindex
    assert ex.noindex_sources == ("meta",)
    ex = extract("<p>x</p>", PAGE, {"X-Robots-Tag": "noindex, nofollow"})
    assert ex.x_robots_tag == ("noindex", "nofollow") and ex.noindex_sources == ("header",)
    assert extract("<p>x</p>", PAGE, {"x-robots-tag": "none"}).noindex
    assert extract("<p>x</p>", PAGE, {"X-Robots-Tag": "googlebot: noindex"}).noindex
    assert not extract("<p>x</p>", PAGE, {"X-Robots-Tag": "otherbot: noindex"}).noindex
    dated = extract("<p>x</p>", PAGE, {"X-Robots-Tag": "unavailable_after: 2030-01-01"})
    assert not dated.noindex and dated.x_robots_tag == ("unavailable_after: 2030-01-01",)
    assert not extract('<meta name="robots" content="index,follow">', PAGE).noindex


# --- emails ---------------------------------------------------------------------------------------


def _cf(address: str, key: int = 0x42) -> str:
    return f"{key:02x}" + "".join(f"{b ^ key:02x}" for b in address.encode())


def test_each_email_obfuscation() -> None:
    entities = "".join(f"&#{ord(c)};" for c in "ent@blog.example")
    html = (
        '<p>Write to <a href="mailto:Editor@Blog.example?subject=Hi">the editor</a>, '
        "or plain@blog.example, or "
        f"{entities}, or jo [at] blog [dot] example, or ann(at)blog.example, or "
        f'<a href="/cdn-cgi/l/email-protection#{_cf("cf@blog.example")}">[email protected]</a> '
        f'<span class="__cf_email__" data-cfemail="{_cf("cf2@blog.example", 0x17)}">x</span>.</p>'
        '<span id="e1"></span><script>var u="js",d="blog.example";</script>'
        "<p>Not emails: logo@2x.png, user@localhost, a@b.c</p>"
        '<p style="display:none">trap@blog.example <a href="mailto:trap2@blog.example">x</a></p>'
    )
    ex = extract(html, PAGE)
    assert {(e.address, e.source) for e in ex.emails} == {
        ("editor@blog.example", "mailto"),
        ("plain@blog.example", "plain"),
        ("ent@blog.example", "entities"),
        ("jo@blog.example", "at_dot"),
        ("ann@blog.example", "paren_at"),
        ("cf@blog.example", "cfemail"),
        ("cf2@blog.example", "cfemail"),
    }
    assert not any("/cdn-cgi/" in link.href for link in ex.links)  # protection links are emails


# --- authors ---------------------------------------------------------------------------------------


def test_authors_from_meta_jsonld_graph_rel_and_byline() -> None:
    graph = (
        '{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, '
        '{"@type": "Article", "author": [{"@type": "Person", "name": "Ann Lee"}, '
        '{"@type": "Person", "name": ["Bo Park"]}]}]}'
    )
    head = (
        '<meta name="author" content="Ann Lee">'
        f'<script type="application/ld+json">{graph}</script>'
        '<script type="application/ld+json">{broken json</script>'
    )
    body = (
        '<p class="entry-meta">Posted on 3 May 2024 by Ann Lee</p>'
        '<p>Profile: <a rel="author" href="/ann">Ann Lee</a></p>'
        '<div class="comments"><p class="comment-author">Spam Bot</p></div>'
    )
    ex = extract(article(body, head=head), PAGE)
    found = {(a.name, a.source) for a in ex.authors}
    assert found == {
        ("Ann Lee", "meta"),
        ("Ann Lee", "jsonld"),
        ("Bo Park", "jsonld"),
        ("Ann Lee", "rel"),
        ("Ann Lee", "byline"),
    }
    assert ex.author == "Ann Lee"


@pytest.mark.parametrize(
    "byline",
    [
        '<span class="byline">by <span class="author vcard">Cy Dee</span></span>',
        '<div class="byline">By <span class="byline-name">Cy Dee</span> | <time>2024</time></div>',
        '<span class="gh-article-author">Cy Dee</span>',
        '<p class="byline">By Cy Dee</p>',
        '<div itemprop="author" itemscope><span itemprop="name">Cy Dee</span></div>',
    ],
)
def test_byline_shapes(byline: str) -> None:
    assert extract(article(byline), PAGE).author == "Cy Dee"


# --- encodings and broken markup -----------------------------------------------------------------


def test_charset_from_header_meta_bom_and_fallbacks() -> None:
    text = "<title>Café — niño</title><p>x</p>"
    assert (
        extract(
            text.encode("cp1252"), PAGE, {"Content-Type": "text/html; charset=windows-1252"}
        ).title
        == "Café — niño"
    )
    latin_meta = '<meta charset="iso-8859-1">' + text
    assert extract(latin_meta.encode("cp1252"), PAGE).title == "Café — niño"
    sjis = (
        '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><title>童話</title>'
    )
    assert extract(sjis.encode("shift_jis"), PAGE).title == "童話"
    assert extract("\ufeff<title>Bom</title>".encode("utf-16"), PAGE).title == "Bom"
    assert extract(text.encode("utf-8"), PAGE).title == "Café — niño"
    # A lying or unknown label, invalid bytes: still a result, with replacement characters.
    assert (
        extract(b"<title>caf\xe9</title>", PAGE, {"content-type": "text/html; charset=bogus"}).title
        == "café"
    )
    broken = extract(
        b"<title>ok \xff\xfe\xc3(</title><a href='/x'>x</a>",
        PAGE,
        {"content-type": "text/html; charset=utf-8"},
    )
    assert broken.title.startswith("ok") and len(broken.links) == 1


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<",
        "\x00\x00<a href='/x'>x",
        "<html><body><p><a href='/a'>unclosed <div><table><tr><td><a href='/b'>b</td></p>",
        "<?xml version='1.0' encoding='iso-8859-1'?><html><body><a href='/c'>c</a></body></html>",
        "<a href='/d'>" + "<div>" * 3000 + "deep" + "</div>" * 10,
        "<a href='http://[::1'>bad ipv6</a><a href='http://x.example:99999/'>bad port</a>",
        "<script>document.write('<a href=/x>')</script><style>a{}</style>plain text only",
        "\ud800 lone surrogate <a href='/e'>e</a>",
    ],
)
def test_malformed_html_never_raises(html: str) -> None:
    ex = extract(html, PAGE)
    assert isinstance(ex, Extraction)
    assert all(link.href.startswith("http") for link in ex.links)
    extract(html.encode("utf-8", "surrogatepass"), PAGE)


# --- the demo web's ground truth ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_truth() -> dict[str, Any]:
    return default_world().truth()


def _pair(
    truth_links: list[dict[str, Any]], ours: tuple[Link, ...]
) -> list[tuple[dict[str, Any], Link | None]]:
    """Each listed link with ours: same URL, same anchor where the URL repeats."""
    pool: dict[str, list[Link]] = defaultdict(list)
    for link in ours:
        pool[link.href].append(link)
    out: list[tuple[dict[str, Any], Link | None]] = []
    for t in truth_links:
        cands = pool.get(t["href"], [])
        hit = next((c for c in cands if c.anchor == t["anchor"]), cands[0] if cands else None)
        if hit is not None:
            cands.remove(hit)
        out.append((t, hit))
    return out


@pytest.mark.integration
def test_raw_extraction_matches_the_demo_truth(
    demo_web: DemoWeb, demo_truth: dict[str, Any]
) -> None:
    """Every page the demo web serves (200, not slow): links, emails, canonical, noindex,
    author and title agree with the generator's ground truth.

    Known gap in the truth, not asserted: parked pages' links are not recorded (they are not
    built through ``PageDoc``), so we only check that they are the parked pages' own links.
    """
    sites = {s["host"]: s for s in demo_truth["sites"]}
    agree: Counter[str] = Counter()
    total: Counter[str] = Counter()
    wrong: list[tuple[str, ...]] = []
    client = Client(demo_web.port, str(demo_web.ca_pem_path), verify=False)
    try:
        for page in demo_truth["pages"]:
            if page["http_status"] != 200 or sites[page["host"]]["behaviour"] in (
                "trickle",
                "slow",
            ):
                continue
            resp = client.request(page["url"])
            assert resp.status == 200, page["url"]
            ex = extract(resp.body, page["url"], resp.headers)
            listed = [t for t in page["links"] if not t["rendered_only"]]
            for t, ours in _pair(listed, ex.links):
                for field in ("placement", "visible", "rel", "anchor"):
                    total[field] += 1
                    got = None if ours is None else getattr(ours, field)
                    want = tuple(t[field]) if field == "rel" else t[field]
                    if got == want:
                        agree[field] += 1
                    else:
                        wrong.append((page["url"], t["href"], field, str(got), str(want)))
            rendered_only = {t["href"] for t in page["links"] if t["rendered_only"]}
            assert not rendered_only & {link.href for link in ex.links}, page["url"]
            hrefs = {t["href"] for t in page["links"]}
            for link in ex.links:
                if link.href not in hrefs and link.placement in ("content", "comments"):
                    total["unlisted"] += 1
                    if page["kind"] == "parked" and link.internal:
                        agree["unlisted"] += 1  # the truth's gap, see the docstring
                    else:
                        wrong.append((page["url"], link.href, "unlisted", link.placement, "-"))
            checks = {
                "emails": {(e.address, e.source) for e in ex.emails}
                == {
                    (e["address"], e["obfuscation"])
                    for e in page["emails"]
                    if e["obfuscation"] != "js"
                },
                "canonical": (ex.canonical, ex.canonical_header)
                == (
                    page["canonical"] if page["canonical_source"] == "html" else None,
                    page["canonical"] if page["canonical_source"] == "header" else None,
                ),
                "noindex": ex.noindex == page["noindex"]
                and (not page["noindex"] or page["noindex_source"] in ex.noindex_sources),
                "author": {(a.name, a.source) for a in ex.authors}
                == {(page["author"], s) for s in page["author_sources"]},
                "title": ex.title.startswith(page["title"]),
            }
            for name, ok in checks.items():
                total[name] += 1
                agree[name] += ok
                if not ok:
                    wrong.append((page["url"], name))
    finally:
        client.close()
    rates = {k: f"{agree[k]}/{total[k]}" for k in total}
    print("demo truth agreement (raw HTML):", rates)
    assert total["placement"] > 3000 and total["emails"] > 500
    assert not wrong, wrong[:20]
