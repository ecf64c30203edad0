"""Is this mail a bounce, for whom, and is it hard or soft?

Standard delivery-status reports (RFC 3464) are read field by field; the many non-standard
formats (qmail, Postfix and Exim plain text, Exchange, Yahoo, GroupWise, Lotus Notes…) are
recognised by who sent them, their subject and their wording. Failed addresses come from the DSN,
then ``X-Failed-Recipients``, then flufl.bounce's detectors (when installed), then our own scan
of the notice's text. Hard or soft is always our decision (``severity``). The returned original
message is searched for its Message-ID, which is how a bounce is matched to the pitch we sent.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import Message

from prospector.inbox.message import (
    ParsedMail,
    attached_originals,
    header,
    headers,
    message_ids,
    own_subject,
    text_parts,
)
from prospector.inbox.reports import DsnRecipient, delivery_status, enhanced_codes
from prospector.inbox.severity import judge

__all__ = ["BounceResult", "detect_bounce", "flufl_failures"]

_ADDRESS = re.compile(r"(?<![\w.+-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_DAEMON_LOCALS = re.compile(
    r"^(?:mailer-?daemon|mail-?daemon|postmaster|mdaemon|ndr|bounces?|mail\.delivery\.system"
    r"|mailadm|imss|inetgw\d*|noreply-dmarc|e500_smtp_mail_service|.*antivirus.*)$",
    re.IGNORECASE,
)
_DAEMON_NAMES = re.compile(
    r"mail delivery|delivery (?:sub)?system|mail administrator|system administrator|postmaster"
    r"|mailer-daemon|mail system|jetmail|lsmtp",
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"undeliver|undelivered|non-?deliver|delivery (?:status|failure|failed|problem|report|notification|warning)"
    r"|failure (?:notice|delivery)|returned mail|returning message|mail delivery failed|could not be deliver"
    r"|not delivered|mail error|mail system error|failed mail|delivery has failed|delayed mail|message delayed"
    r"|rejected mail|mail not delivered|processing error|returned to sender|delivery failure"
    r"|\bdsn\b|nondeliverable|user unknown|mail failed|returning to sender|delivery warning"
    r"|non remis|unzustellbar|no entregado|non recapitato|onbestelbaar|kan niet worden bezorgd",
    re.IGNORECASE,
)
_BODY = re.compile(
    r"qmail-send program|postfix program|could not be delivered|couldn't be delivered"
    r"|wasn't able to deliver|was not able to deliver|unable to deliver|cannot be delivered"
    r"|did not reach the following recipient|delivery to the following recipients? (?:failed|has been delayed)"
    r"|permanent fatal errors|following address(?:\(es\)|es)? failed|undeliverable|delivery has failed"
    r"|message (?:was|has) not (?:yet )?been delivered|returned to (?:the )?sender|delivery (?:status )?failure"
    r"|not (?:yet )?been delivered|transcript of session follows|could not deliver|failed to deliver"
    r"|delivery failed|unknown (?:user|recipient)|user unknown|no such user|mailbox unavailable"
    r"|message could not be sent|recipient address rejected|delivery notification|failed addresses"
    r"|no valid recipients|was not accepted|was rejected|user not found|invalid mailbox"
    r"|has been postponed|continue to try to deliver|could not be sent to"
    r"|无法送达|无法发送|не может быть доставлено|не доставлено|konnte nicht zugestellt"
    r"|nicht zugestellt werden|n'a pas pu (?:être|etre) (?:remis|distribu|d[ée]livr)"
    r"|no se (?:pudo|ha podido) entregar"
    r"|non è stato (?:possibile )?recapitat",
    re.IGNORECASE,
)
_DELAY_TEXT = re.compile(
    r"has not yet been delivered|not yet been delivered|will be retried|attempts will continue"
    r"|will (?:continue to |keep )?(?:try|retry|attempt)(?:ing)? (?:to deliver|delivery|again|later|for)"
    r"|continue to try to deliver|still (?:being )?(?:retried|trying)|warning message only"
    r"|do not need to resend|do not resend"
    r"|delivery (?:has been |is )?delayed|\bdelayed \d+ (?:hours?|days?)|\(delay\)|delayed mail",
    re.IGNORECASE,
)
_GAVE_UP = re.compile(
    r"given up|giving up|permanent(?:ly)?|fatal|not going to try again|failed|could not be delivered",
    re.IGNORECASE,
)
# Lines where a plain-text notice starts quoting the original message.
_ORIGINAL_START = re.compile(
    r"^\s*-*\s*(?:below this line is a copy of the message|this is a copy of the message"
    r"|original message follows|unsent message follows|returned message|copy of (?:the )?original message"
    r"|original message headers|header of the source mail|the original message (?:headers )?(?:is|are|follows?)"
    r"|message removed|your message reads|returned mail follows|the text of your message)"
    r"|^(?:Received|Return-[Pp]ath): ",
    re.IGNORECASE | re.MULTILINE,
)
# Header lines quoted in a notice ("Subject: …" of the original): their words are not the reason.
_HEADER_LIKE = re.compile(
    r"^\s*(?:subject|to|cc|from|sent|date)\s*:.*$", re.IGNORECASE | re.MULTILINE
)
_NOTICE_CHARS = 20_000  # a notice is short; the rest is the returned message
_X400_PREFIX = re.compile(r"^(?:smtp|rfc-?822|internet)=", re.IGNORECASE)
_MSGID_LINE = re.compile(r"^\s*Message-I[dD]:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_SKIP_LINE = re.compile(
    r"^[\s*>-]*(?:from|to|cc|subject|sent|date|sender|reply-to|errors-to|return-path|reporting-mta"
    r"|received-from-mta|x-postfix-sender|remote-mta|for further assistance|please contact|contact)\b",
    re.IGNORECASE,
)


@dataclass
class BounceResult:
    """A bounce (or a delivery-success report, which is not a bounce)."""

    success_report: bool
    bounce_type: str | None
    failed_recipients: list[str]
    status_code: str | None
    original_message_id: str | None
    evidence: list[str] = field(default_factory=list)
    reason: str | None = None  # why hard or soft, in a few words


def detect_bounce(mail: ParsedMail, *, use_flufl: bool = True) -> BounceResult | None:
    """The bounce this mail is, or ``None`` when it is not one."""
    msg = mail.msg
    dsn = delivery_status(msg)
    evidence: list[str] = []
    if dsn:
        evidence.append("delivery-status report (RFC 3464)")
        actions = {r.action for r in dsn}
        if not actions & {"failed", "delayed"} and actions & {"delivered", "relayed", "expanded"}:
            return BounceResult(
                success_report=True,
                bounce_type=None,
                failed_recipients=[],
                status_code=None,
                original_message_id=_original_id(msg, ""),
                evidence=[
                    *evidence,
                    f"delivery-success report (Action: {', '.join(sorted(actions))})",
                ],
            )
    notice = _notice_text(msg)
    if not dsn:
        cues = _heuristic_cues(mail, notice)
        if dsn is not None:
            cues.append((2, "a delivery-status part with no recipient fields"))
        if sum(weight for weight, _ in cues) < 4:
            return None
        evidence.extend(why for _, why in cues)
    failing = [r for r in dsn or [] if r.action in ("failed", "delayed", "")]
    failed, how = _failed_addresses(mail, failing, notice, use_flufl=use_flufl)
    evidence.append(how)
    delayed = _delayed(mail, failing, notice)
    codes = [r.status for r in failing if r.status] + enhanced_codes(
        " ".join(r.diagnostic for r in failing) + "\n" + notice
    )
    diagnostic = "\n".join([*(r.diagnostic for r in failing), _HEADER_LIKE.sub("", notice)])
    verdict = judge(codes, diagnostic, delayed=delayed)
    return BounceResult(
        success_report=False,
        bounce_type=verdict.bounce_type,
        failed_recipients=failed,
        status_code=verdict.status_code,
        original_message_id=_original_id(msg, _full_text(msg)),
        evidence=evidence + verdict.evidence,
        reason=verdict.reason,
    )


def flufl_failures(msg_bytes: bytes) -> tuple[list[str], list[str]] | None:
    """flufl.bounce's (temporary, permanent) failed addresses; ``None`` if it is not installed."""
    try:
        from flufl.bounce import all_failures
    except ImportError:
        return None
    # A detector tripping over a broken message is logged with its traceback by flufl.bounce;
    # without a handler of its own that would land on stderr through logging's last resort.
    logger = logging.getLogger("flufl.bounce")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    try:
        parsed = email.message_from_bytes(msg_bytes, policy=email.policy.compat32)
        temporary, permanent = all_failures(parsed)
    except Exception:  # ... and it is "nothing found" here (RecursionError included)
        return [], []

    def decoded(found: Iterable[bytes]) -> list[str]:
        addresses = (a.decode("ascii", errors="replace").strip() for a in found)
        return sorted(a for a in addresses if _ADDRESS.fullmatch(a))

    return decoded(temporary), decoded(permanent)


def _heuristic_cues(mail: ParsedMail, notice: str) -> list[tuple[int, str]]:
    cues: list[tuple[int, str]] = []
    local = mail.sender.split("@")[0]
    raw_from = header(mail.msg, "From")
    if re.match(r"mailer-?daemon$", local, re.IGNORECASE):
        cues.append((3, f"sent by MAILER-DAEMON ({mail.sender})"))
    elif (
        _DAEMON_LOCALS.match(local)
        or _DAEMON_NAMES.search(mail.sender_name)
        or re.search(r"\b(?:mailer-?daemon|postmaster)\b", raw_from, re.IGNORECASE)
    ):
        cues.append((2, f"sent by a mail system ({mail.sender or raw_from})"))
    elif not mail.sender and header(mail.msg, "From").strip() in ("", "<>"):
        cues.append((1, "empty sender"))
    if header(mail.msg, "Return-Path").strip() in ("<>", "<MAILER-DAEMON>"):
        cues.append((1, "null return path"))
    own = own_subject(mail.subject)
    subject = _SUBJECT.search(own)
    if subject:
        cues.append((2, f"subject «{subject.group(0)}»"))
    elif found := _SUBJECT.search(mail.subject[len(own) :]):
        cues.append((1, f"subject, after Re: «{found.group(0)}»"))  # weaker: maybe our words
    body = {m.group(0).lower() for m in _BODY.finditer(notice)}
    if body:
        cues.append((min(3, 2 * len(body)), f"notice text «{'», «'.join(sorted(body)[:3])}»"))
    if header(mail.msg, "X-Failed-Recipients"):
        cues.append((4, "X-Failed-Recipients header"))
    return cues


def _notice_text(msg: Message) -> str:
    """The human-readable notice: text parts outside attached messages, cut where a
    plain-text notice starts quoting the original message."""
    parts = text_parts(msg)
    text = "\n".join(parts[:3])[:_NOTICE_CHARS]
    match = _ORIGINAL_START.search(text)
    return text[: match.start()] if match else text


def _full_text(msg: Message) -> str:
    return "\n".join(text_parts(msg))[: 10 * _NOTICE_CHARS]


def _failed_addresses(
    mail: ParsedMail, failing: Sequence[DsnRecipient], notice: str, *, use_flufl: bool
) -> tuple[list[str], str]:
    found = _unique(r.address for r in failing if r.address)
    if found:
        return found, "failed recipients from the DSN"
    x_failed = _unique(
        a for v in headers(mail.msg, "X-Failed-Recipients") for a in _ADDRESS.findall(v)
    )
    if x_failed:
        return x_failed, "failed recipients from X-Failed-Recipients"
    if use_flufl:
        result = flufl_failures(mail.raw)
        if result and (result[0] or result[1]):
            return _unique([*result[1], *result[0]]), "failed recipients from flufl.bounce"
    return _scan_addresses(mail, notice), "failed recipients from the notice text"


def _scan_addresses(mail: ParsedMail, notice: str) -> list[str]:
    """Addresses named in the notice, less the mail system's own and the original's sender."""
    exclude = {mail.sender.lower()} | {a.lower() for a in _ADDRESS.findall(header(mail.msg, "To"))}
    for original in attached_originals(mail.msg):
        to = {a.lower() for a in _ADDRESS.findall(header(original, "To"))}
        for name in ("From", "Sender", "Reply-To", "Return-Path", "Errors-To"):
            exclude.update(a.lower() for a in _ADDRESS.findall(header(original, name)))
        exclude -= to
    named: list[str] = []
    addressed: list[str] = []  # on quoted "To:" lines: the recipient when nothing else is named
    for line in notice.splitlines():
        if _SKIP_LINE.match(line):
            if not re.match(r"^[\s*>-]*(?:to|cc)\s*:", line, re.IGNORECASE):
                continue
            bucket = addressed
        else:
            bucket = named
        for found in _ADDRESS.findall(line):
            address = _X400_PREFIX.sub("", found.strip("'\"`")).strip(".")
            local = address.split("@")[0]
            if address.lower() not in exclude and not _DAEMON_LOCALS.match(local):
                bucket.append(address)
    return _unique(named or addressed)


def _delayed(mail: ParsedMail, failing: Sequence[DsnRecipient], notice: str) -> bool:
    if failing:
        return all(r.action == "delayed" for r in failing)
    if _GAVE_UP.search(notice) and not re.search(r"\bwarning\b", mail.subject, re.IGNORECASE):
        return False
    return bool(_DELAY_TEXT.search(mail.subject + "\n" + notice)) or bool(
        re.search(r"\bdelay(?:ed)?\b", mail.subject, re.IGNORECASE)
    )


def _original_id(msg: Message, text: str) -> str | None:
    """The Message-ID of the message this report is about: an attached original's, else one
    quoted in the notice text, else the report's own In-Reply-To / References."""
    for original in attached_originals(msg):
        ids = message_ids(header(original, "Message-ID"))
        if ids:
            return ids[0]
    match = _ORIGINAL_START.search(text)
    quoted = _MSGID_LINE.search(text, match.start() if match else 0)
    if quoted:
        return quoted.group(1)
    replied = message_ids(header(msg, "In-Reply-To")) or message_ids(header(msg, "References"))[-1:]
    return replied[0] if replied else None


def _unique(addresses: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for address in addresses:
        key = address.lower()
        if key not in seen:
            seen.add(key)
            out.append(address)
    return out
