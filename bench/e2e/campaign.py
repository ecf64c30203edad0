"""The campaign and the settings of one end-to-end run, written as the files a user writes.

The settings are Prospector's defaults except where :data:`CHANGED` says (each with why);
the report lists them. Nothing here changes a product default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from bench.e2e.web import OURS, PAGES_PER_SITE, WebSpec

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN = "e2e"
KEYWORDS = ["composting", "compost", "worm bin", "leaf mould", "garden soil"]
TARGETS = [
    {
        "url": f"https://{OURS}/guides/hot-composting",
        "title": "The complete guide to hot composting",
        "summary": "How to build, turn and troubleshoot a hot compost pile that finishes in weeks.",
        "keywords": ["hot composting", "compost temperature", "thermophilic"],
    },
    {
        "url": f"https://{OURS}/guides/vermicomposting-apartments",
        "title": "Vermicomposting in a small apartment",
        "summary": "Keeping a worm bin indoors without smells or fruit flies.",
        "keywords": ["worm bin", "vermicomposting", "red wigglers"],
    },
    {
        "url": f"https://{OURS}/guides/compost-troubleshooting",
        "title": "Compost troubleshooting: smells, flies and slow piles",
        "summary": "What a slimy, smelly or cold compost heap is telling you, and how to fix it.",
        "keywords": ["smelly compost", "compost problems"],
    },
    {
        "url": f"https://{OURS}/guides/leaf-mould",
        "title": "Making leaf mould from autumn leaves",
        "summary": "Turn fallen leaves into a crumbly soil conditioner with a bag or a wire bin.",
        "keywords": ["leaf mould", "leaf mold", "autumn leaves"],
    },
]
# (setting, value, Prospector's default, why) — every departure from the defaults
CHANGED: list[tuple[str, Any, Any, str]] = [
    (
        "fetch.min_host_gap_s",
        0.1,
        1.0,
        "a blog's 25 pages and 13 probed paths at one request a second would make the crawl "
        "a queue of per-host waits (4,000 pages: 160 hosts x 38 requests), not a measurement",
    ),
    ("fetch.per_host_concurrency", 4, 2, "the same reason"),
    ("discovery.concurrency", 16, 8, "pages in flight; the same reason"),
    ("discovery.max_pages_per_run", "2 x pages + 1,000", 2000, "generous: every page is read"),
    (
        "authority.providers",
        ["ranks", "link_graph"],
        ["ranks", "open_pagerank", "moz", "link_graph"],
        "the API providers would go to the internet (their keys are not set anyway)",
    ),
    (
        "wayback.enabled",
        False,
        True,
        "every confirmed dead link costs up to two requests to one archive host, one per "
        "min_host_gap_s: thousands of dead links would make that wait the whole run",
    ),
    ("sender", "a test identity", "(empty)", "without one nothing is drafted"),
]


def campaign_data(spec: WebSpec, blog_hosts: list[str]) -> dict[str, Any]:
    return {
        "name": CAMPAIGN,
        "description": f"End-to-end benchmark: {spec.pages:,} pages on {len(blog_hosts)} blogs.",
        "keywords": KEYWORDS,
        "opportunity_types": ["broken_link", "resource_page", "guest_post"],
        "targets": TARGETS,
        "seeds": {"sites": [f"https://{host}/" for host in blog_hosts]},
        "limits": {
            "max_pages_per_site": PAGES_PER_SITE + 15,
            "max_depth": 2,
            "max_prospects_per_run": 100_000,
        },
        "exclusions": {"domains": [OURS]},
    }


def settings_data(
    spec: WebSpec, info: dict[str, Any], work: Path, *, contexts: int | None = None
) -> dict[str, Any]:
    """The config file's content for a run against the server described by ``info``."""
    data: dict[str, Any] = {
        "database": str(work / "prospector.db"),
        "campaigns_dir": str(work / "campaigns"),
        "templates_dir": str(ROOT / "templates"),
        "outbox_dir": str(work / "outbox"),
        "reports_dir": str(work / "reports"),
        "network": {"resolve": info["resolve"], "ca_bundle": str(info["ca"])},
        "fetch": {"min_host_gap_s": 0.1, "per_host_concurrency": 4},
        "discovery": {"concurrency": 16, "max_pages_per_run": 2 * spec.pages + 1000},
        "authority": {"providers": ["ranks", "link_graph"]},
        "wayback": {"enabled": False},
        "sender": {
            "name": "Bench Sender",
            "email": f"outreach@{OURS}",
            "organisation": "Prospector benchmark",
            "postal_address": "1 Bench Street, Testville",
            "website": f"https://{OURS}/",
        },
    }
    if contexts is not None:
        data["browser"] = {"contexts": contexts}
    return data


def write_run_files(
    spec: WebSpec, info: dict[str, Any], work: Path, *, contexts: int | None = None
) -> Path:
    """Write ``work/prospector.toml`` and ``work/campaigns/e2e.toml``; the config's path."""
    (work / "campaigns").mkdir(parents=True, exist_ok=True)
    campaign = work / "campaigns" / f"{CAMPAIGN}.toml"
    campaign.write_text(
        tomli_w.dumps(campaign_data(spec, list(info["blog_hosts"]))), encoding="utf-8"
    )
    config = work / "prospector.toml"
    config.write_text(
        tomli_w.dumps(settings_data(spec, info, work, contexts=contexts)), encoding="utf-8"
    )
    return config
