"""A database for the report tests: three pitches sent over real SMTP (aiosmtpd), replies,
placements (one lost later), a bounce, hostile prospects and links, a second campaign, an old
prospect, and link checks with anchors and rel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from prospector.config import Settings
from prospector.outreach.sender import send
from prospector.store import open_db
from tests.mailservers import SmtpSink
from tests.outreach_world import outreach_settings, seed
from tests.test_outreach_send import approved

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
FORMULA = '=HYPERLINK("https://evil.example","x")'
TARGET = "https://soilsmith.example/guides/vermicomposting-apartments"
HOSTILE_URL = "https://hostile.example/p?q=\"'<b>&x"


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


@dataclass
class World:
    settings: Settings
    config: Path
    ids: dict[str, int]


def _breakdown(reason: str) -> dict[str, Any]:
    return {
        "relevance": {"score": 88, "weight": 0.4, "reasons": [reason]},
        "authority": {"score": 60, "weight": 0.3, "reasons": ["tranco rank 12000"]},
    }


def _placement(store: Any, row: dict[str, Any], check: dict[str, Any] | None) -> int:
    table = store.db.table("placements")
    table.insert(
        {
            "campaign": "example",
            "source": "reply",
            "target": TARGET,
            "misses": 0,
            "created_at": ago(30),
            "updated_at": ago(0),
            **row,
        }
    )
    pid = int(table.last_pk)
    if check is not None:
        store.db.table("placement_checks").insert(
            {
                "placement_id": pid,
                "checked_at": ago(0.5),
                "outcome": check.pop("outcome", "live"),
                "page_verdict": "live",
                "page_status": "ok",
                "http_status": 200,
                "final_url": row.get("url"),
                "evidence": json.dumps({"link": {"found": True, **check}}),
            }
        )
    return pid


def _event(store: Any, entity: str, entity_id: int, kind: str, days: float) -> None:
    store.add_event(entity, str(entity_id), kind, "agent", {"to": kind})
    store.db.execute(
        "UPDATE events SET at = ? WHERE id = (SELECT max(id) FROM events)", [ago(days)]
    )


def build_world(work: Path) -> World:
    """Three pitches sent over real SMTP; two replies, two placements (one lost later), a
    bounce; hostile prospects; a second campaign; an old prospect; links with checks."""
    with SmtpSink() as sink:
        settings = outreach_settings(work, sink.port)
        garden, worms, soil = approved(settings)
        assert len(send(settings).sent) == 3 and len(sink.messages) == 3
    seed(
        settings,
        [
            {
                "type": "resource_page",
                "url": "https://oldlist.example/links",
                "title": "Old",
                "score": 50.0,
            },
            {"type": "resource_page", "url": HOSTILE_URL, "title": SCRIPT, "score": 0.0},
        ],
    )
    with open_db(settings.database) as store:
        ids = {row["url"].split("/")[2]: row["id"] for row in store.prospects()}
        old, hostile = ids["oldlist.example"], ids["hostile.example"]
        store.save_score(hostile, 91.0, _breakdown(f"matched {SCRIPT} {IMG}"), state="qualified")
        store.db.execute("UPDATE prospects SET created_at = ? WHERE id = ?", [ago(30), old])
        js = store.add_prospect("example", "guest_post", JS_URL, "js.example", {})
        assert js is not None
        store.save_score(js, 55.0, _breakdown("javascript link"), state="qualified")
        other = store.add_prospect(
            "other", "guest_post", "https://else.example/w", "else.example", {}
        )
        assert other is not None
        store.save_score(other, 40.0, {}, state="qualified")
        store.set_prospect_state(other, "rejected", actor="tester", reason="paid only")
        for pid, states in ((garden, ["replied", "placed", "live"]), (soil, ["bounced"])):
            for state in states:
                store.set_prospect_state(pid, state, actor="agent")
        for state in ("replied", "placed", "live", "lost"):
            store.set_prospect_state(worms, state, actor="agent")
        store.db.table("replies").insert(
            {
                "mailbox": "INBOX",
                "uidvalidity": 1,
                "uid": 1,
                "kind": "reply",
                "intent": "positive",
                "prospect_id": garden,
                "processed_at": ago(1),
            }
        )
        # links: two on gardenhaven.example (one downgraded: sponsored), one lost, one on
        # example.org with a hostile anchor, one with a javascript: URL never checked
        live = _placement(
            store,
            {
                "prospect_id": garden,
                "url": "https://gardenhaven.example/resources",
                "anchor": "vermicomposting guide",
                "state": "live",
                "live_since": ago(2),
            },
            {"anchor": "vermicomposting  guide", "rel": []},
        )
        lost = _placement(
            store,
            {
                "prospect_id": worms,
                "url": "https://wormfarm.example/links",
                "state": "lost",
                "live_since": ago(10),
                "lost_at": ago(1),
            },
            {"anchor": IMG, "rel": ["nofollow"]},
        )
        sponsored = _placement(
            store,
            {"url": "https://blog.gardenhaven.example/post", "state": "downgraded"},
            {"outcome": "downgraded", "anchor": "vermicomposting guide", "rel": ["sponsored"]},
        )
        ugc = _placement(
            store,
            {"url": "https://news.example.org/a", "state": "live", "live_since": ago(20)},
            {"anchor": SCRIPT, "rel": "nofollow ugc"},
        )
        _placement(
            store,
            {"url": JS_URL, "anchor": FORMULA, "state": "live", "live_since": ago(1)},
            None,
        )
        _placement(store, {"url": None, "state": "pending", "prospect_id": soil}, None)
        for pid, kind, days in (
            (live, "live", 2),
            (lost, "live", 10),
            (lost, "lost", 1),
            (sponsored, "downgraded", 3),
            (ugc, "live", 20),
        ):
            _event(store, "placement", pid, kind, days)
    config = work / "prospector.toml"
    config.write_text(tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True)))
    ids.update(garden=garden, worms=worms, soil=soil, js=js, other=other, old=old)
    return World(settings, config, ids)
