"""What a send run produces: its summary, the queue of messages ready to go, and the
``.eml`` files of a dry run."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from prospector.errors import UserError
from prospector.outreach.followups import FollowupSummary
from prospector.outreach.reconcile import ReconcileSummary
from prospector.private import private_dir, write_private
from prospector.store.db import Store


@dataclass
class SendSummary:
    dry_run: bool
    sent: list[dict[str, Any]] = field(default_factory=list)
    written: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    deferred: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    stopped: str = ""
    window: str = ""
    next_window: str = ""
    queued: int = 0
    reconciled: ReconcileSummary = field(default_factory=ReconcileSummary)
    followups: FollowupSummary = field(default_factory=FollowupSummary)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "sent": self.sent,
            "written": self.written,
            "refused": self.refused,
            "deferred": self.deferred,
            "unknown": self.unknown,
            "cancelled": self.cancelled,
            "skipped": self.skipped,
            "stopped": self.stopped,
            "window": self.window,
            "next_window": self.next_window,
            "queued": self.queued,
            "reconciled": vars(self.reconciled),
            "followups": vars(self.followups),
        }

    def counts(self) -> dict[str, int]:
        return {
            "sent": len(self.sent),
            "written": len(self.written),
            "refused": len(self.refused),
            "deferred": len(self.deferred),
            "unknown": len(self.unknown),
            "cancelled": len(self.cancelled),
        }


def ready_queue(store: Store, now: datetime, campaign: str | None) -> list[dict[str, Any]]:
    """Approved messages ready to go: follow-ups first (they are time-bound), then the best
    prospects."""
    stamp = now.isoformat(timespec="seconds")
    rows = [
        m
        for m in store.messages(["approved"], campaign)
        if not m.get("next_attempt_at") or m["next_attempt_at"] <= stamp
    ]
    rows.sort(key=lambda m: (m["step"] == 0, -(m.get("prospect_score") or 0), m["id"]))
    return rows


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]+", "_", text).lstrip(".")[:80]


def write_eml(outbox: Path, message: dict[str, Any], data: bytes) -> Path:
    """Write one message as an .eml file, readable by its owner only (0600, in a folder
    created 0700), replaced atomically when written again."""
    name = f"{message['id']:06d}-step{message['step']}-{_safe_name(message['to_email'])}.eml"
    try:
        private_dir(outbox)
        return write_private(outbox / name, data)
    except OSError as exc:
        raise UserError(f"{outbox / name}: cannot write: {exc.strerror}") from None
