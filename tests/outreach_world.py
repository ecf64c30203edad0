"""A database of qualified prospects for the example campaign, and settings that send to a
local SMTP server: the starting point of the outreach tests (no web needed)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prospector.config import Settings, load_settings
from prospector.store import open_db

ROOT = Path(__file__).resolve().parent.parent
POSTAL = "Soilsmith Ltd, 12 Loam Lane, Compton CA 90220, USA"

PROSPECTS: list[dict[str, Any]] = [
    {
        "type": "broken_link",
        "url": "https://gardenhaven.example/resources",
        "title": "Composting resources",
        "email": "editor@gardenhaven.example",
        "name": "Grace Hopper",
        "score": 82.0,
    },
    {
        "type": "resource_page",
        "url": "https://wormfarm.example/links",
        "title": "Useful links on worms",
        "email": "hello@wormfarm.example",
        "name": "",
        "score": 71.0,
    },
    {
        "type": "guest_post",
        "url": "https://soilblog.example/write-for-us",
        "title": "Write for us",
        "email": "pitches@soilblog.example",
        "name": "Ada Lovelace",
        "score": 64.0,
    },
]


def window_now(hours: float = 3.0) -> str:
    """A send window (UTC) that is open now and for ``hours`` either side."""
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=hours), now + timedelta(hours=hours)
    return f"{start:%H:%M}-{end:%H:%M}"


def outreach_settings(work: Path, smtp_port: int = 0, **sections: Any) -> Settings:
    campaigns = work / "campaigns"
    campaigns.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "campaigns" / "example.toml", campaigns / "example.toml")
    overrides: dict[str, Any] = {
        "database": str(work / "prospector.db"),
        "campaigns_dir": str(campaigns),
        "templates_dir": str(ROOT / "templates"),
        "outbox_dir": str(work / "outbox"),
        "smtp": {"host": "127.0.0.1", "port": smtp_port or 25, "security": "none"},
        "sender": {
            "name": "Sam Rivera",
            "email": "outreach@soilsmith.example",
            "organisation": "Soilsmith",
            "postal_address": POSTAL,
            "timezone": "UTC",
            "unsubscribe_url": "https://soilsmith.example/unsubscribe?t={token}",
        },
        "sending": {
            "window": window_now(),
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "min_gap_s": 0.0,
            "jitter_s": 0.0,
        },
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(overrides.get(key), dict):
            overrides[key] = {**overrides[key], **value}
        else:
            overrides[key] = value
    return load_settings(None, env={}, overrides=overrides)


def seed(settings: Settings, prospects: list[dict[str, Any]] | None = None) -> list[int]:
    """Qualified prospects with an email contact each, as discovery and qualify leave them."""
    ids = []
    with open_db(settings.database) as store:
        for spec in prospects if prospects is not None else PROSPECTS:
            url = spec["url"]
            domain = url.split("/")[2]
            evidence: dict[str, Any] = {"page": {"title": spec["title"], "url": url}}
            if spec["type"] == "broken_link":
                evidence["dead_links"] = [
                    {
                        "href": "https://oldgardenmag.example/articles/worm-composting-basics",
                        "anchor": "worm composting basics",
                        "status": "not_found",
                        "rule": "two_checks",
                        "wayback": {
                            "url": "https://oldgardenmag.example/articles/worm-composting-basics",
                            "snapshot_url": "https://web.archive.example/web/20200101000000/x",
                            "timestamp": "20200101000000",
                            "title": "Worm composting basics",
                            "last_good": "2020-01-01",
                        },
                        "replacement": {
                            "url": "https://soilsmith.example/guides/vermicomposting-apartments",
                            "title": "Vermicomposting in a small apartment",
                        },
                    }
                ]
            pid = store.add_prospect("example", spec["type"], url, domain, evidence)
            assert pid is not None
            store.save_score(pid, spec["score"], {}, state="qualified")
            if spec.get("email"):
                store.db.table("contacts").insert(
                    {
                        "prospect_id": pid,
                        "email": spec["email"],
                        "name": spec.get("name") or None,
                        "kind": "role",
                        "source": "contact:mailto",
                        "source_url": url,
                        "confidence": 0.9,
                        "found_at": "2026-01-01T00:00:00+00:00",
                    }
                )
            ids.append(pid)
    return ids
