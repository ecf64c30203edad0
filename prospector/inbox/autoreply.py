"""Automatic replies: out-of-office notices and other machine answers (RFC 3834).

Headers decide first: ``Auto-Submitted`` other than ``no``, ``X-Autoreply``, ``X-Autorespond``,
``Precedence: auto_reply``. ``X-Auto-Response-Suppress`` is on ordinary Exchange mail too and
counts for nothing; Exchange's inbox-rule headers and ``Precedence: bulk`` only add weight to
other cues. Then the subject ("Out of Office", "Automatic reply", "Abwesenheitsnotiz"…), then the
new text of the body ("I am out of the office until…"), which needs more than one weak cue.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from prospector.inbox.dates import return_date
from prospector.inbox.message import ParsedMail, header, own_subject

__all__ = ["AutoReply", "detect_auto_reply"]

_SUBJECT_OOO = re.compile(
    r"out[- ]of[- ](?:the[- ])?office|\booo\b|abwesenheit|\babwesend\b|\bvacation\b|\bon leave\b"
    r"|\bholiday\b|away from (?:the|my) (?:office|desk)|fuera de la oficina|\babsen(?:ce|t|te)\b"
    r"|\bafwezig|\bcongés?\b|\bferie\b|\bi'?m away\b",
    re.IGNORECASE,
)
_SUBJECT_AUTO = re.compile(
    r"automatic reply|automated reply|automatic response|auto[- ]?reply|auto[- ]?response|^auto:"
    r"|automatische antwort|réponse automatique|reponse automatique|respuesta automática"
    r"|respuesta automatica|autosvar|risposta automatica|automatisch antwoord|resposta automática"
    r"|automaattinen vastaus|autoresponder",
    re.IGNORECASE,
)
# (pattern, weight, is out-of-office)
_BODY: Sequence[tuple[re.Pattern[str], int, bool]] = [
    (
        re.compile(r"\bthis is an? automat(?:ed|ic) (?:reply|response|message|notification)", re.I),
        2,
        False,
    ),
    (
        re.compile(r"\b(?:i am|i'm|i’m|we are)(?: currently| now)? out of (?:the )?office\b", re.I),
        2,
        True,
    ),
    (re.compile(r"\bout of (?:the )?office (?:until|till|through|from|and|with)\b", re.I), 2, True),
    (
        re.compile(
            r"\bwill (?:respond|reply|get back to you|answer|read)[^.\n]{0,40}\b(?:when|upon|after|as soon as)"
            r" (?:i|we) (?:return|am back|get back)",
            re.I,
        ),
        2,
        True,
    ),
    (
        re.compile(
            r"\b(?:i am|i'm|i’m)(?: currently)? (?:away|travell?ing|on (?:annual |parental |maternity |paternity |sick )?leave|on (?:vacation|holiday))\b",
            re.I,
        ),
        1,
        True,
    ),
    (re.compile(r"\blimited (?:access to (?:my )?e-?mail|e-?mail access)\b", re.I), 1, True),
    (
        re.compile(
            r"\b(?:away|out) from (?:\S+ )?until\b|\baway from (?:the|my) (?:office|desk)\b", re.I
        ),
        1,
        True,
    ),
    (re.compile(r"\bno longer (?:with|works? (?:at|for))\b", re.I), 1, False),
    (
        re.compile(
            r"\b(?:ich bin|bin ich)\b[^.\n]{0,40}\b(?:abwesend|nicht im büro|im urlaub)", re.I
        ),
        2,
        True,
    ),
    (
        re.compile(r"\bje suis (?:absente?|en congés?)|\bestoy (?:fuera|de vacaciones)", re.I),
        2,
        True,
    ),
    (
        re.compile(
            r"\bthank you for (?:your|contacting)[^.\n]{0,40}\. (?:we|our team) will (?:respond|reply|get back)",
            re.I,
        ),
        2,
        False,
    ),
]


@dataclass
class AutoReply:
    auto_reply_type: str  # "out_of_office" | "automatic"
    return_date: date | None
    evidence: list[str] = field(default_factory=list)


def detect_auto_reply(mail: ParsedMail, new_text: str) -> AutoReply | None:
    """The automatic reply this mail is, or ``None`` (``new_text``: the quote-stripped body)."""
    strong: list[str] = []
    weak: list[str] = []
    msg = mail.msg
    auto_submitted = header(msg, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        strong.append(f"Auto-Submitted: {auto_submitted}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autoresponder"):
        value = header(msg, name).lower()
        if value and value not in ("no", "false", "0"):
            strong.append(f"{name} header")
    precedence = header(msg, "Precedence").lower()
    if precedence == "auto_reply":
        strong.append("Precedence: auto_reply")
    elif precedence in ("bulk", "junk", "list"):
        weak.append(f"Precedence: {precedence}")
    for name in ("X-MS-Exchange-Inbox-Rules-Loop", "X-MS-Exchange-Generated-Message-Source"):
        if header(msg, name):
            weak.append(f"{name} header")
    own = own_subject(mail.subject)
    ooo = _SUBJECT_OOO.search(own)
    automatic = _SUBJECT_AUTO.search(own)
    for found in (ooo, automatic):
        if found:
            strong.append(f"subject «{found.group(0)}»")
    head = new_text[:1500]
    body_weight = 0
    body_ooo = False
    for pattern, weight, is_ooo in _BODY:
        match = pattern.search(head)
        if match:
            body_weight += weight
            body_ooo = body_ooo or is_ooo
            weak.append(f"body «{match.group(0)}»")
    if not strong and body_weight + (len(weak) - _count_body(weak)) < 2:
        return None
    if not strong and body_weight == 0:
        return None
    is_ooo = bool(ooo) or body_ooo
    sent = mail.date.date() if mail.date else date.today()
    back = return_date(mail.subject + "\n" + head, sent) if is_ooo or automatic else None
    return AutoReply(
        auto_reply_type="out_of_office" if is_ooo else "automatic",
        return_date=back,
        evidence=strong + weak,
    )


def _count_body(evidence: Sequence[str]) -> int:
    return sum(1 for e in evidence if e.startswith("body "))
