"""Verifying earned links: the state machine (lost only after two misses in a row, an
inconclusive check never counts), alerts and reclaim prospects, nofollow, our own redirects,
rendered-only and hidden links, noindex, canonical elsewhere, sitewide links — against real
local servers whose pages change, and against the demo web's truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.discovery.evaluate import settings_for
from prospector.config import Settings, load_settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.store import Store, open_db
from prospector.verify.links import transition
from prospector.verify.placements import record_placement
from prospector.verify.run import VerifySummary, verify
from tests.local_server import LocalServer, Request

ROOT = Path(__file__).resolve().parent.parent
BLOG, OURS = "blog.test", "ours.test"
PAGE = f"http://{BLOG}/post"
TARGET = f"http://{OURS}/guide"
TEXT = (
    "Turning the heap every few days keeps it hot; a thermometer tells you when. "
    "Greens and browns in the right mix matter more than any activator you can buy."
)


def article(link: str = "", *, head: str = "", footer: str = "", script: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><title>Composting notes</title>{head}</head><body>"
        f"<header><a href='/'>Blog</a></header><main><article><h1>Composting notes</h1>"
        f"<p>{TEXT}</p><p>{link}</p><p>{TEXT}</p></article></main>"
        f"<footer><p>Blog, since 2009. {footer}</p></footer>{script}</body></html>"
    ).encode()


def to_target(rel: str = "", href: str = TARGET, style: str = "") -> str:
    attrs = f' rel="{rel}"' if rel else ""
    attrs += f' style="{style}"' if style else ""
    return f'Our favourite is <a href="{href}"{attrs}>the hot composting guide</a>.'


class Site(LocalServer):
    """A local server whose pages a test can change between checks: path -> (status,
    headers, body)."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> None:
        self.pages[path] = (status, dict(headers), body)

        def handler(request: Request) -> tuple[int, dict[str, str], bytes]:
            code, extra, data = self.pages[request.path]
            return code, dict(extra), data

        self.routes[path] = handler


@pytest.fixture
def sites() -> Iterator[tuple[Site, Site]]:
    blog, ours = Site(), Site()
    with blog, ours:
        blog.serve("/", b"<!doctype html><title>Blog</title><p>Welcome to the blog.</p>")
        ours.serve("/guide", b"<!doctype html><title>Guide</title><p>The hot composting guide.</p>")
        ours.serve("/go/guide", b"", 301, Location="/guide")
        ours.serve("/other", b"<!doctype html><title>Other</title><p>Another page of ours.</p>")
        yield blog, ours


def settings(tmp_path: Path, blog: Site, ours: Site, *, render: bool = False) -> Settings:
    return load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "prospector.db"),
            "campaigns_dir": str(tmp_path / "campaigns"),
            "network": {
                "resolve": {BLOG: f"127.0.0.1:{blog.port}", OURS: f"127.0.0.1:{ours.port}"}
            },
            "fetch": {"timeout_s": 10.0, "connect_timeout_s": 5.0, "min_host_gap_s": 0.0},
            "browser": {"navigation_timeout_s": 15.0},
            "verify": {"render": render},
        },
    )


def placement_of(conf: Settings, url: str = PAGE, **options: Any) -> int:
    with open_db(conf.database) as store:
        return record_placement(
            store,
            options.pop("prospect_id", None),
            url,
            target=options.pop("target", TARGET),
            campaign=options.pop("campaign", "demo"),
            source=options.pop("source", "manual"),
            actor="test",
            **options,
        )


def line(summary: VerifySummary, placement_id: int) -> dict[str, Any]:
    return next(p for p in summary.placements if p["id"] == placement_id)


def events(store: Store, placement_id: int, kind: str) -> list[dict[str, Any]]:
    rows = store.events("placement", str(placement_id))
    return [dict(e, data=json.loads(e["data"])) for e in rows if e["kind"] == kind]


# --- the state machine (pure) ----------------------------------------------------------------


def test_a_link_is_lost_only_after_two_misses_in_a_row_and_inconclusive_never_counts() -> None:
    step = transition("live", 0, "missing", asserted=False)
    assert (step.state, step.misses, step.alert) == ("live", 1, None)
    step = transition(step.state, step.misses, "inconclusive", asserted=False)
    assert (step.state, step.misses, step.alert) == ("live", 1, None)
    step = transition(step.state, step.misses, "missing", asserted=False)
    assert (step.state, step.misses, step.alert) == ("lost", 2, "lost")
    again = transition("lost", 2, "missing", asserted=False)
    assert (again.state, again.alert) == ("lost", None)  # one alert per loss, not per run
    assert transition("live", 1, "live", asserted=False).misses == 0  # a live check resets
    assert transition("downgraded", 1, "downgraded", asserted=False).misses == 0


def test_only_live_to_downgraded_alerts_and_an_unseen_promised_link_is_never_lost() -> None:
    assert transition("live", 0, "downgraded", asserted=True).alert == "downgraded"
    assert transition("pending", 0, "downgraded", asserted=True).alert is None
    assert transition("downgraded", 0, "downgraded", asserted=True).alert is None
    promised = transition("pending", 5, "missing", asserted=False)
    assert (promised.state, promised.misses, promised.alert) == ("pending", 6, None)
    assert promised.notes
    claimed = transition("pending", 1, "missing", asserted=True)  # added by hand or imported
    assert (claimed.state, claimed.alert) == ("lost", "lost")


# --- verification against pages that change -------------------------------------------------


@pytest.mark.integration
def test_a_removed_link_is_lost_after_two_misses_with_one_alert_and_one_reclaim_prospect(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    blog, ours = sites
    conf = settings(tmp_path, blog, ours)
    blog.serve("/post", article(to_target()))
    with open_db(conf.database) as store:
        prospect = store.add_prospect("demo", "resource_page", PAGE, BLOG, {}, state="replied")
        assert prospect is not None
        pid = record_placement(
            store, prospect, PAGE, target=TARGET, campaign="demo", source="reply", actor="test"
        )
        assert store.prospect(prospect)["state"] == "placed"  # type: ignore[index]

    first = line(verify(conf), pid)
    assert (first["outcome"], first["state"], first["misses"]) == ("live", "live", 0)
    blog.serve("/post", article("The guide we used to link to is gone from here."))
    second = line(verify(conf), pid)
    assert (second["outcome"], second["state"], second["misses"]) == ("missing", "live", 1)
    blog.serve("/post", b"down for maintenance", 503)
    third = line(verify(conf), pid)
    assert (third["outcome"], third["state"], third["misses"]) == ("inconclusive", "live", 1)
    blog.serve("/post", article("The guide we used to link to is gone from here."))
    fourth = verify(conf)
    lost = line(fourth, pid)
    assert (lost["outcome"], lost["state"], lost["alert"]) == ("missing", "lost", "lost")
    assert lost["reclaim_prospect"] is not None
    fifth = line(verify(conf), pid)  # still gone: no second alert, no second reclaim
    assert (fifth["state"], fifth["alert"], fifth["misses"]) == ("lost", None, 3)

    with open_db(conf.database) as store:
        alerts = events(store, pid, "alert")
        assert len(alerts) == 1 and alerts[0]["data"]["change"] == "lost"
        assert "does not link to" in alerts[0]["data"]["reasons"][0]
        reclaims = store.prospects("demo", "reclaim")
        assert len(reclaims) == 1 and reclaims[0]["id"] == lost["reclaim_prospect"]
        assert reclaims[0]["state"] == "qualified" and reclaims[0]["url"] == PAGE
        assert reclaims[0]["evidence"]["reclaim"]["placement"] == pid
        assert store.prospect(prospect)["state"] == "lost"  # type: ignore[index]
        history = store.placement_checks(pid)
        assert [c["outcome"] for c in history] == [
            "live",
            "missing",
            "inconclusive",
            "missing",
            "missing",
        ]
        assert history[2]["page_status"] == "server_error"


@pytest.mark.integration
def test_a_link_flipped_to_nofollow_is_downgraded_with_an_alert(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    blog, ours = sites
    conf = settings(tmp_path, blog, ours)
    blog.serve("/post", article(to_target()))
    pid = placement_of(conf, anchor="hot composting guide")
    assert line(verify(conf), pid)["outcome"] == "live"
    blog.serve("/post", article(to_target(rel="nofollow noopener")))
    flipped = line(verify(conf), pid)
    assert (flipped["outcome"], flipped["state"], flipped["alert"]) == (
        "downgraded",
        "downgraded",
        "downgraded",
    )
    assert flipped["reasons"] == ["the link is nofollow"]
    with open_db(conf.database) as store:
        evidence = store.placement_checks(pid)[-1]["evidence"]
        assert evidence["link"]["rel"] == ["nofollow", "noopener"]
        assert evidence["link"]["anchor_match"] == "partial"
        assert len(events(store, pid, "alert")) == 1
        assert len(store.prospects("demo", "reclaim")) == 1


@pytest.mark.integration
def test_a_link_to_our_own_redirect_counts_as_the_target(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    blog, ours = sites
    conf = settings(tmp_path, blog, ours)
    other = "Also see <a href='http://ours.test/other'>another page</a>."
    blog.serve("/post", article(to_target(href=f"http://{OURS}/go/guide") + other))
    blog.serve("/elsewhere", article(other))
    via = placement_of(conf)
    wrong = placement_of(conf, f"http://{BLOG}/elsewhere")
    summary = verify(conf)
    assert line(summary, via)["outcome"] == "live"
    assert any("our redirect" in flag for flag in line(summary, via)["flags"])
    assert line(summary, wrong)["outcome"] == "missing"  # our other page is not the target
    with open_db(conf.database) as store:
        link = store.placement_checks(via)[-1]["evidence"]["link"]
        assert link["via_redirect"] and link["href"] == f"http://{OURS}/go/guide"
        near = store.placement_checks(wrong)[-1]["evidence"]["link"]
        assert near == {"found": False, "links_to_our_site": [f"http://{OURS}/other"]}


@pytest.mark.integration
def test_a_noindexed_page_and_a_canonical_elsewhere_downgrade_the_link(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    blog, ours = sites
    conf = settings(tmp_path, blog, ours)
    blog.serve("/noindexed", article(to_target(), head='<meta name="robots" content="noindex">'))
    blog.serve(
        "/copy",
        article(to_target()),
        Link=f'<http://{BLOG}/original>; rel="canonical"',
    )
    noindexed = placement_of(conf, f"http://{BLOG}/noindexed")
    canonical = placement_of(conf, f"http://{BLOG}/copy")
    summary = verify(conf)
    assert line(summary, noindexed)["outcome"] == "downgraded"
    assert line(summary, noindexed)["reasons"] == ["the page is noindexed (meta)"]
    assert line(summary, canonical)["outcome"] == "downgraded"
    assert line(summary, canonical)["reasons"] == [
        f"the page's canonical points elsewhere: http://{BLOG}/original (header)"
    ]


@pytest.mark.integration
def test_a_link_in_the_footer_and_on_the_home_page_is_flagged_sitewide(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    blog, ours = sites
    conf = settings(tmp_path, blog, ours)
    footer = f'Friends: <a href="{TARGET}">Soil guide</a>'
    blog.serve("/post", article(footer=footer))
    blog.serve("/", article(footer=footer))
    pid = placement_of(conf)
    result = line(verify(conf), pid)
    assert result["outcome"] == "live"
    assert (
        f"sitewide: placed in the page's footer; also on the site's home page http://{BLOG}/"
        in result["flags"]
    )
    with open_db(conf.database) as store:
        evidence = store.placement_checks(pid)[-1]["evidence"]
    assert evidence["sitewide"]["sitewide"] and evidence["link"]["placement"] == "footer"


@pytest.mark.integration
@pytest.mark.browser
def test_links_only_in_the_rendered_dom_or_hidden_are_flagged(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    blog, ours = sites
    conf = settings(tmp_path, blog, ours, render=True)
    inject = (
        "<script>document.querySelector('article').insertAdjacentHTML('beforeend', "
        f"'<p>Try <a href=\"{TARGET}\">this guide</a>.</p>');</script>"
    )
    blog.serve("/scripted", article(script=inject))
    blog.serve("/hidden", article(to_target(style="display:none")))
    blog.serve("/plain", article(to_target()))
    scripted = placement_of(conf, f"http://{BLOG}/scripted")
    hidden = placement_of(conf, f"http://{BLOG}/hidden")
    plain = placement_of(conf, f"http://{BLOG}/plain")
    summary = verify(conf)
    assert not summary.notes, summary.notes  # the browser started
    assert line(summary, scripted)["outcome"] == "downgraded"
    assert line(summary, scripted)["reasons"] == [
        "the link is only in the rendered DOM: scripts add it"
    ]
    assert line(summary, hidden)["reasons"] == ["the link is hidden"]
    assert line(summary, plain)["outcome"] == "live"
    with open_db(conf.database) as store:
        link = store.placement_checks(scripted)[-1]["evidence"]["link"]
        assert (link["in_raw"], link["in_rendered"], link["visible"]) == (False, True, True)
        assert store.placement_checks(plain)[-1]["evidence"]["page"]["rendered"]


@pytest.mark.integration
@pytest.mark.browser
def test_verification_agrees_with_the_demo_truth_on_every_link_to_our_site(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    """rel, visibility, placement and raw-versus-rendered of every demo link to our site."""
    conf = settings_for(demo_web, tmp_path)
    links = default_world().truth()["links_to_ours"]
    with open_db(conf.database) as store:
        ids = {
            record_placement(
                store, None, t["page"], target=t["href"], campaign="demo", source="import",
                actor="test",
            ): t
            for t in links
        }  # fmt: skip
    summary = verify(conf)
    assert len(summary.placements) == len(links) > 20 and not summary.notes
    wrong = []
    with open_db(conf.database) as store:
        for pid, t in ids.items():
            link = store.placement_checks(pid)[-1]["evidence"]["link"]
            got = (link["rel"], link["visible"], link["placement"], link["in_raw"])
            want = (t["rel"], t["visible"], t["placement"], not t["rendered_only"])
            if got != want or not link["in_rendered"]:
                wrong.append((t["page"], got, want))
            hidden_or_nofollow = not t["visible"] or "nofollow" in t["rel"]
            if hidden_or_nofollow and line(summary, pid)["outcome"] != "downgraded":
                wrong.append((t["page"], "should be downgraded"))
    assert not wrong, wrong
