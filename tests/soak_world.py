"""The soak's world: ten campaigns on the local web, the agent's config on a compressed
schedule, and what people do between the agent's jobs — the specialist approving drafts, the
prospects answering over IMAP, their sites adding our link, and the nights passing."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from prospector.campaigns import load_named
from prospector.config import JOBS, Settings
from prospector.demo import letters
from prospector.demo.server import DemoWeb
from prospector.demo.workdir import SENDER
from prospector.outreach.context import replacement_for
from prospector.outreach.review import approve
from prospector.store import open_db
from prospector.workspace import bundled_templates_dir
from tests.conftest import settings_for
from tests.mailservers import Dovecot, SmtpSink

DAY_S = 60  # one day of the schedule lasts a minute: 1,440 times faster than real time
# seconds into the day at which each job runs: prospect gets the morning (on the first day
# it reads the whole web); verify comes last, so that the soak can end during one
OFFSETS = {"prospect": 0, "followups": 38, "send": 40, "replies": 44, "report": 46, "verify": 48}
APPROVE_PER_CAMPAIGN = 2
SPECIALIST = "soak test (playing the specialist)"
IMAP_PASSWORD_ENV = "SOAK_IMAP_PASSWORD"

GUIDES = "https://soilsmith.example/guides/"
# name: (our guide, its title, keywords, the site explored as a seed)
CAMPAIGNS: dict[str, tuple[str, str, list[str], str]] = {
    "hot-heaps": ("hot-composting", "Hot composting", ["hot composting"], "compostcorner"),
    "worm-bins": (
        "vermicomposting-apartments",
        "A worm bin indoors",
        ["worm bin"],
        "wormwhisperer",
    ),
    "fix-compost": (
        "compost-troubleshooting",
        "Compost troubleshooting",
        ["smelly compost", "compost problems"],
        "citycompost",
    ),
    "leaf-mould": ("leaf-mould", "Making leaf mould", ["leaf mould"], "leafandloam"),
    "bokashi": ("bokashi-basics", "Bokashi basics", ["bokashi"], "bokashibucket"),
    "bins": (
        "choosing-a-compost-bin",
        "Choosing a compost bin",
        ["compost bin"],
        "kitchengardener",
    ),
    "mulch": ("leaf-mould", "Leaf mould as a mulch", ["mulch"], "pottingbench"),
    "soil": ("hot-composting", "Compost for soil health", ["soil health"], "extension.greenvalley"),
    "small-spaces": (
        "vermicomposting-apartments",
        "Composting in a small flat",
        ["apartment composting", "worm farm"],
        "urbanplot",
    ),
    "wildlife": ("leaf-mould", "Leaf piles for wildlife", ["wildlife gardening"], "backyardbiome"),
}
SYNDICATED = {
    "hot-heaps": ("https://greennewswire.example/stories/hot-composting", "hot-composting"),
    "leaf-mould": ("https://ecodigest.example/stories/leaf-mould", "leaf-mould"),
}


def compressed_hours(hours: float) -> float:
    return hours * DAY_S / 86400


def write_campaigns(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (guide, title, keywords, seed) in CAMPAIGNS.items():
        data: dict[str, Any] = {
            "name": name,
            "description": f"Soak: links to our guide, {title.lower()}.",
            "keywords": keywords,
            "opportunity_types": ["broken_link", "resource_page", "guest_post"],
            "targets": [
                {"url": GUIDES + guide, "title": title, "summary": f"{title}, step by step."}
            ],
            "seeds": {"sites": [f"https://{seed}.example/"]},
            "footprints": {
                "resource_page": ["{kw} intitle:resources"],
                "guest_post": ['{kw} "write for us"'],
                "broken_link": [],
            },
            "limits": {"max_pages_per_site": 8, "max_depth": 1},
            "exclusions": {"domains": ["soilsmith.example"]},
            "followups": [
                {"after_days": 2, "template": "followup_1.j2"},
                {"after_days": 4, "template": "followup_2.j2"},
            ],
        }
        if name in SYNDICATED:
            url, original = SYNDICATED[name]
            data["syndicated"] = [{"url": url, "original": GUIDES + original}]
        (folder / f"{name}.toml").write_text(tomli_w.dumps(data))


def schedule(now: datetime) -> dict[str, str]:
    """Each job once a minute at its offset into the day; the first day starts a few seconds
    from now (a job whose offset wraps past the minute also runs once before it: day 0)."""
    first = now.second + 8
    return {job: f"{(first + OFFSETS[job]) % 60} * * * * *" for job in JOBS}


def write_config(work: Path, web: DemoWeb, smtp: SmtpSink, imap: Dovecot) -> Path:
    """The agent's config: the local web, the sink, Dovecot, the compressed schedule. Hours
    are compressed like the days, except ``recheck_after_hours``: a link checked today is
    not checked again in the week (one day's recheck of every link would outlast the day)."""
    settings = settings_for(
        web,
        work,
        templates_dir=str(bundled_templates_dir()),
        reports_dir=str(work / "reports"),
        outbox_dir=str(work / "outbox"),
        fetch={"timeout_s": 2.0, "connect_timeout_s": 1.0, "retries": 1, "max_retry_after_s": 1.0},
        discovery={
            "concurrency": 16,
            "probe_paths": ["/write-for-us/", "/resources/", "/links/", "/contribute/"],
            "recheck_after_hours": 20.0,
            "confirm_dead_after_hours": compressed_hours(6.0),
        },
        search={
            "provider": "searxng",
            "searxng_url": "https://search.example",
            "min_interval_s": 0.0,
        },
        wayback={
            "availability_url": "https://archive.example/wayback/available",
            "cdx_url": "https://web.archive.example/cdx/search/cdx",
            "snapshot_url": "https://web.archive.example/web",
        },
        sender=SENDER,
        smtp={"host": "127.0.0.1", "port": smtp.port, "security": "none"},
        imap={
            "host": "127.0.0.1",
            "port": imap.port,
            "security": "none",
            "username": imap.user,
            "password_env": IMAP_PASSWORD_ENV,
            "soft_bounce_retry_hours": compressed_hours(24.0),
        },
        sending={
            "window": "00:00-23:59",
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "min_gap_s": 0.0,
            "jitter_s": 0.0,
            "retry_after_minutes": compressed_hours(0.5) * 60,
            "reconcile_after_minutes": compressed_hours(0.25) * 60,
        },
    )
    write_campaigns(settings.campaigns_dir)
    data = settings.model_dump(mode="json", exclude_none=True)
    data["schedule"] = {**schedule(datetime.now(UTC)), "timezone": "UTC"}
    path = work / "prospector.toml"
    path.write_text(tomli_w.dumps(data))
    return path


class World:
    """What the specialist, the prospects and their sites do between the agent's jobs."""

    def __init__(self, settings: Settings, web: DemoWeb, dovecot: Dovecot) -> None:
        self.settings = settings
        self.web = web
        self.dovecot = dovecot
        self.answered: set[int] = set()
        self.did: Counter[str] = Counter()
        self.journal: list[str] = []  # what the world did when

    def note(self, what: str) -> None:
        self.journal.append(f"{datetime.now(UTC).isoformat(timespec='milliseconds')} {what}")

    def approve_best(self) -> None:
        """The specialist approves the best drafts of each campaign."""
        with open_db(self.settings.database) as store:
            drafts = store.prospects(states=["drafted"])
        drafts.sort(key=lambda r: (-(r.get("score") or 0), r["id"]))
        chosen: list[int] = []
        per: Counter[str] = Counter()
        for row in drafts:
            if per[row["campaign"]] < APPROVE_PER_CAMPAIGN:
                per[row["campaign"]] += 1
                chosen.append(int(row["id"]))
        done = sum(1 for o in approve(self.settings, chosen, actor=SPECIALIST) if o.done)
        self.did["approved"] += done
        self.note(f"approved {done} of {len(drafts)} drafts")

    def answer(self) -> None:
        """Every pitch sent since the last time gets its answer (or none): in turn a positive
        reply (and the page links to us), silence, an out-of-office, silence, a hard bounce.
        Follow-ups get none."""
        with open_db(self.settings.database) as store:
            new = [m for m in store.messages(["sent"]) if m["id"] not in self.answered]
            prospects = {int(m["prospect_id"]): store.prospect(int(m["prospect_id"])) for m in new}
        for pitch in new:
            self.answered.add(int(pitch["id"]))
            if pitch["step"] != 0:
                self.did["followups_sent"] += 1
                continue
            self._react(pitch, prospects[int(pitch["prospect_id"])] or {}, len(self.answered) % 5)
        self.note(f"answered {len(new)} messages")

    def _react(self, pitch: dict[str, Any], prospect: dict[str, Any], turn: int) -> None:
        if turn == 0 and prospect.get("type") != "guest_post":
            campaign = load_named(self.settings.campaigns_dir, str(pitch["campaign"]))
            offer = replacement_for(prospect, campaign)
            self.web.place_link(str(prospect["url"]), offer["url"], offer["title"])
            self.dovecot.deliver(letters.positive_reply(pitch, str(prospect["url"])))
            self.did["positive_replies"] += 1
        elif turn == 2:
            self.dovecot.deliver(letters.out_of_office(pitch))
            self.did["out_of_office"] += 1
        elif turn == 4:
            self.dovecot.deliver(letters.hard_bounce(pitch))
            self.did["hard_bounces"] += 1
        else:
            self.did["silence"] += 1

    def night(self) -> None:
        """A day passes for the mail: every time a message was approved or sent moves one day
        back (follow-ups count days since the pitch, caps count today's sends). One statement,
        so a message the agent is sending meanwhile is not overwritten with what it was."""
        back = ", ".join(
            f"{c} = strftime('%Y-%m-%dT%H:%M:%S+00:00', {c}, '-1 day')"
            for c in ("approved_at", "sending_at", "sent_at")
        )
        with sqlite3.connect(self.settings.database, timeout=30) as db:
            db.execute(f"UPDATE messages SET {back}")
        db.close()
        self.note("night: the mail aged by a day")
