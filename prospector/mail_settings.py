"""Settings of the mail side: the SMTP and IMAP servers, the sender's identity, and when
and how fast pitches go out. Part of ``prospector.config`` (re-exported there)."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, field_validator

from prospector.errors import ConfigError
from prospector.validation import Strict

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_name(value: str, key: str) -> str:
    if value and not ENV_NAME.match(value):
        raise ValueError(f"{key} must name an environment variable, e.g. PROSPECTOR_SMTP_PASSWORD")
    return value


class MailServer(Strict):
    host: str = ""
    username: str = ""
    password_env: str = ""
    timeout_s: float = Field(30.0, gt=0)

    @field_validator("password_env")
    @classmethod
    def _check_env(cls, value: str) -> str:
        return env_name(value, "password_env")

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def password(self) -> str | None:
        """The secret from the environment variable this section names, if any."""
        if not self.password_env:
            return None
        secret = os.environ.get(self.password_env)
        if secret is None:
            raise ConfigError(f"{self.password_env} is not set (named by password_env)")
        return secret


class SmtpSettings(MailServer):
    port: int = Field(587, gt=0, lt=65536)
    security: Literal["starttls", "tls", "none"] = "starttls"
    max_per_day: int = Field(50, ge=0)


class ImapSettings(MailServer):
    port: int = Field(993, gt=0, lt=65536)
    security: Literal["starttls", "tls", "none"] = "tls"
    mailbox: str = "INBOX"
    sent_mailbox: str = ""
    batch: int = Field(200, ge=1, le=5000)
    auto_reply_pause_days: float = Field(3.0, ge=0)
    soft_bounce_retry_hours: float = Field(24.0, ge=0)


_EMAIL = re.compile(r"^[^@\s<>,;\"()\[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def zone_name(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not a time zone (e.g. Europe/London)") from None
    return value


def _email(value: str, key: str) -> str:
    value = value.strip()
    if value and not _EMAIL.match(value):
        raise ValueError(f"{key} '{value}' is not an email address")
    return value


class SenderSettings(Strict):
    """Who the pitches come from: the identity, the postal address the law asks for, and
    how a recipient unsubscribes."""

    name: str = ""
    email: str = ""
    reply_to: str = ""
    organisation: str = ""
    postal_address: str = ""
    website: str = ""
    timezone: str = "UTC"
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""

    @field_validator("email", "reply_to", "unsubscribe_mailto")
    @classmethod
    def _address(cls, value: str) -> str:
        return _email(value, "address")

    @field_validator("name", "organisation")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("must be one line without control characters")
        return value.strip()

    @field_validator("postal_address")
    @classmethod
    def _postal(cls, value: str) -> str:
        if any((ord(ch) < 32 and ch != "\n") or ord(ch) == 127 for ch in value):
            raise ValueError("must not contain control characters (newlines are fine)")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return zone_name(value)

    @field_validator("unsubscribe_url")
    @classmethod
    def _unsubscribe(cls, value: str) -> str:
        if not value:
            return value
        if not value.startswith("https://") or "{token}" not in value:
            raise ValueError(
                "must be an https:// URL containing {token} "
                "(one-click unsubscribe needs HTTPS, RFC 8058)"
            )
        return value

    def missing_for_sending(self) -> list[str]:
        """The keys a pitch cannot go out without."""
        return [
            f"sender.{key}"
            for key in ("name", "email", "postal_address")
            if not getattr(self, key).strip()
        ]

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()

    @property
    def unsubscribe_address(self) -> str:
        return self.unsubscribe_mailto or self.email


class SendingSettings(Strict):
    """When and how fast pitches go out."""

    window: str = "09:00-17:00"
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    max_per_day: int = Field(100, ge=0)
    min_gap_s: float = Field(90.0, ge=0)
    jitter_s: float = Field(60.0, ge=0)
    followups_need_approval: bool = False
    max_attempts: int = Field(3, ge=1, le=20)
    retry_after_minutes: float = Field(30.0, ge=0)
    reconcile_after_minutes: float = Field(15.0, ge=0)
    copy_to_self: bool = False

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        start, sep, end = value.replace(" ", "").partition("-")
        if not sep or not _CLOCK.match(start) or not _CLOCK.match(end) or start == end:
            raise ValueError(f"'{value}' is not a window like \"09:00-17:00\"")
        return f"{start}-{end}"

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[Weekday]) -> list[Weekday]:
        if not value:
            raise ValueError("at least one day")
        return value
