"""Qualification signals: page facts, relevance, quality and spam, on synthetic pages and on
the demo web's ground truth."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from prospector.campaigns import Campaign, load_campaign
from prospector.config import RelevanceSettings, Settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.errors import ConfigError
from prospector.qualify.facts import page_facts
from prospector.qualify.relevance import RelevanceModel, relevance, scaled
from prospector.qualify.spam import quality, shared_tracking_ids, spam
from prospector.web.extract import extract
from prospector.web.fetch import Fetcher

THRESHOLD = 60.0  # the default scores.spam_threshold
DEMO_CAMPAIGN = Path(__file__).resolve().parents[1] / "prospector" / "demo" / "demo.toml"
PROSE = (
    "A hot heap needs volume, so aim for at least a cubic metre to hold its own heat. "
    "Mix two parts straw to one part grass clippings and water it as you build. "
    "Turn the heap when the compost temperature starts to fall. "
)


def page(
    body: str, url: str = "https://site.example/post", head: str = "", title: str = "A post"
) -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>"
        '<nav><a href="/">Home</a> <a href="/about">About</a></nav>'
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        "<footer><p>&copy; Site</p></footer></body></html>"
    )


def facts_of(html: str, url: str = "https://site.example/post") -> dict[str, Any]:
    return page_facts(extract(html, url), html, url)


def article(paragraphs: int = 6, extra: str = "", **kw: Any) -> dict[str, Any]:
    body = "".join(f"<p>{PROSE}</p>" for _ in range(paragraphs)) + extra
    return facts_of(page(body, **kw), kw.get("url", "https://site.example/post"))


def signal_names(component: Any) -> set[str]:
    return {s["name"] for s in component.evidence["signals"]}


# --- facts ------------------------------------------------------------------------------


def test_facts_are_json_and_count_links() -> None:
    links = (
        '<p>See <a href="https://other.example/a">a guide</a> and '
        '<a href="https://third.example/b" rel="nofollow sponsored">an offer</a> and '
        '<a href="https://sub.site.example/x">our shop</a>.</p>'
    )
    head = '<meta name="description" content="All about compost heaps">'
    facts = article(4, links, head=head, title="Hot composting")
    assert json.loads(json.dumps(facts)) == facts
    assert facts["title"] == "Hot composting"
    assert facts["headings"]["h1"] == ["Hot composting"]
    assert facts["description"] == "All about compost heaps"
    assert facts["word_count"] > 150 and "cubic metre" in facts["text"]
    counts = facts["links"]
    assert counts["external"] == 2 and counts["content_external"] == 2  # subdomain is ours
    assert counts["external_domains"] == 2
    assert counts["nofollow"] == 1 and counts["sponsored"] == 1 and counts["followed_external"] == 1


def test_text_is_trimmed_for_relevance() -> None:
    facts = article(400)
    assert facts["word_count"] > 5000 and facts["text_truncated"]
    assert len(facts["text"].split()) == 5000


def test_tracking_ids_are_found() -> None:
    head = (
        "<script>gtag('config','G-ABC123XYZ9');gtag('config','UA-1234567-2');</script>"
        '<script async src="https://www.googletagmanager.com/gtm.js?id=GTM-K9X2PQ"></script>'
        '<script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js'
        '?client=ca-pub-1234567890123456"></script>'
        "<script>fbq('init', '987654321012345');</script>"
    )
    facts = article(2, head=head)
    assert facts["tracking_ids"] == [
        "G-ABC123XYZ9",
        "GTM-K9X2PQ",
        "UA-1234567-2",
        "ca-pub-1234567890123456",
        "fb-pixel:987654321012345",
    ]


# --- spam signals, one at a time ----------------------------------------------------------


def test_clean_article_has_no_spam_and_good_quality() -> None:
    facts = article(6, '<p>More at <a href="https://other.example/">Other</a>.</p>')
    result = spam(facts, shared_ids={})
    assert result.score == 0 and result.reasons == ("no spam signals",)
    assert quality(facts).score >= 90


def test_hidden_links() -> None:
    hidden = (
        '<div style="display:none"><a href="https://a.example/">loans</a>'
        '<a href="https://b.example/">watches</a><a href="https://c.example/">shoes</a></div>'
    )
    facts = article(6, hidden)
    assert facts["hidden_links"]["count"] == 3
    result = spam(facts, shared_ids={})
    assert "hidden links: 3 invisible outbound links" in result.reasons[0]
    assert 0 < result.score < THRESHOLD  # one signal alone does not remove a prospect
    assert quality(facts).score < quality(article(6)).score


def test_paid_footprints_and_negation() -> None:
    facts = article(6, "<p>Write for us: sponsored posts $50, do-follow link for $30.</p>")
    found = {f["phrase"]: f for f in facts["paid_footprints"]}
    assert found["sponsored posts"]["price"] == "$50"
    result = spam(facts, shared_ids={})
    assert result.reasons[0].startswith("paid-post footprints: ")
    assert "'sponsored posts' ($50)" in result.reasons[0]
    assert result.score < THRESHOLD
    honest = article(6, "<p>We do not accept sponsored posts, paid links or link insertions.</p>")
    assert honest["paid_footprints"] == []
    assert spam(honest, shared_ids={}).score == 0


def test_link_farm() -> None:
    items = "".join(f'<li><a href="https://site{n}.example/">Site {n}</a></li>' for n in range(120))
    html = page(f"<p>Submit your site to our directory.</p><ul>{items}</ul>", title="Links")
    facts = facts_of(html)
    result = spam(facts, shared_ids={})
    assert result.score >= THRESHOLD
    assert result.reasons[0].startswith("link farm: 120 outbound links to 120 domains, ")
    assert quality(facts).score < 50


def test_spam_topics() -> None:
    body = (
        "<p>Best online casino with free spins. Buy cheap pills online with no prescription. "
        "Payday loans approved in minutes.</p>"
    )
    result = spam(facts_of(page(body, title="Casino bonus")), shared_ids={})
    assert result.score >= THRESHOLD
    assert result.reasons[0].startswith("spam topics (gambling, loans, pharma): ")


def test_anchor_stuffing() -> None:
    links = " ".join(
        f'<a href="https://shop{n % 2}.example/p{n}">best compost bin</a>' for n in range(5)
    )
    result = spam(article(6, f"<p>{links}</p>"), shared_ids={})
    assert "exact-match anchor stuffing: 'best compost bin' used 5 times" in result.reasons
    assert result.score < THRESHOLD


def test_comment_spam() -> None:
    comments = (
        '<section id="comments" class="comments-area"><ol>'
        '<li class="comment"><p>Great post! <a href="https://spin.example/" rel="nofollow ugc">'
        "best casino bonus</a></p></li>"
        '<li class="comment"><p><a href="https://pills.example/">cheap pills</a></p></li>'
        '<li class="comment"><p><a href="https://friend.example/">Ann Smith</a> Lovely.</p></li>'
        "</ol></section>"
    )
    html = page("".join(f"<p>{PROSE}</p>" for _ in range(6))).replace(
        "</article>", f"</article>{comments}"
    )
    facts = facts_of(html)
    assert facts["comments"]["spam"] == 2 and facts["comments"]["followed"] == 2
    assert facts["spam_terms"] == {}  # comments are not the site's own words
    result = spam(facts, shared_ids={})
    assert result.reasons[0].startswith("comment spam: 2 spam links in the comments")
    assert result.score < 30


def test_parked_domain() -> None:
    html = page("<h2>This domain is for sale!</h2><p>Buy this domain now.</p>", title="x")
    result = spam(facts_of(html, "https://expired.example/"), shared_ids={})
    assert result.score >= THRESHOLD and result.reasons[0].startswith("parked / for-sale domain")
    assert quality(facts_of(html, "https://expired.example/")).score == 0


def test_shared_tracking_ids_mark_a_private_blog_network() -> None:
    def site(domain: str, tag: str) -> dict[str, Any]:
        head = f"<script>gtag('config','{tag}');</script>"
        return article(6, head=head, url=f"https://{domain}/post")

    network = {d: site(d, "G-PBN12345") for d in ("a.example", "b.example", "c.example")}
    pair = {
        d: site(d, "UA-7654321-1" if d == "d.example" else "UA-7654321-3")
        for d in (
            "d.example",
            "e.example",
        )
    }
    alone = {"f.example": site("f.example", "G-ALONE1234")}
    shared = shared_tracking_ids({**network, **pair, **alone})
    assert shared == {
        "G-PBN12345": {"a.example", "b.example", "c.example"},
        "UA-7654321": {"d.example", "e.example"},  # one account, two properties
    }
    member = spam(network["a.example"], shared_ids=shared)
    assert member.score >= THRESHOLD
    assert member.reasons == (
        "shares analytics id G-PBN12345 with 2 other prospect sites (possible private blog "
        "network)",
    )
    assert 0 < spam(pair["d.example"], shared_ids=shared).score < THRESHOLD  # one sister site
    assert spam(alone["f.example"], shared_ids=shared).score == 0


def test_weak_signals_combine_and_site_signals_spread() -> None:
    weak = article(6, "<p>This is a sponsored post.</p>")
    assert 0 < spam(weak, shared_ids={}).score < THRESHOLD
    hidden = '<div style="display:none"><a href="https://a.example/">x</a></div>'
    two = article(6, f"<p>Sponsored posts $50.</p>{hidden}")
    assert spam(two, shared_ids={}).score >= THRESHOLD  # two signals together cross
    casino = facts_of(
        page("<p>Online casino, free spins, cheap pills.</p>"), "https://spin.example/"
    )
    guest = facts_of(
        page("<p>Send us your article.</p>", title="Write for us"), "https://spin.example/write"
    )
    assert spam(guest, shared_ids={}).score == 0
    spread = spam(guest, shared_ids={}, site_pages=[casino, guest])
    assert spread.score >= THRESHOLD
    assert spread.reasons[0].startswith("elsewhere on this site (https://spin.example/): spam")


def test_quality_penalises_thin_and_noindex() -> None:
    full = quality(article(12))
    thin = quality(article(1))
    noindex = quality(article(12, head='<meta name="robots" content="noindex">'))
    assert full.score == 100
    assert thin.score < full.score and thin.reasons[0].startswith("thin content")
    assert noindex.score < full.score and "noindex" in noindex.reasons[0]


# --- relevance ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign(DEMO_CAMPAIGN)


def test_relevance_ranks_on_topic_above_off_topic(campaign: Campaign) -> None:
    on = article(
        4, "<h2>Compost temperature</h2><p>Hot composting is fast.</p>", title="Hot compost"
    )
    off = facts_of(
        page(
            "<p>Boil the pasta in salted water, then toss it with lemon, butter and parmesan. "
            "Serve with a green salad and a glass of cold white wine.</p>" * 4,
            title="Lemon pasta",
        )
    )
    settings = RelevanceSettings()
    model = RelevanceModel(campaign, settings)
    good, bad = model.score(on), model.score(off)
    assert good.score >= 60 > 20 >= bad.score
    terms = [m["term"] for m in good.evidence["matched_terms"]]
    assert "hot composting" in terms and "compost temperature" in terms
    assert (
        good.reasons[0].startswith("matches 'hot composting'")
        or "'hot composting'" in (good.reasons[0])
    )
    assert "hot composting" in good.evidence["keywords_found"]
    assert good.evidence["closest_target"]["url"].endswith("/guides/hot-composting")
    assert relevance(campaign, on, settings=settings).score == good.score  # no model: same
    assert relevance(campaign, {}, settings=settings).score == 0


def test_relevance_scale_is_monotonic() -> None:
    values = [scaled(c / 100) for c in range(0, 40)]
    assert values[0] == 0 and all(a < b for a, b in itertools.pairwise(values))
    assert values[-1] < 100


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="sentence-transformers is installed",
)
def test_embedding_backend_without_the_library_is_a_config_error(campaign: Campaign) -> None:
    settings = RelevanceSettings(backend="embedding", embedding_model="all-MiniLM-L6-v2")
    with pytest.raises(ConfigError, match="sentence-transformers"):
        relevance(campaign, article(2), settings=settings)


# --- the demo web's ground truth ------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_facts() -> dict[str, list[tuple[Any, Any, dict[str, Any]]]]:
    """host -> [(site, page, facts)] for every HTML page of every listed demo site."""
    out: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = defaultdict(list)
    for site in default_world().sites():
        if site.kind == "ours":
            continue
        for path, demo_page in site.pages.items():
            if "html" in demo_page.content_type:
                url = site.url(path)
                facts = page_facts(extract(demo_page.html, url), demo_page.html, url)
                out[site.host].append((site, demo_page, facts))
    return out


def _spam_scores(demo_facts: dict[str, list[tuple[Any, Any, dict[str, Any]]]]) -> list[Any]:
    ids = {
        host: {
            "domain": rows[0][2]["domain"],
            "tracking_ids": sorted({t for _, _, f in rows for t in f["tracking_ids"]}),
        }
        for host, rows in demo_facts.items()
    }
    shared = shared_tracking_ids(ids)
    out = []
    for rows in demo_facts.values():
        siblings = [f for _, _, f in rows]
        for site, demo_page, facts in rows:
            out.append((site, demo_page, spam(facts, shared_ids=shared, site_pages=siblings)))
    return out


EXPECTED_REASON = {
    "spam": ("spam topics", "elsewhere on this site"),
    "link_farm": ("link farm",),
    "pbn": ("shares analytics id G-PBN12345 with 3 other prospect sites",),
    "parked": ("parked / for-sale domain",),
}


def test_demo_spam_sites_cross_the_threshold_and_legitimate_ones_do_not(
    demo_facts: dict[str, list[tuple[Any, Any, dict[str, Any]]]],
) -> None:
    scored = _spam_scores(demo_facts)
    bad = [(s, p, c) for s, p, c in scored if s.kind in EXPECTED_REASON]
    assert {s.kind for s, _, _ in bad} == set(EXPECTED_REASON)
    for site, demo_page, result in bad:
        assert result.score >= THRESHOLD, (site.host, demo_page.path, result.reasons)
        assert any(r.startswith(EXPECTED_REASON[site.kind]) for r in result.reasons[:2]), (
            site.host,
            result.reasons,
        )
    legit = [(s, p, c) for s, p, c in scored if s.kind in ("blog", "resource_site")]
    for site, demo_page, result in legit:
        assert result.score < THRESHOLD, (site.host, demo_page.path, result.reasons)
    offers = [
        c
        for s, p, c in legit
        if s.relevance in ("high", "medium") and p.kind in ("resource_page", "guest_post")
    ]
    assert len(offers) >= 15 and max(c.score for c in offers) == 0


def test_demo_relevance_separates_relevant_resource_pages_from_off_topic_sites(
    demo_facts: dict[str, list[tuple[Any, Any, dict[str, Any]]]], campaign: Campaign
) -> None:
    model = RelevanceModel(campaign, RelevanceSettings())
    relevant: list[float] = []
    off_topic: list[float] = []
    for rows in demo_facts.values():
        for site, demo_page, facts in rows:
            if site.relevance == "high" and demo_page.kind == "resource_page":
                relevant.append(model.score(facts).score)
            elif site.relevance == "none":
                off_topic.append(model.score(facts).score)
    assert len(relevant) >= 10 and len(off_topic) >= 50
    assert min(relevant) > max(off_topic)
    assert min(relevant) >= 80
    assert sorted(off_topic)[len(off_topic) // 2] <= 20


def test_facts_from_a_real_fetch_of_the_demo_web(
    demo_web: DemoWeb, demo_settings: Settings
) -> None:
    urls = [
        "https://greenleafguide.example/",
        "https://luckyspin-casino.example/",
        "https://compostcorner.example/resources/",
    ]

    async def go() -> list[dict[str, Any]]:
        async with Fetcher(demo_settings) as fetcher:
            out = []
            for url in urls:
                got = await fetcher.fetch(url)
                html = got.text()
                out.append(
                    page_facts(extract(html, got.final_url, got.headers), html, got.final_url)
                )
            return out

    pbn, casino, resources = asyncio.run(go())
    assert "G-PBN12345" in pbn["tracking_ids"]
    assert casino["hidden_links"]["count"] == 5 and "casino" in casino["spam_terms"]
    assert resources["links"]["content_domains"] >= 5
    assert spam(resources, shared_ids={}).score == 0
