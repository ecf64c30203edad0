"""Syndicated copies on the demo web: canonical in the HTML, in the HTTP Link header or only
injected by JavaScript; noindex; a bare copy; a self-canonical one — verdicts, what each copy
requires, the attribution link and text, the similarity to the original, and alerts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from bench.discovery.evaluate import settings_for
from prospector.config import Settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.store import open_db
from prospector.verify.run import VerifySummary, verify
from prospector.verify.syndication import add_copy, attribution_text
from tests.cli_helpers import prospector


def label(page: dict[str, Any]) -> str:
    copy = page["syndication"]
    return f"canonical_{copy['canonical_via']}" if copy["mode"] == "canonical" else copy["mode"]


@pytest.fixture(scope="module")
def demo_copies() -> dict[str, dict[str, Any]]:
    pages = [p for p in default_world().truth()["pages"] if p["kind"] == "syndicated"]
    return {label(p): p for p in pages}


@pytest.fixture(scope="module")
def checked(
    demo_web: DemoWeb, tmp_path_factory: pytest.TempPathFactory, demo_copies: dict[str, Any]
) -> tuple[Settings, Path, VerifySummary, VerifySummary]:
    """The demo campaign (its [[syndicated]] entry is the HTML-canonical copy) plus every other
    demo copy, added by hand (one through the CLI); verified twice."""
    work = tmp_path_factory.mktemp("syndication")
    conf = settings_for(demo_web, work)
    config = work / "prospector.toml"
    config.write_text(tomli_w.dumps(conf.model_dump(mode="json", exclude_none=True)))
    for name, page in demo_copies.items():
        original = page["syndication"]["original"]
        if name == "canonical_html":
            continue  # from the campaign file
        if name == "self_canonical":
            added = prospector(
                "--config", str(config), "syndication", "add", page["url"],
                "--original", original, "--require", "canonical_or_noindex", "--campaign", "demo",
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
            assert "added" in added.stdout and "attribution link" in added.stdout
        else:
            add_copy(conf, page["url"], original=original, campaign="demo", actor="test")
    return conf, config, verify(conf), verify(conf)


def result(checked: tuple[Any, ...], page: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in checked[2].copies if c["url"] == page["url"])


def evidence(checked: tuple[Any, ...], page: dict[str, Any]) -> dict[str, Any]:
    with open_db(checked[0].database) as store:
        row = next(c for c in store.syndicated_copies() if c["url"] == page["url"])
    return dict(row["last_evidence"])


@pytest.mark.integration
@pytest.mark.browser
def test_a_canonical_in_the_html_makes_the_copy_canonicalised_and_ok(
    checked: tuple[Any, ...], demo_copies: dict[str, Any]
) -> None:
    page = demo_copies["canonical_html"]
    line = result(checked, page)
    assert (line["verdict"], line["ok"], line["flags"]) == ("canonicalised", True, [])
    canonical = evidence(checked, page)["canonical"]
    assert canonical["to_original"] == ["html", "rendered"]
    assert canonical["set_by_script"] is None and not canonical["conflict"]


@pytest.mark.integration
@pytest.mark.browser
def test_a_canonical_only_in_the_http_link_header_counts(
    checked: tuple[Any, ...], demo_copies: dict[str, Any]
) -> None:
    page = demo_copies["canonical_header"]
    assert (result(checked, page)["verdict"], result(checked, page)["ok"]) == (
        "canonicalised",
        True,
    )
    canonical = evidence(checked, page)["canonical"]
    assert canonical["to_original"] == ["header"] and canonical["html"] is None


@pytest.mark.integration
@pytest.mark.browser
def test_a_canonical_injected_by_javascript_is_canonicalised_but_flagged(
    checked: tuple[Any, ...], demo_copies: dict[str, Any]
) -> None:
    page = demo_copies["canonical_js"]
    original = page["syndication"]["original"]
    line = result(checked, page)
    assert line["verdict"] == "canonicalised"
    assert f"the canonical is injected by JavaScript: {original}" in line["flags"]
    canonical = evidence(checked, page)["canonical"]
    assert canonical["to_original"] == ["rendered"] and canonical["html"] is None
    assert canonical["set_by_script"] == "injected"


@pytest.mark.integration
@pytest.mark.browser
def test_a_noindexed_copy_is_noindexed_and_meets_canonical_or_noindex(
    checked: tuple[Any, ...], demo_copies: dict[str, Any]
) -> None:
    page = demo_copies["noindex"]
    assert (result(checked, page)["verdict"], result(checked, page)["ok"]) == ("noindexed", True)
    assert evidence(checked, page)["noindex"] == {"noindex": True, "sources": ["meta"]}


@pytest.mark.integration
@pytest.mark.browser
def test_a_bare_copy_is_missing_attribution_and_alerts_once(
    checked: tuple[Any, ...], demo_copies: dict[str, Any]
) -> None:
    page = demo_copies["bare"]
    line = result(checked, page)
    assert (line["verdict"], line["ok"], line["alert"]) == ("missing_attribution", False, True)
    assert "no visible link to the original (attribution)" in line["reasons"]
    again = next(c for c in checked[3].copies if c["url"] == page["url"])
    assert (again["ok"], again["alert"]) == (False, False)  # still failing: no second alert
    with open_db(checked[0].database) as store:
        row = next(c for c in store.syndicated_copies() if c["url"] == page["url"])
        alerts = [
            e for e in store.events("syndicated_copy", str(row["id"])) if e["kind"] == "alert"
        ]
        assert len(store.syndication_checks(row["id"])) == 2
    assert len(alerts) == 1 and json.loads(alerts[0]["data"])["verdict"] == "missing_attribution"


@pytest.mark.integration
@pytest.mark.browser
def test_a_self_canonical_copy_is_attributed_only_and_fails_canonical_or_noindex(
    checked: tuple[Any, ...], demo_copies: dict[str, Any]
) -> None:
    page = demo_copies["self_canonical"]
    line = result(checked, page)
    assert (line["verdict"], line["ok"]) == ("attributed_only", False)
    assert line["reasons"] == ["no canonical to the original, and not noindexed"]


@pytest.mark.integration
@pytest.mark.browser
def test_the_attribution_link_and_credit_text_and_the_similarity_are_recorded(
    checked: tuple[Any, ...], demo_copies: dict[str, Any]
) -> None:
    found = evidence(checked, demo_copies["self_canonical"])
    credit = found["attribution"]
    assert credit["visible"] and credit["followed"] and credit["in_raw"]
    assert credit["link"]["href"] == demo_copies["self_canonical"]["syndication"]["original"]
    assert credit["link"]["anchor"] == "Soilsmith" and credit["link"]["rel"] == []
    assert credit["text"]["phrase"] == "first appeared" and credit["text"]["where"] == "bottom"
    assert found["similarity"]["same_text"] and found["similarity"]["score"] > 0.5
    bare = evidence(checked, demo_copies["bare"])["attribution"]
    assert bare["link"] is None and bare["text"] is None


@pytest.mark.integration
@pytest.mark.browser
def test_campaign_copies_are_synced_and_listed_with_their_verdicts(
    checked: tuple[Any, ...], demo_copies: dict[str, Any]
) -> None:
    _, config, first, second = checked
    assert first.copies_synced == {"added": 1} and not second.copies_synced
    listed = prospector("--config", str(config), "syndication", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["url"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {p["url"] for p in demo_copies.values()}
    html = rows[demo_copies["canonical_html"]["url"]]
    assert (html["source"], html["campaign"], html["verdict"]) == (
        "campaign",
        "demo",
        "canonicalised",
    )
    assert rows[demo_copies["bare"]["url"]]["last_ok"] is False
    relaxed = prospector(
        "--config", str(config), "syndication", "add", demo_copies["bare"]["url"],
        "--original", demo_copies["bare"]["syndication"]["original"],
        "--require", "none", "--no-attribution",
    )  # fmt: skip
    assert relaxed.returncode == 0 and "changed" in relaxed.stdout


def test_the_demo_web_has_a_copy_for_each_way_of_canonicalising(
    demo_copies: dict[str, Any],
) -> None:
    assert set(demo_copies) == {
        "canonical_html",
        "canonical_header",
        "canonical_js",
        "noindex",
        "bare",
        "self_canonical",
    }
    for name in ("canonical_html", "canonical_header", "canonical_js"):
        page = demo_copies[name]
        assert page["canonical"] == page["syndication"]["original"]
        assert page["canonical_source"] == name.removeprefix("canonical_")


def test_attribution_text_says_where_the_credit_is() -> None:
    body = "A long story about compost. " * 20
    top = attribution_text("Originally published on Soilsmith.\n" + body)
    assert top is not None and top["where"] == "top"
    bottom = attribution_text(body + "\nRepublished with permission from Soilsmith.")
    assert bottom is not None and bottom["where"] == "bottom"
    assert attribution_text(body) is None
