"""The agent's schedule: a cron expression per job. Part of ``prospector.config``
(re-exported there)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from prospector.mail_settings import zone_name
from prospector.validation import Strict

JOBS = ("prospect", "send", "followups", "replies", "verify", "report")


def cron_trigger(value: str, timezone: str | None = None) -> Any:
    """An APScheduler ``CronTrigger`` from "min hour day month dow", or from six fields with
    seconds first ("sec min hour day month dow"). Days of the week must be names (mon-fri):
    cron counts 0 as Sunday, APScheduler 3 as Monday, so a number would silently shift."""
    from apscheduler.triggers.cron import CronTrigger

    fields = value.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"it has {len(fields)} fields, not 5 (or 6)")
    second = fields[0] if len(fields) == 6 else "0"
    minute, hour, day, month, dow = fields[-5:]
    if re.search(r"(^|[^/\d])\d", dow):
        raise ValueError(f"day of week '{dow}': use names (mon-fri, sat,sun), not numbers")
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=dow,
        timezone=timezone,
    )


def _cron(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        return value
    try:
        cron_trigger(value, "UTC")
    except ValueError as exc:
        raise ValueError(
            f"'{value}' is not a cron expression ([sec] min hour day month dow): {exc}"
        ) from None
    return value


class ScheduleSettings(Strict):
    """When the agent runs each job (cron: minute hour day month day-of-week, or six fields
    with seconds first); "" = never."""

    prospect: str = "0 6 * * *"
    send: str = "*/15 9-17 * * mon-fri"
    followups: str = "0 8 * * *"
    replies: str = "*/10 * * * *"
    verify: str = "0 3 * * *"
    report: str = "30 7 * * *"
    timezone: str = ""
    misfire_grace_s: int = Field(3600, ge=1)

    @field_validator("prospect", "send", "followups", "replies", "verify", "report")
    @classmethod
    def _check(cls, value: str) -> str:
        return _cron(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return zone_name(value) if value else value
