"""The qualify stage on the demo web's ground truth: relevant legitimate prospects outrank
off-topic ones, spam is removed with its reasons, and every score explains itself."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bench.discovery.evaluate import settings_for
from prospector.campaigns import load_campaign
from prospector.config import Settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.discover.runner import _snapshot
from prospector.qualify.facts import page_facts
from prospector.qualify.stage import qualify
from prospector.store import open_db
from prospector.store.discovery import Candidate
from prospector.web.extract import extract
from prospector.web.fetch import Fetcher
from prospector.web.urls import host_of, registrable_domain
from tests.cli_helpers import prospector

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parent.parent
SPAMMY = {"spam", "link_farm", "pbn", "parked"}


def chosen_pages() -> dict[str, dict[str, Any]]:
    """Resource and guest-post pages of every site, and spam, farm, PBN and parked pages."""
    truth = default_world().truth()
    sites = {s["host"]: s for s in truth["sites"]}
    out = {}
    for page in truth["pages"]:
        site = sites[page["host"]]
        if page["kind"] in ("resource_page", "guest_post") or (
            site["kind"] in SPAMMY and page["kind"] in ("home", "link_farm", "parked", "spam")
        ):
            out[page["url"]] = {"site": site, "page": page}
    return out


async def seed(settings: Settings, pages: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Read each page as discovery would and record it as a new prospect."""
    ids: dict[str, int] = {}
    with open_db(settings.database) as store:
        store.add_candidates("demo", [Candidate(url, "seed") for url in pages])
        async with Fetcher(settings) as fetcher:
            for row in store.pending_candidates("demo"):
                fetched = await fetcher.fetch(row["url"])
                html = fetched.text()
                extraction = extract(html, fetched.final_url, fetched.headers)
                page_id = store.save_page(
                    _snapshot(row["url"], fetched.final_url, fetched.status, extraction, False)
                )
                store.save_page_facts(page_id, page_facts(extraction, html, fetched.final_url))
                store.finish_candidate(row["id"], "done", json.dumps({"on_topic": True}))
                kind = pages[row["url"]]["page"]["kind"]
                new = store.add_prospect(
                    "demo",
                    kind if kind in ("resource_page", "guest_post") else "resource_page",
                    row["url"],
                    registrable_domain(host_of(row["url"])),
                    {},
                    page_id=page_id,
                )
                assert new is not None
                ids[row["url"]] = new
        async with Fetcher(settings) as fetcher:
            await qualify(
                settings, load_campaign(ROOT / "prospector" / "demo" / "demo.toml"), store, fetcher
            )
    return ids


def test_relevant_prospects_outrank_off_topic_ones_and_spam_is_removed(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    settings = settings_for(demo_web, tmp_path)
    pages = chosen_pages()
    ids = asyncio.run(seed(settings, pages))
    with open_db(settings.database) as store:
        rows = {url: store.prospect(pid) for url, pid in ids.items()}
    scored = {url: row for url, row in rows.items() if row is not None}
    spam = {u: r for u, r in scored.items() if pages[u]["site"]["kind"] in SPAMMY}
    legit = {u: r for u, r in scored.items() if u not in spam}
    relevant = {u: r for u, r in legit.items() if pages[u]["site"]["relevance"] == "high"}
    off_topic = {u: r for u, r in legit.items() if pages[u]["site"]["relevance"] == "none"}
    assert spam and relevant and off_topic
    for url, row in spam.items():
        assert row["state"] == "rejected", url
        assert row["evidence"]["rejected_reason"].startswith("spam score"), url
    for url, row in relevant.items():
        assert row["state"] == "qualified", (url, row["evidence"].get("rejected_reason"))
    worst_relevant = min(r["score"] for r in relevant.values())
    best_off_topic = max(r["score"] for r in off_topic.values())
    assert worst_relevant > best_off_topic
    for row in scored.values():
        for component in ("relevance", "authority", "quality", "fit", "spam", "contact"):
            part = row["scores"][component]
            assert 0 <= part["score"] <= 100 and part["reasons"], (component, row["url"])
        assert "provider" in row["scores"]["authority"]["evidence"]  # None: nobody knows it

    config = tmp_path / "p.toml"
    import tomli_w

    config.write_text(tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True)))
    listed = prospector(
        "--config", str(config), "prospects", "--csv", "--min-score", str(worst_relevant)
    )
    assert listed.returncode == 0, listed.stderr
    table = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert table and all(float(r["score"]) >= worst_relevant for r in table)
    assert [float(r["score"]) for r in table] == sorted(
        (float(r["score"]) for r in table), reverse=True
    )
    best = relevant[min(relevant, key=lambda u: -relevant[u]["score"])]
    shown = json.loads(
        prospector("--config", str(config), "show", str(best["id"]), "--json").stdout
    )
    assert shown["prospect"]["id"] == best["id"]
    assert shown["contacts"] and shown["history"]
    assert {e["kind"] for e in shown["history"]} >= {"found", "qualified"}
