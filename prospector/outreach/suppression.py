"""The global do-not-contact list as people use it: add, remove, list."""

from __future__ import annotations

import re
from typing import Any

from prospector.config import Settings
from prospector.errors import UserError
from prospector.outreach.compose import checked_address
from prospector.store import open_db

_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]+$")


def parse_entry(value: str) -> tuple[str, str]:
    """'a@b.example' -> ('email', ...); 'b.example' -> ('domain', ...); else an error."""
    text = value.strip().lower()
    if "@" in text:
        try:
            return "email", checked_address(text)
        except UserError:
            raise UserError(f"'{value}' is not an email address") from None
    text = text.removeprefix("*.").rstrip(".")
    if not _DOMAIN.match(text):
        raise UserError(f"'{value}' is neither an email address nor a domain")
    return "domain", text


def add(settings: Settings, values: list[str], *, reason: str, actor: str) -> list[dict[str, Any]]:
    entries = [parse_entry(v) for v in values]  # all checked before anything is written
    out = []
    with open_db(settings.database) as store:
        for kind, value in entries:
            added = store.suppress(kind, value, reason=reason or "do_not_contact", source=actor)
            out.append({"kind": kind, "value": value, "added": added})
    return out


def remove(settings: Settings, values: list[str], *, actor: str) -> list[dict[str, Any]]:
    entries = [parse_entry(v) for v in values]
    with open_db(settings.database) as store:
        return [
            {"kind": k, "value": v, "removed": store.unsuppress(k, v, actor=actor)}
            for k, v in entries
        ]


def listing(settings: Settings) -> list[dict[str, Any]]:
    with open_db(settings.database) as store:
        return store.suppression_list()
