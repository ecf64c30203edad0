"""Which of our messages an inbound mail answers: by In-Reply-To, then References (for a
bounce or complaint, the returned original's Message-ID), then the unsubscribe token, then
the sender (or the failed recipient) and the subject."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from prospector.inbox.classify import Classification
from prospector.store.db import Store

_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|réf|tr)\s*(\[\d+\])?\s*:\s*)+", re.I)
_TOKEN = re.compile(r"unsubscribe\s+([A-Za-z0-9_-]{16,})", re.I)


@dataclass(frozen=True)
class Match:
    message: dict[str, Any] | None
    how: str  # in_reply_to | references | token | sender_subject | recipient | none


def base_subject(subject: str) -> str:
    return " ".join(_PREFIX.sub("", subject or "").split()).lower()


def match(store: Store, mail: Classification) -> Match:
    if mail.in_reply_to:
        found = store.message_by_header(mail.in_reply_to)
        if found:
            return Match(found, "in_reply_to")
    for ref in reversed(mail.references):
        found = store.message_by_header(ref)
        if found:
            return Match(found, "references")
    token = _TOKEN.search(mail.subject or "")
    if token:
        found = store.message_by_token(token.group(1))
        if found:
            return Match(found, "token")
    if mail.kind in ("bounce", "complaint"):
        for address in mail.failed_recipients:
            found = store.latest_sent_to(address)
            if found:
                return Match(found, "recipient")
        return Match(None, "none")
    if mail.sender:
        found = store.latest_sent_to(mail.sender)
        if found and (
            base_subject(mail.subject) == base_subject(found["subject"]) or mail.kind != "reply"
        ):
            return Match(found, "sender_subject")
    return Match(None, "none")
