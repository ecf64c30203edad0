"""Classify one inbound mail: bounce, auto-reply, complaint, unsubscribe or human reply.

Order of the checks (the first that fits wins):

1. **complaint** — an ARF feedback report (RFC 5965);
2. **bounce** — a delivery-status report (RFC 3464) with a failed or delayed recipient, or a
   non-standard bounce recognised by sender, subject and wording. ``bounce_type`` is ``hard``
   only when the address will never work (see :mod:`prospector.inbox.severity`). A report whose
   recipients were all *delivered*, *relayed* or *expanded* is not a bounce: it is an automatic
   message, ``kind == "auto_reply"`` with ``auto_reply_type == "delivery_report"``;
3. **auto_reply** — RFC 3834 headers, an out-of-office subject or body; ``return_date`` when the
   text states one;
4. **unsubscribe** — a mail to our unsubscribe address (subject "unsubscribe…"), or a reply whose
   new text asks us to stop writing;
5. **reply** — everything else, with ``reply_text`` (quotes and signatures stripped) and
   ``intent``.

``in_reply_to`` is the In-Reply-To header's Message-ID, else the last References entry. For
bounces and complaints it is the Message-ID of the *returned original* when the report carries
one (attached message, text/rfc822-headers part, or headers quoted in a plain-text notice): that
is how a bounce is matched to the pitch we sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from prospector.inbox.autoreply import detect_auto_reply
from prospector.inbox.bounces import detect_bounce
from prospector.inbox.intent import judge_intent, removal_request
from prospector.inbox.message import (
    ParsedMail,
    attached_originals,
    body_text,
    header,
    message_ids,
    parse_mail,
)
from prospector.inbox.quotes import strip_quotes
from prospector.inbox.reports import feedback_report

__all__ = ["KINDS", "Classification", "classify"]

KINDS = ("bounce", "auto_reply", "complaint", "unsubscribe", "reply")
_UNSUBSCRIBE_SUBJECT = re.compile(r"^\s*(?:unsubscribe|remove me|opt[- ]?out)\b", re.IGNORECASE)
_SHORT_REQUEST_WORDS = 40
# Intent and removal requests are judged on the start of the new text: a human reply's meaning
# is not 20,000 characters in, and this bounds the work on hostile input.
_JUDGED_CHARS = 5000
# The body read for the new text: a reply's own words come first; a body past this is quoted
# history, an attachment pasted in, or hostile, and the quote stripper's work grows with it.
_BODY_CHARS = 200_000


@dataclass
class Classification:
    """What an inbound mail is. ``as_dict()`` is the ``inspect email --json`` contract."""

    kind: str
    bounce_type: str | None = None
    bounce_reason: str | None = None
    failed_recipients: list[str] = field(default_factory=list)
    status_code: str | None = None
    intent: str | None = None
    reply_text: str | None = None
    in_reply_to: str | None = None
    auto_reply_type: str | None = None
    return_date: date | None = None
    feedback_type: str | None = None
    references: list[str] = field(default_factory=list)
    message_id: str | None = None
    subject: str = ""
    sender: str = ""
    evidence: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "bounce_type": self.bounce_type,
            "bounce_reason": self.bounce_reason,
            "failed_recipients": list(self.failed_recipients),
            "status_code": self.status_code,
            "intent": self.intent,
            "reply_text": self.reply_text,
            "in_reply_to": self.in_reply_to,
            "auto_reply_type": self.auto_reply_type,
            "return_date": self.return_date.isoformat() if self.return_date else None,
            "feedback_type": self.feedback_type,
            "references": list(self.references),
            "message_id": self.message_id,
            "subject": self.subject,
            "from": self.sender,
            "evidence": list(self.evidence),
        }


def classify(data: bytes, *, use_flufl: bool = True) -> Classification:
    """Classify raw mail bytes. Raises :class:`prospector.inbox.message.MailParseError` when
    they are not a mail message. ``use_flufl=False`` uses only our own address extraction."""
    mail = parse_mail(data)
    base = Classification(
        kind="reply",
        in_reply_to=mail.in_reply_to or (mail.references[-1] if mail.references else None),
        references=list(mail.references),
        message_id=mail.message_id,
        subject=mail.subject,
        sender=mail.sender,
    )
    complaint = _complaint(mail, base)
    if complaint is not None:
        return complaint
    bounce = detect_bounce(mail, use_flufl=use_flufl)
    if bounce is not None:
        base.in_reply_to = bounce.original_message_id or base.in_reply_to
        base.evidence = bounce.evidence
        if bounce.success_report:
            base.kind = "auto_reply"
            base.auto_reply_type = "delivery_report"
            return base
        base.kind = "bounce"
        base.bounce_type = bounce.bounce_type
        base.bounce_reason = bounce.reason
        base.failed_recipients = bounce.failed_recipients
        base.status_code = bounce.status_code
        return base
    text = strip_quotes(body_text(mail.msg)[:_BODY_CHARS])
    base.reply_text = text
    auto = detect_auto_reply(mail, text)
    if auto is not None:
        base.kind = "auto_reply"
        base.auto_reply_type = auto.auto_reply_type
        base.return_date = auto.return_date
        base.evidence = auto.evidence
        return base
    unsubscribe = _unsubscribe(mail, text[:_JUDGED_CHARS])
    if unsubscribe is not None:
        base.kind = "unsubscribe"
        base.evidence = [unsubscribe]
        return base
    intent = judge_intent(text[:_JUDGED_CHARS])
    base.intent = intent.intent
    base.evidence = intent.evidence
    return base


def _complaint(mail: ParsedMail, base: Classification) -> Classification | None:
    report = feedback_report(mail.msg)
    if report is None:
        return None
    originals = attached_originals(mail.msg)
    recipients = list(report.original_rcpt_to)
    if not recipients and originals:
        recipients = list(re.findall(r"[\w.+-]+@[\w.-]+\w", header(originals[0], "To")))
    original_ids = [i for o in originals for i in message_ids(header(o, "Message-ID"))]
    base.kind = "complaint"
    base.feedback_type = report.feedback_type
    base.failed_recipients = recipients
    base.in_reply_to = original_ids[0] if original_ids else base.in_reply_to
    base.evidence = [f"ARF feedback report (Feedback-Type: {report.feedback_type})"]
    if report.user_agent:
        base.evidence.append(f"reported by {report.user_agent}")
    return base


def _unsubscribe(mail: ParsedMail, text: str) -> str | None:
    if _UNSUBSCRIBE_SUBJECT.match(mail.subject):
        return f"subject «{mail.subject[:60]}» is an unsubscribe request"
    phrase = removal_request(text)
    if phrase is None:
        return None
    lines = [line for line in text.splitlines() if line.strip()]
    first = " ".join(lines[:2])
    if len(text.split()) <= _SHORT_REQUEST_WORDS or removal_request(first):
        return f"asks to stop: «{phrase}»"
    return None
