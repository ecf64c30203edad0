"""When mail may go out: the send window in the sender's time zone, the calendar day the
daily caps count, and the gap between two messages. Pure functions of the clock."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from prospector.config import WEEKDAYS, SendingSettings


@dataclass(frozen=True)
class Window:
    start: time
    end: time
    days: frozenset[int]  # 0 = Monday
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, sending: SendingSettings, timezone: str) -> Window:
        start, _, end = sending.window.partition("-")
        return cls(
            start=time.fromisoformat(start),
            end=time.fromisoformat(end),
            days=frozenset(WEEKDAYS.index(day) for day in sending.days),
            zone=ZoneInfo(timezone),
        )

    def describe(self) -> str:
        days = ", ".join(WEEKDAYS[d].capitalize() for d in sorted(self.days))
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}, {days}"

    def _opening(self, day: datetime) -> tuple[datetime, datetime]:
        """The window that opens on ``day``'s date (local), as (opens, closes)."""
        opens = datetime.combine(day.date(), self.start, self.zone)
        closes = datetime.combine(day.date(), self.end, self.zone)
        if self.end <= self.start:  # spans midnight
            closes += timedelta(days=1)
        return opens, closes

    def current(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The open window containing ``now`` (opens, closes), or None when closed."""
        local = now.astimezone(self.zone)
        for back in (0, 1):
            day = local - timedelta(days=back)
            if day.weekday() not in self.days:
                continue
            opens, closes = self._opening(day)
            if opens <= local < closes:
                return opens, closes
        return None

    def is_open(self, now: datetime) -> bool:
        return self.current(now) is not None

    def closes_at(self, now: datetime) -> datetime | None:
        found = self.current(now)
        return found[1] if found else None

    def next_open(self, now: datetime) -> datetime:
        """When the window next opens (``now`` itself when it is open)."""
        if self.is_open(now):
            return now
        local = now.astimezone(self.zone)
        for ahead in range(0, 8):
            day = local + timedelta(days=ahead)
            if day.weekday() not in self.days:
                continue
            opens, _ = self._opening(day)
            if opens > local:
                return opens
        raise AssertionError("a window with at least one day opens within a week")


def day_start(now: datetime, timezone: str) -> str:
    """The start of ``now``'s calendar day in ``timezone``, as a UTC ISO time (what the
    daily caps count from)."""
    local = now.astimezone(ZoneInfo(timezone))
    midnight = datetime.combine(local.date(), time(0, 0), local.tzinfo)
    return midnight.astimezone(UTC).isoformat(timespec="seconds")


def gap_s(sending: SendingSettings, rng: random.Random) -> float:
    """Seconds between two messages from one mailbox: the minimum plus random jitter."""
    return sending.min_gap_s + (rng.uniform(0, sending.jitter_s) if sending.jitter_s else 0.0)
