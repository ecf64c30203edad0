"""A stored message -> the RFC 5322 email that goes out: headers that cannot be injected
into, Message-ID and Date, threading, List-Unsubscribe with one-click, text and HTML.

Names and subjects come from web pages, so every header value made from data loses its
control characters (CR, LF, NUL, C1, U+2028/U+2029/U+0085, bidi overrides) and any RFC 2047
encoded word (``=?utf-8?b?...?=``) in it is decoded and cleaned the same way, then defused:
Python's email package decodes encoded words in the values it is given and would write a
CR LF hidden in one out raw (CVE-2024-6923). The built message is then read back, and
refused unless it has exactly the headers that were set. Addresses are plain ASCII
(``local@domain``), checked the same way for the header and the SMTP envelope.
"""

from __future__ import annotations

import email
import email.policy
import re
import secrets
from datetime import datetime
from email._header_value_parser import get_unstructured
from email.errors import HeaderParseError
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
# C0 and C1 controls, DEL, the Unicode line and paragraph separators, bidi overrides
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+{_LABEL}")


def one_line(value: str, limit: int = 250) -> str:
    """Text from data on one line: control characters, CR and LF become single spaces, so
    nothing can start a header of its own."""
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", value or "")).strip()[:limit]


def header_text(value: str, limit: int = 250) -> str:
    """A header value (a name, a subject) from data: on one line, with what encoded words
    hide decoded and cleaned too, and no encoded word left for a parser to decode."""
    text = one_line(value, limit)
    for _ in range(3):  # an encoded word may decode to another one
        if "=?" not in text:
            break
        try:
            decoded = one_line(str(get_unstructured(text)), limit)
        except (HeaderParseError, LookupError, ValueError):
            break
        if decoded == text:
            break
        text = decoded
    return text.replace("=?", "= ?")


def checked_address(value: str) -> str:
    """An address fit for a header and an SMTP envelope (plain ASCII ``local@domain``,
    nothing around it), or an error."""
    address = value or ""
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        raise UserError(f"'{one_line(address, 120)}' is not a usable email address")
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
    return Address(display_name=header_text(name, 120), username=local, domain=domain)


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
    msg["Subject"] = header_text(row["subject"], 400)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = header_text(message_id)
    if row.get("in_reply_to"):
        msg["In-Reply-To"] = header_text(row["in_reply_to"])
    if row.get("refs"):
        msg["References"] = header_text(row["refs"], 2000)
    links = unsubscribe_links(sender, row.get("unsubscribe_token") or "")
    targets = [f"<{link}>" for link in (links["mailto"], links["url"]) if link]
    if targets:
        msg["List-Unsubscribe"] = ", ".join(targets)
    if links["url"]:
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(row["body_text"], charset="utf-8")
    if row.get("body_html"):
        msg.add_alternative(row["body_html"], subtype="html", charset="utf-8")
    _verify(msg)
    return msg


def _verify(msg: EmailMessage) -> None:
    """Refuse a message whose headers, written out and read back, are not the ones set."""
    built = [name.lower() for name in msg]
    data = msg.as_bytes()
    head = data.split(b"\r\n\r\n", 1)[0]
    starts = [line for line in head.split(b"\r\n") if line and line[:1] not in (b" ", b"\t")]
    read = email.message_from_bytes(data, policy=email.policy.compat32)
    seen = [name.lower() for name in read]
    bare = head.replace(b"\r\n", b"")
    if len(starts) != len(built) or seen != built or b"\r" in bare or b"\n" in bare:
        raise UserError("the message's headers did not come out as they were set; not sent")


def envelope_sender(sender: SenderSettings) -> str:
    return checked_address(sender.email)
