"""A stored message -> the RFC 5322 email that goes out: headers that cannot be injected
into, Message-ID and Date, threading, List-Unsubscribe with one-click, text and HTML."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import quote

from prospector.config import SenderSettings
from prospector.errors import UserError

# Headers are never folded into encoded words (List-Unsubscribe parsers do not decode
# them); the body goes out 7-bit clean (quoted-printable or base64 when needed).
POLICY = SMTP.clone(max_line_length=998, cte_type="7bit")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
_ADDRESS = re.compile(r"^[^@\s<>,;\"()\[\]\\:]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")


def one_line(value: str, limit: int = 250) -> str:
    """Any header value from data (names, subjects): control characters, CR and LF become
    single spaces, so nothing can start a header of its own."""
    return _CONTROL.sub(" ", value or "").strip()[:limit]


def checked_address(value: str) -> str:
    """An address fit for a header and an SMTP envelope, or an error."""
    address = (value or "").strip()
    if not _ADDRESS.match(address) or _CONTROL.search(address):
        raise UserError(f"'{one_line(address)}' is not a usable email address")
    return address


def new_token() -> str:
    return secrets.token_urlsafe(18)


def new_message_id(sender: SenderSettings) -> str:
    return make_msgid(idstring="pr", domain=sender.domain or "prospector.invalid")


def unsubscribe_links(sender: SenderSettings, token: str) -> dict[str, str]:
    """The unsubscribe URL (may be empty) and mailto for one thread."""
    url = sender.unsubscribe_url.replace("{token}", quote(token, safe="")) if token else ""
    mailto = ""
    if sender.unsubscribe_address:
        mailto = f"mailto:{sender.unsubscribe_address}?subject=" + quote(f"unsubscribe {token}")
    return {"url": url, "mailto": mailto}


def _address(name: str, email: str) -> Address:
    local, _, domain = checked_address(email).rpartition("@")
    return Address(display_name=one_line(name, 120), username=local, domain=domain)


def compose(
    row: dict[str, Any],
    sender: SenderSettings,
    *,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """Build the email for a stored message row (its subject, body, thread and token)."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = _address(sender.name, sender.email)
    msg["To"] = _address(row.get("to_name") or "", row["to_email"])
    if sender.reply_to:
        msg["Reply-To"] = _address(sender.name, sender.reply_to)
    msg["Subject"] = one_line(row["subject"], 400)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if row.get("in_reply_to"):
        msg["In-Reply-To"] = one_line(row["in_reply_to"])
    if row.get("refs"):
        msg["References"] = one_line(row["refs"], 2000)
    links = unsubscribe_links(sender, row.get("unsubscribe_token") or "")
    targets = [f"<{link}>" for link in (links["mailto"], links["url"]) if link]
    if targets:
        msg["List-Unsubscribe"] = ", ".join(targets)
    if links["url"]:
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(row["body_text"], charset="utf-8")
    if row.get("body_html"):
        msg.add_alternative(row["body_html"], subtype="html", charset="utf-8")
    return msg


def envelope_sender(sender: SenderSettings) -> str:
    return checked_address(sender.email)
