"""Parse an inbound mail robustly: headers, body text (HTML turned into text), attached originals.

Every helper here works on both ``email.policy.default`` and ``compat32`` messages and never
raises on broken MIME, unknown charsets or malformed headers: a header that the modern parser
chokes on is read raw, a body in an unknown charset is decoded as UTF-8 with replacement.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import getaddresses, parsedate_to_datetime

import lxml.html

from prospector.errors import UserError
from prospector.inbox.bounds import clip_headers, clip_raw_fields, within_bounds

__all__ = [
    "MailParseError",
    "ParsedMail",
    "attached_originals",
    "body_text",
    "decoded_payload",
    "header",
    "html_to_text",
    "message_ids",
    "own_subject",
    "parse_mail",
]

# A marker put where an HTML quote (gmail_quote, blockquote, Outlook's reply header) was, so the
# plain-text quote stripper cuts there.
QUOTE_MARKER = "-----Original Message-----"

_HEADER_LINE = re.compile(rb"^(?:From |[!-9;-~]{1,76}:)")
# fmt: off
_KNOWN_HEADERS = frozenset({
    "from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
    "content-type", "mime-version", "reply-to", "sender", "in-reply-to", "references",
    "delivered-to", "x-mailer",
})
# fmt: on
_MSGID = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIX = re.compile(
    r"\b(?:re|aw|sv|antw|ang|réf|ref|rif|vs|odp|wg|fw|fwd|tr)\s*:", re.IGNORECASE
)
# fmt: off
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "tr", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dl", "dt", "dd",
})
# fmt: on


class MailParseError(UserError):
    """The file is not an email message (binary, empty, or no mail headers)."""


@dataclass(frozen=True)
class ParsedMail:
    """A parsed message and the few header values every classifier needs."""

    msg: Message
    raw: bytes
    subject: str
    sender: str  # the From address (lower-cased), "" when absent
    sender_name: str
    date: datetime | None
    message_id: str | None
    in_reply_to: str | None
    references: list[str]


def parse_mail(data: bytes) -> ParsedMail:
    """Parse raw bytes; raise :class:`MailParseError` when they are not a mail message."""
    head = re.split(rb"\r?\n\r?\n", data[:4096].lstrip(b"\r\n"), maxsplit=1)[0]  # the headers
    if not data.strip():
        raise MailParseError("not an email message: the file is empty")
    if head.count(b"\x00") * 10 > len(head):  # stray NULs are still mail (a body may be UTF-16)
        raise MailParseError("not an email message: the file is binary")
    if not _HEADER_LINE.match(data.lstrip(b"\r\n")):
        raise MailParseError("not an email message: it does not start with mail headers")
    msg = _parse(data)
    names = {name.lower() for name in msg}
    if not names & _KNOWN_HEADERS:
        raise MailParseError("not an email message: no From, To, Subject or Date header")
    sender_name, sender = _first_address(header(msg, "From"))
    return ParsedMail(
        msg=msg,
        raw=data,
        subject=header(msg, "Subject"),
        sender=sender.lower(),
        sender_name=sender_name,
        date=_date(header(msg, "Date")),
        message_id=_first_id(header(msg, "Message-ID")),
        in_reply_to=_first_id(header(msg, "In-Reply-To")),
        references=message_ids(header(msg, "References")),
    )


def _parse(data: bytes) -> Message:
    """The message, within :mod:`prospector.inbox.bounds`: its MIME tree at most MAX_DEPTH
    deep and MAX_PARTS wide, every header cut to MAX_HEADER_CHARS.

    The tree's shape is measured on the lenient ``compat32`` parse, which is cheap; the modern
    parser, which parses every part's Content-Type several times as it goes, runs only on a
    mail within bounds. Both recurse once per level of nesting, as does every walk over the
    tree afterwards; a mail nested deeper or wider than any real one is read as its top-level
    headers and its body as plain text.
    """
    data = clip_raw_fields(data)
    try:
        shaped = within_bounds(email.message_from_bytes(data, policy=email.policy.compat32))
    except RecursionError:
        shaped = False
    if shaped:
        for policy in (email.policy.default, email.policy.compat32):
            try:
                return clip_headers(email.message_from_bytes(data, policy=policy))
            except Exception:  # the modern parser has bugs on hostile input; compat32 is lenient
                continue
    flat = BytesHeaderParser(policy=email.policy.compat32).parsebytes(data)
    del flat["Content-Type"], flat["Content-Transfer-Encoding"]
    flat["Content-Type"] = "text/plain; charset=utf-8"
    return clip_headers(flat)


def header(msg: Message, name: str) -> str:
    """A header's decoded value, unfolded and stripped; "" when absent or unreadable."""
    try:
        value = msg.get(name)
        text = "" if value is None else str(value)
    except Exception:
        text = ""
    if not text.strip():
        text = _raw_header(msg, name)
    if "=?" in text:
        text = _decode_words(text)
    return " ".join(text.split())


def headers(msg: Message, name: str) -> list[str]:
    """Every value of a repeated header, decoded as :func:`header` does."""
    try:
        values = [str(v) for v in msg.get_all(name) or []]
    except Exception:
        values = [v for k, v in _raw_items(msg) if k.lower() == name.lower()]
    return [" ".join((_decode_words(v) if "=?" in v else v).split()) for v in values]


def own_subject(subject: str) -> str:
    """The part of a subject its sender wrote: what comes before the first "Re:" / "Fwd:" (after
    it is the subject of the mail answered, whose words say nothing about this one)."""
    match = _REPLY_PREFIX.search(subject)
    return subject[: match.start()] if match else subject


def message_ids(value: str) -> list[str]:
    """The ``<...>`` Message-IDs in a header value, in order."""
    return _MSGID.findall(value)


def decoded_payload(part: Message) -> str:
    """A leaf part's text: transfer-decoded, then charset-decoded with replacement."""
    try:
        raw = part.get_payload(decode=True)
    except Exception:
        raw = None
    if not isinstance(raw, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except (LookupError, ValueError):
        return raw.decode("utf-8", errors="replace")


def body_text(msg: Message, *, prefer_html: bool = False) -> str:
    """The message's main text: its first inline text/plain part, else its HTML as text.

    Parts inside attached messages (message/rfc822) are not the body and are skipped.
    """
    plain: str | None = None
    html: str | None = None
    for part in _leaf_parts(msg):
        ctype = part.get_content_type()
        if _is_attachment(part):
            continue
        if ctype == "text/plain" and plain is None:
            plain = decoded_payload(part)
        elif ctype == "text/html" and html is None:
            html = decoded_payload(part)
    if html is not None and (prefer_html or not (plain or "").strip()):
        return html_to_text(html)
    return plain or ""


def text_parts(msg: Message) -> list[str]:
    """The text of every inline text part outside attached messages (HTML turned into text)."""
    out: list[str] = []
    for part in _leaf_parts(msg):
        ctype = part.get_content_type()
        if ctype == "text/plain" or (ctype.startswith("text/") and "rfc822" not in ctype):
            text = decoded_payload(part)
            out.append(html_to_text(text) if ctype == "text/html" else text)
    return out


def attached_originals(msg: Message) -> list[Message]:
    """Messages returned inside a report: message/rfc822 parts and text/rfc822-headers parts."""
    out: list[Message] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list):
                out.extend(p for p in payload if isinstance(p, Message))
            elif isinstance(payload, str) and payload.strip():
                out.append(HeaderParser().parsestr(payload))
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            out.append(HeaderParser().parsestr(decoded_payload(part).lstrip()))
    return out


def html_to_text(html: str) -> str:
    """HTML as plain text, with quoted history replaced by one :data:`QUOTE_MARKER` line.

    Quotes are Gmail's ``gmail_quote``, Yahoo's ``yahoo_quoted``, Thunderbird's
    ``moz-cite-prefix``, Outlook's ``divRplyFwdMsg`` reply header (everything after it is the
    old message) and any ``<blockquote>``.
    """
    if not html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8", errors="replace"))
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)
    for bad in root.xpath("//script|//style|//head|//title"):
        bad.drop_tree()
    quotes = root.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')"
        " or contains(@class, 'yahoo_quoted') or contains(@class, 'moz-cite-prefix')"
        " or @id='divRplyFwdMsg' or @id='appendonsend' or @id='mail-editor-reference-message-container']"
        "|//blockquote"
    )
    for node in quotes:
        if node.getparent() is None:
            continue
        marker = lxml.html.Element("p")
        marker.text = QUOTE_MARKER
        node.addprevious(marker)
        node.drop_tree()
    return _element_text(root)


def _element_text(root: lxml.html.HtmlElement) -> str:
    chunks: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in _BLOCK_TAGS
        if block:
            chunks.append("\n")
        if node.text and tag:
            chunks.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                chunks.append(child.tail)
        if block and tag != "br":
            chunks.append("\n")

    walk(root)
    text = "".join(chunks).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _leaf_parts(msg: Message) -> list[Message]:
    out: list[Message] = []

    def walk(part: Message) -> None:
        ctype = part.get_content_type()
        if ctype.startswith("message/"):
            return
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                for sub in payload:
                    if isinstance(sub, Message):
                        walk(sub)
            return
        out.append(part)

    walk(msg)
    return out


def _is_attachment(part: Message) -> bool:
    disposition = header(part, "Content-Disposition").lower()
    return disposition.startswith("attachment")


def _first_address(value: str) -> tuple[str, str]:
    try:
        pairs = getaddresses([value])
    except Exception:
        pairs = []
    for name, addr in pairs:
        if addr:
            return name, addr
    match = re.search(r"[\w.+-]+@[\w.-]+", value)
    return ("", match.group(0)) if match else ("", "")


def _first_id(value: str) -> str | None:
    ids = message_ids(value)
    return ids[0] if ids else None


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _raw_items(msg: Message) -> list[tuple[str, str]]:
    try:
        return [(k, str(v)) for k, v in msg.raw_items()]
    except Exception:
        return []


def _raw_header(msg: Message, name: str) -> str:
    for key, value in _raw_items(msg):
        if key.lower() == name.lower():
            return value
    return ""


def _decode_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text
