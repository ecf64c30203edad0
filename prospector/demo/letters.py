"""The mail the demo's prospects "send back": a positive reply quoting the pitch, a bounce
(a delivery-status notification, RFC 3464, returning the pitch's headers) and an
out-of-office auto-reply. Each answers one pitch as stored in the ``messages`` table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any


def _sender(pitch: dict[str, Any]) -> str:
    """Our address, the pitch came from (its mailbox)."""
    return str(pitch.get("mailbox") or "outreach@soilsmith.example")


def _mail(pitch: dict[str, Any], subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    name = str(pitch.get("to_name") or "")
    msg["From"] = f"{name} <{pitch['to_email']}>" if name else pitch["to_email"]
    msg["To"] = _sender(pitch)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=pitch["to_email"].rpartition("@")[2] or "demo.example")
    msg["In-Reply-To"] = pitch["message_id"]
    msg["References"] = pitch["message_id"]
    msg.set_content(body)
    return msg


def _quoted(pitch: dict[str, Any]) -> str:
    sent = str(pitch.get("sent_at") or "")[:16].replace("T", " ")
    lines = "\n".join(f"> {line}".rstrip() for line in str(pitch["body_text"]).splitlines())
    return f"On {sent or 'an earlier day'}, {_sender(pitch)} wrote:\n{lines}\n"


def positive_reply(pitch: dict[str, Any], page_url: str) -> bytes:
    """'Thanks, I've added your guide to the page' — with the pitch quoted below."""
    name = str(pitch.get("to_name") or "").split(" ")[0] or "The editor"
    body = (
        "Hi,\n\n"
        "Thanks for the heads-up, and for the guide: it is a good one. I've added a link "
        f"to it on the page:\n{page_url}\n\n"
        f"Happy composting,\n{name}\n\n" + _quoted(pitch)
    )
    subject = f"Re: {pitch['subject']}"
    return _mail(pitch, subject, body).as_bytes()


def out_of_office(pitch: dict[str, Any], back: date | None = None) -> bytes:
    """An RFC 3834 auto-reply with a return date."""
    back = back or (datetime.now(UTC) + timedelta(days=10)).date()
    body = (
        "Thank you for your message. I am out of the office with limited access to email "
        f"and will be back on {back.isoformat()}.\n\nI will read your message when I return.\n"
    )
    msg = _mail(pitch, f"Automatic reply: {pitch['subject']}", body)
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    return msg.as_bytes()


def hard_bounce(pitch: dict[str, Any]) -> bytes:
    """A 5.1.1 'user unknown' delivery-status notification from the recipient's MX."""
    to = pitch["to_email"]
    mx = "mx." + (to.rpartition("@")[2] or "demo.example")
    boundary = "demo-dsn-" + make_msgid().strip("<>").split("@")[0]
    text = f"""From: Mail Delivery System <MAILER-DAEMON@{mx}>
To: {_sender(pitch)}
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(datetime.now(UTC))}
Message-ID: {make_msgid(domain=mx)}
MIME-Version: 1.0
Auto-Submitted: auto-replied
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host {mx}.

Your message could not be delivered to one or more recipients.

<{to}>: host {mx} said: 550 5.1.1 <{to}>: Recipient address rejected:
    User unknown in virtual mailbox table

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; {mx}
Arrival-Date: {format_datetime(datetime.now(UTC))}

Final-Recipient: rfc822; {to}
Original-Recipient: rfc822; {to}
Action: failed
Status: 5.1.1
Remote-MTA: dns; {mx}
Diagnostic-Code: smtp; 550 5.1.1 <{to}>: Recipient address rejected: User unknown

--{boundary}
Content-Type: text/rfc822-headers

From: {_sender(pitch)}
To: {to}
Subject: {pitch["subject"]}
Message-ID: {pitch["message_id"]}

--{boundary}--
"""
    return text.replace("\n", "\r\n").encode()
