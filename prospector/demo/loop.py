"""The demo's whole loop on the bundled web, with Prospector's real jobs:

discover + qualify + draft -> the demo approves the best few (recorded under the demo's
name, never a person's) -> send to a local SMTP sink -> the demo web "places" links on some
pitched pages -> replies arrive over IMAP (a private Dovecot, when installed) -> verify ->
the daily report.

Only what a person or the world outside would do is played by the demo: approving, a site
owner adding our link, mail coming back. Everything else is the product's own code.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prospector.campaigns import load_named
from prospector.config import Settings
from prospector.demo import letters
from prospector.demo.mail import Dovecot, SmtpSink
from prospector.demo.server import DemoWeb
from prospector.demo.workdir import DEMO_CAMPAIGN, PLACED_FILE
from prospector.inbox.poll import poll_replies
from prospector.outreach.context import replacement_for
from prospector.outreach.review import approve
from prospector.outreach.sender import send
from prospector.pipeline import list_prospects, prospect
from prospector.report.job import write_daily_report
from prospector.store import open_db
from prospector.verify.placements import record_placement
from prospector.verify.run import verify

AUTO_APPROVER = "demo (auto-approved for the demo)"
PLACER = "demo (recorded by the demo: no IMAP server to hear the replies)"
APPROVE_TOP = 5  # the demo approves the five best drafts
PLACE_AT_MOST = 3  # pitched resource and broken-link pages that "add" our link
DISCOVERY_RUNS = 2  # the second run gives dead links their confirming second check

Progress = Callable[[str, str, float], None]  # stage, what it did, seconds it took


@dataclass
class LoopReport:
    workdir: Path
    config: Path
    database: Path
    port: int
    sites: int
    pages: int
    smtp: str = ""
    imap: str = ""  # where the demo's Dovecot listened; "" when replies were skipped
    imap_skipped: str = ""
    stages: list[dict[str, Any]] = field(default_factory=list)
    prospects: dict[str, int] = field(default_factory=dict)  # by type (rejected ones left out)
    drafted: int = 0
    approved: list[int] = field(default_factory=list)
    not_approved: list[str] = field(default_factory=list)
    sent: int = 0
    sink_received: int = 0
    placed: list[dict[str, Any]] = field(default_factory=list)
    replies: dict[str, int] = field(default_factory=dict)
    placements_recorded_by: str = ""  # "reply" (over IMAP) or "demo"
    links: dict[str, int] = field(default_factory=dict)  # verify outcomes
    copies: dict[str, int] = field(default_factory=dict)  # verdicts
    copies_failing: int = 0
    alerts: int = 0
    report: str = ""
    daily: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def plural(count: int, word: str) -> str:
    """'1 pitch', '2 pitches', '3 syndicated copies', '5 mails'."""
    if count != 1:
        if word.endswith(("ch", "sh", "s", "x")):
            word += "es"
        elif word.endswith("y") and word[-2:-1] not in "aeiou":
            word = word[:-1] + "ies"
        else:
            word += "s"
    return f"{count} {word}"


def tally(counts: dict[str, int], plurals: bool = False) -> str:
    """'3 live, 1 lost' (most first); with ``plurals``, '3 positive replies, 1 hard bounce'."""
    out = []
    for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        label = kind.replace("_", " ")
        out.append(plural(n, label) if plurals else f"{n} {label}")
    return ", ".join(out) or "none"


def mail_label(item: dict[str, Any]) -> str:
    """'positive reply', 'hard bounce', 'auto-reply'... for one processed mail."""
    kind = str(item["kind"])
    if kind == "reply":
        return f"{item.get('intent') or 'neutral'} reply"
    if kind == "bounce":
        return f"{item.get('bounce_type') or 'soft'} bounce"
    return kind.replace("_", "-")


class DemoLoop:
    def __init__(
        self,
        settings: Settings,
        web: DemoWeb,
        sink: SmtpSink,
        dovecot: Dovecot | None,
        report: LoopReport,
        progress: Progress | None = None,
    ) -> None:
        self.settings = settings
        self.web = web
        self.sink = sink
        self.dovecot = dovecot
        self.report = report
        self.progress = progress or (lambda _stage, _line, _seconds: None)
        self.placed: list[dict[str, Any]] = []  # the pitches whose page now links to us

    def run(self) -> LoopReport:
        for name, stage in (
            ("prospect", self.prospect),
            ("approve", self.approve),
            ("send", self.send),
            ("place", self.place),
            ("replies", self.replies),
            ("verify", self.verify),
            ("report", self.write_report),
        ):
            self.step(name, stage)
        self.report.daily = list_prospects(self.settings, campaign=DEMO_CAMPAIGN)
        return self.report

    def step(self, name: str, stage: Callable[[], str]) -> None:
        started = time.monotonic()
        line = stage()
        seconds = round(time.monotonic() - started, 1)
        self.report.stages.append({"stage": name, "line": line, "seconds": seconds})
        self.progress(name, line, seconds)

    # -- the stages ----------------------------------------------------------------------------

    def prospect(self) -> str:
        pages = checked = drafted = 0
        for _ in range(DISCOVERY_RUNS):
            for summary in prospect(self.settings, [DEMO_CAMPAIGN]):
                pages += summary.pages
                checked += summary.links_checked
                drafted += int((summary.drafts or {}).get("drafted", 0))
        rows = list_prospects(self.settings, campaign=DEMO_CAMPAIGN)
        self.report.prospects = dict(Counter(str(r["type"]) for r in rows))
        self.report.drafted = drafted
        found = tally(self.report.prospects)
        return (
            f"{pages} pages read, {checked} links checked in {DISCOVERY_RUNS} runs (the second "
            f"confirms dead links); {plural(len(rows), 'prospect')} ({found}); "
            f"{plural(drafted, 'pitch')} drafted"
        )

    def approve(self) -> str:
        drafts = list_prospects(self.settings, campaign=DEMO_CAMPAIGN, states=["drafted"])
        ids = [int(r["id"]) for r in drafts[:APPROVE_TOP]]
        outcomes = approve(self.settings, ids, actor=AUTO_APPROVER)
        self.report.approved = [o.prospect_id for o in outcomes if o.done]
        self.report.not_approved = [f"#{o.prospect_id}: {o.detail}" for o in outcomes if not o.done]
        which = ", ".join(f"#{i}" for i in self.report.approved) or "none"
        return (
            f"the demo approved the top {len(self.report.approved)} of "
            f"{len(drafts)} drafts by score ({which}) as '{AUTO_APPROVER}' — "
            "in real use a person approves each pitch"
        )

    def send(self) -> str:
        summary = send(self.settings, campaign=DEMO_CAMPAIGN)
        self.report.sent = len(summary.sent)
        self.report.sink_received = len(self.sink.messages)
        line = (
            f"sent {plural(self.report.sent, 'pitch')} to the local SMTP sink on "
            f"{self.report.smtp} (it received {self.report.sink_received}; nothing leaves "
            "this machine)"
        )
        problems = len(summary.refused) + len(summary.deferred) + len(summary.unknown)
        if problems or summary.stopped:
            line += f"; {problems} not sent" + (f": {summary.stopped}" if summary.stopped else "")
        return line

    def _sent_pitches(self) -> list[dict[str, Any]]:
        """First messages that went out, best prospect first, each with its prospect."""
        with open_db(self.settings.database) as store:
            rows = [m for m in store.messages(["sent"], DEMO_CAMPAIGN) if m["step"] == 0]
            rows.sort(key=lambda m: (-(m.get("prospect_score") or 0), m["id"]))
            return [m | {"prospect": store.prospect(int(m["prospect_id"]))} for m in rows]

    def place(self) -> str:
        campaign = load_named(self.settings.campaigns_dir, DEMO_CAMPAIGN)
        pitches = [p for p in self._sent_pitches() if p["prospect"] is not None]
        chosen = [p for p in pitches if p["prospect"]["type"] != "guest_post"][:PLACE_AT_MOST]
        for pitch in chosen:
            offer = replacement_for(pitch["prospect"], campaign)
            self.web.place_link(pitch["prospect"]["url"], offer["url"], offer["title"])
            pitch["target"] = offer["url"]
            self.report.placed.append(
                {
                    "prospect": pitch["prospect_id"],
                    "page": pitch["prospect"]["url"],
                    "target": offer["url"],
                    "anchor": offer["title"],
                }
            )
        self.placed = chosen
        self.web.placed.save(self.report.workdir / PLACED_FILE)
        hosts = ", ".join(str(p["prospect"]["domain"]) for p in chosen) or "none"
        return (
            f"the demo web now links to Soilsmith from {plural(len(chosen), 'pitched page')} "
            f"({hosts}) — the demo playing the site owners"
        )

    def replies(self) -> str:
        if self.dovecot is None:
            return self._record_placements()
        placed = {int(p["id"]) for p in self.placed}
        others = [p for p in self._sent_pitches() if int(p["id"]) not in placed]
        mails = [letters.positive_reply(p, str(p["prospect"]["url"])) for p in self.placed]
        if others:
            mails.append(letters.hard_bounce(others[0]))
        if len(others) > 1:
            mails.append(letters.out_of_office(others[1]))
        self.dovecot.deliver(mails)
        summary = poll_replies(self.settings)
        self.report.replies = dict(Counter(mail_label(item) for item in summary.items))
        self.report.placements_recorded_by = "reply"
        return (
            f"{plural(summary.processed, 'mail')} read over IMAP from the demo's Dovecot on "
            f"{self.report.imap}: {tally(self.report.replies, plurals=True)} (the demo wrote "
            "them as the prospects); positive replies record the placements to verify"
        )

    def _record_placements(self) -> str:
        with open_db(self.settings.database) as store:
            for pitch in self.placed:
                record_placement(
                    store,
                    int(pitch["prospect_id"]),
                    str(pitch["prospect"]["url"]),
                    target=str(pitch["target"]),
                    campaign=DEMO_CAMPAIGN,
                    source="manual",
                    actor=PLACER,
                )
        self.report.placements_recorded_by = "demo"
        return (
            f"skipped: {self.report.imap_skipped}; the demo recorded the "
            f"{plural(len(self.placed), 'placement')} itself as '{PLACER}'"
        )

    def verify(self) -> str:
        summary = verify(self.settings, DEMO_CAMPAIGN)
        self.report.links = dict(summary.outcomes())
        self.report.copies = dict(summary.verdicts())
        self.report.copies_failing = sum(1 for c in summary.copies if c["ok"] is False)
        self.report.alerts = len(summary.alerts)
        return (
            f"{plural(len(summary.placements), 'earned link')} checked: "
            f"{tally(self.report.links)}; "
            f"{plural(len(summary.copies), 'syndicated copy')}: "
            f"{tally(self.report.copies)} "
            f"({self.report.copies_failing} failing); {plural(self.report.alerts, 'alert')}"
        )

    def write_report(self) -> str:
        path = write_daily_report(self.settings)
        self.report.report = str(path)
        return f"daily report written to {path}"
