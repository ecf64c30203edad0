"""Machine-readable reports inside a mail: RFC 3464 delivery status (DSN) and RFC 5965 feedback
(ARF complaints).

Both are ``multipart/report`` messages whose second part is a block of header-like fields. The
``report-type`` parameter is often missing or wrong in the wild, so the parts are found by their
own content type wherever they sit in the MIME tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

from prospector.inbox.message import decoded_payload, header

__all__ = [
    "DsnRecipient",
    "Feedback",
    "delivery_status",
    "enhanced_codes",
    "feedback_report",
]

_ENHANCED = re.compile(r"(?<![\d.])([245])\.([0-7])\.(\d{1,3})(?![\d.]*\d)")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
FEEDBACK_TYPES = ("message/feedback-report",)


@dataclass(frozen=True)
class DsnRecipient:
    """One per-recipient block of a delivery-status report."""

    address: str  # the RFC 822 address, "" when the block names none (an X.400 name, say)
    recipient_field: str  # the raw Original-/Final-Recipient value
    action: str  # failed, delayed, delivered, relayed, expanded (lower-cased, first word)
    status: str | None  # the enhanced status code x.y.z, when the block has one
    diagnostic: str  # Diagnostic-Code (and the Status comment), unfolded


@dataclass(frozen=True)
class Feedback:
    """An ARF feedback report (a spam complaint and its kin)."""

    feedback_type: str
    original_rcpt_to: list[str]
    original_mail_from: str
    user_agent: str


def enhanced_codes(text: str) -> list[str]:
    """Every RFC 3463 enhanced status code (``5.1.1``) in ``text``, in order.

    A code is three dot-separated numbers, a class of 2, 4 or 5 and a subject of 0 to 7, with no
    digits or dots around it, so IP addresses, version numbers and dates do not match.
    """
    return [".".join(m.groups()) for m in _ENHANCED.finditer(text)]


def delivery_status(msg: Message) -> list[DsnRecipient] | None:
    """The recipient blocks of every delivery-status part; ``None`` when the mail has none."""
    parts = [p for p in msg.walk() if p.get_content_type() in DSN_TYPES]
    if not parts:
        return None
    out: list[DsnRecipient] = []
    for part in parts:
        for block in _blocks(part):
            if not any(
                header(block, name) for name in ("Final-Recipient", "Original-Recipient", "Action")
            ):
                continue  # the per-message block (Reporting-MTA, Arrival-Date…)
            out.append(_recipient(block))
    return out


def feedback_report(msg: Message) -> Feedback | None:
    """The ARF feedback part of a complaint, or ``None`` when the mail has none."""
    for part in msg.walk():
        if part.get_content_type() not in FEEDBACK_TYPES:
            continue
        blocks = _blocks(part)
        fields = blocks[0] if blocks else Message()
        rcpts = [a for v in _all(fields, "Original-Rcpt-To") for a in _ADDRESS.findall(v)]
        return Feedback(
            feedback_type=(header(fields, "Feedback-Type") or "abuse").lower(),
            original_rcpt_to=rcpts,
            original_mail_from=" ".join(_ADDRESS.findall(header(fields, "Original-Mail-From"))),
            user_agent=header(fields, "User-Agent"),
        )
    return None


def _blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list) and all(isinstance(p, Message) for p in payload):
        return list(payload)
    text = decoded_payload(part) if not isinstance(payload, list) else ""
    parser = HeaderParser()
    return [
        parser.parsestr(chunk.strip() + "\n")
        for chunk in re.split(r"\r?\n[ \t]*\r?\n", text)
        if chunk.strip()
    ]


def _all(block: Message, name: str) -> list[str]:
    try:
        return [" ".join(str(v).split()) for v in block.get_all(name) or []]
    except Exception:
        return [header(block, name)]


def _recipient(block: Message) -> DsnRecipient:
    address = ""
    field = ""
    for name in ("Original-Recipient", "Final-Recipient", "X-Actual-Recipient"):
        value = header(block, name)
        if not value:
            continue
        field = field or value
        kind, _, rest = value.partition(";")
        if not rest:
            kind, rest = "rfc822", kind  # "Final-Recipient: <a@b>" with no address type
        if kind.strip().lower() not in ("rfc822", "utf-8"):
            continue
        found = _ADDRESS.findall(rest)
        if found:
            address = found[0]
            field = value
            break
    action = (header(block, "Action").lower().split() or [""])[0]
    action = {"failure": "failed", "error": "failed", "fail": "failed"}.get(action, action)
    status_field = header(block, "Status")
    diagnostic = header(block, "Diagnostic-Code")
    codes = enhanced_codes(status_field) or enhanced_codes(diagnostic)
    comment = status_field.split(None, 1)[1] if len(status_field.split(None, 1)) > 1 else ""
    return DsnRecipient(
        address=address,
        recipient_field=field,
        action=action,
        status=codes[0] if codes else None,
        diagnostic=" ".join(x for x in (diagnostic, comment) if x),
    )
