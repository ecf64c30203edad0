"""Discovery against the demo web's ground truth: precision and recall per opportunity type.

The demo campaign runs twice (the second run gives dead links their confirming second check;
``discovery.confirm_dead_after_hours`` is 0 here so the runs may be minutes apart), searching
the demo web's own search engine. Expected:
- resource_page / guest_post: the truth's pages of that kind on sites about the campaign's
  topic (the site's relevance is not "none");
- broken_link: the truth's opportunities — (page, dead link) pairs.
A prospect counts in any state: one held back by the one-per-domain rule was still found.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospector.config import Settings, load_settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.discover.runner import DiscoverySummary
from prospector.pipeline import prospect_async
from prospector.store import open_db

ROOT = Path(__file__).resolve().parents[2]
TYPES = ("resource_page", "guest_post", "broken_link")


@dataclass
class Score:
    expected: int
    found: int
    correct: int
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


@dataclass
class Evaluation:
    scores: dict[str, Score]
    run_seconds: list[float]
    summaries: list[DiscoverySummary]


def settings_for(web: DemoWeb, work: Path, **fetch: Any) -> Settings:
    campaigns = work / "campaigns"
    campaigns.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "prospector" / "demo" / "demo.toml", campaigns / "demo.toml")
    return load_settings(
        None,
        env={},
        overrides={
            "database": str(work / "prospector.db"),
            "campaigns_dir": str(campaigns),
            "templates_dir": str(ROOT / "templates"),
            "network": {"resolve": web.resolve_map(), "ca_bundle": str(web.ca_pem_path)},
            "fetch": {
                "min_host_gap_s": 0.0,
                "timeout_s": 4.0,
                "connect_timeout_s": 3.0,
                "per_host_concurrency": 4,
                "global_concurrency": 64,
            }
            | fetch,
            "search": {
                "provider": "searxng",
                "searxng_url": "https://search.example",
                "pages_per_query": 2,
                "min_interval_s": 0.0,
            },
            "discovery": {
                "concurrency": 16,
                "confirm_dead_after_hours": 0.0,
                "recheck_after_hours": 0.0,
            },
            "wayback": {
                "availability_url": "https://archive.example/wayback/available",
                "cdx_url": "https://web.archive.example/cdx/search/cdx",
                "snapshot_url": "https://web.archive.example/web",
            },
        },
    )


def expected() -> dict[str, set[str]]:
    truth = default_world().truth()
    topical = {s["host"] for s in truth["sites"] if s["relevance"] != "none"}
    out: dict[str, set[str]] = {t: set() for t in TYPES}
    for page in truth["pages"]:
        if page["kind"] in ("resource_page", "guest_post") and page["host"] in topical:
            out[page["kind"]].add(page["url"])
    for opp in truth["opportunities"]:
        out["broken_link"].add(f"{opp['page']} -> {opp['href']}")
    return out


def found(settings: Settings) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {t: set() for t in TYPES}
    with open_db(settings.database) as store:
        rows = store.prospects("demo")  # every state: a held-back prospect was still found
    for row in rows:
        if row["type"] == "broken_link":
            for dead in row["evidence"]["dead_links"]:
                out["broken_link"].add(f"{row['url']} -> {dead['href']}")
        else:
            out[row["type"]].add(row["url"])
    return out


def evaluate(settings: Settings, runs: int = 2) -> Evaluation:
    seconds, summaries = [], []
    for _ in range(runs):
        started = time.monotonic()
        summaries += asyncio.run(prospect_async(settings, ["demo"]))
        seconds.append(round(time.monotonic() - started, 1))
    want, got = expected(), found(settings)
    scores = {}
    for kind in TYPES:
        correct = want[kind] & got[kind]
        scores[kind] = Score(
            len(want[kind]),
            len(got[kind]),
            len(correct),
            sorted(want[kind] - got[kind]),
            sorted(got[kind] - want[kind]),
        )
    return Evaluation(scores, seconds, summaries)
