"""Broken-link opportunities: an outbound link dead on two checks some hours apart (or at
once for NXDOMAIN and 410), on a relevant page, with what the dead page was and the
campaign page that can replace it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

DEAD_AT_ONCE_STATUSES = frozenset({"dead_domain"})
GONE = 410


@dataclass(frozen=True)
class DeadLink:
    """A link's confirmed death, with the checks that prove it."""

    url: str
    status: str
    http_status: int | None
    detail: str
    first_dead: str
    last_dead: str
    checks: int
    rule: str  # "at once: NXDOMAIN" | "at once: 410" | "dead on N checks Xh apart"

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "http_status": self.http_status,
            "detail": self.detail,
            "first_dead": self.first_dead,
            "last_dead": self.last_dead,
            "checks": self.checks,
            "rule": self.rule,
        }


def confirm_dead(history: Sequence[dict[str, Any]], confirm_hours: float) -> DeadLink | None:
    """Apply the two-checks rule to a URL's check history (oldest first)."""
    if not history:
        return None
    latest = history[-1]
    if latest["verdict"] != "dead":
        return None
    streak = []
    for row in reversed(history):
        if row["verdict"] != "dead":
            break
        streak.append(row)
    streak.reverse()
    first, last = streak[0], streak[-1]
    common = {
        "url": latest["url"],
        "status": latest["status"],
        "http_status": latest["http_status"],
        "detail": latest["detail"] or "",
        "first_dead": first["checked_at"],
        "last_dead": last["checked_at"],
        "checks": len(streak),
    }
    if latest["status"] in DEAD_AT_ONCE_STATUSES:
        return DeadLink(**common, rule="at once: the domain does not resolve (NXDOMAIN)")
    if latest["http_status"] == GONE:
        return DeadLink(**common, rule="at once: 410 Gone")
    if len(streak) < 2:
        return None
    hours = (_parse(last["checked_at"]) - _parse(first["checked_at"])).total_seconds() / 3600
    if hours + 1e-9 < confirm_hours:
        return None
    return DeadLink(**common, rule=f"dead on {len(streak)} checks {hours:.1f}h apart")


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)
