"""Hard or soft: will this address never work (DESIGN.md §6)?

Bounces decide suppression, so *hard* is kept for the few failures that say something about the
address itself: unknown user or mailbox, unknown or non-mail host or domain, moved, does not
accept mail, an account closed or disabled for good. Everything else is *soft*: full mailboxes,
oversized messages, policy and spam rejections, content filters, expiry in a queue, temporary
failures of any kind. A 5.x.x code alone does not make a bounce hard.

The decision, in order:

1. a delay warning (DSN ``Action: delayed``, "will keep trying") is soft;
2. a specific enhanced status code decides when it has a clear meaning (5.1.1 hard, 5.2.2 soft…);
   any 4.x.x code is soft;
3. otherwise the diagnostic text: any soft cue (quota, spam, policy, expired…) makes it soft, else
   a hard cue (user unknown, host not found…) makes it hard, else it is soft (unspecified).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Severity", "judge", "pick_status"]

# Enhanced status codes (RFC 3463) whose meaning settles the question on their own.
HARD_CODES = {
    "5.1.1": "bad destination mailbox (5.1.1)",
    "5.1.2": "bad destination system (5.1.2)",
    "5.1.3": "bad destination address syntax (5.1.3)",
    "5.1.6": "mailbox has moved (5.1.6)",
    "5.1.10": "recipient not found, or its domain accepts no mail (5.1.10)",
}
SOFT_CODES = {
    "5.2.2": "mailbox full (5.2.2)",
    "5.2.3": "message too big for the mailbox (5.2.3)",
    "5.3.4": "message too big for the system (5.3.4)",
    "5.4.7": "delivery time expired (5.4.7)",
    "5.6.0": "content rejected (5.6.0)",
}
# Codes whose meaning depends on the words next to them (5.2.1 disabled vs. blocked…).
# (and so do the "other or undefined" x.y.0 codes, 5.3.0 say, that many servers use for anything).
_TEXT_DECIDES = {"5.2.1", "5.4.4"}

_HARD_TEXT: Sequence[tuple[str, str]] = (
    (
        r"\b(?:user(?:name)?|recipient|mailbox|address|account|addressee|local[- ]part)"
        r"(?: name)?(?: is)? (?:unknown|not (?:found|known|recognized|recognised|listed|valid))",
        "unknown user or mailbox",
    ),
    (
        r"\bunknown (?:or illegal )?(?:user|recipient|mailbox|address|local[- ]part|alias)",
        "unknown user or mailbox",
    ),
    (r"\bno such (?:user|mailbox|recipient|address|account|person|local user)", "no such user"),
    (
        r"\bno mailbox here\b|\bmailbox (?:not found|does not exist|doesn't exist)",
        "no such mailbox",
    ),
    (
        r"\b(?:does not|doesn't|did not|do not) exist\b|\bnon-?existent\b|\binexistent\b",
        "does not exist",
    ),
    (
        r"\baddress not found\b|\brecipient not found\b|\bnot listed in\b|\bnot a valid (?:user|mailbox|recipient|address)",
        "address not found",
    ),
    (
        r"\binvalid (?:final delivery )?(?:recipient|mailbox|user ?id|user|address|e-?mail address)\b"
        r"|\billegal (?:user|address|alias)",
        "invalid recipient",
    ),
    (
        r"\bno (?:final )?(?:e-?mail )?delivery point\b|\bdoes not have a final e-?mail delivery point",
        "no mailbox",
    ),
    (
        r"\bbad destination mailbox\b|\bunknown recipient\b|\bname is not recognized\b",
        "unknown recipient",
    ),
    (r"\buser (?:unknown|not found)|\buser doesn'?t have an? \S+ account", "user unknown"),
    (
        r"\b(?:utilisateur|destinataire) (?:inconnu|non recens)|\busuario (?:desconocido|no existe)"
        r"|\bbenutzer (?:unbekannt|existiert nicht)|\bunbekannte[rn]? (?:empf|benutzer)"
        r"|\bdestinatario (?:inesistente|sconosciuto)|\bn'existe pas\b|\bexistiert nicht\b|\bno existe\b"
        r"|\bnon esiste\b|\bbestaat niet\b",
        "unknown user (localised)",
    ),
    (
        r"\bhost (?:or domain name )?not found\b|\bdomain (?:name )?not found\b|\bunknown (?:host|domain)\b"
        r"|\bno such (?:host|domain)\b|\bnxdomain\b|\bname or service not known\b"
        r"|\bhost unknown\b|\bdomain (?:\S+ )?does not exist",
        "unknown host or domain",
    ),
    (
        r"\bno mail ?exchanger\b|\bno mx (?:record|host)s?\b|\bnull mx\b|\bunrouteable\b|\bunroutable\b",
        "no mail exchanger",
    ),
    (r"\bdoes not accept (?:e-?)?mail\b|\bdoesn't accept (?:e-?)?mail\b", "does not accept mail"),
    (
        r"\b(?:has|have) moved\b|\bno longer (?:at|valid|in use|active|exists?)\b",
        "moved or no longer valid",
    ),
    (
        r"\b(?:account|mailbox|user|address)(?: \S+){0,6}? (?:has been |is |was )?"
        r"(?:disabled|deactivated|closed|terminated|deleted|discontinued|cancell?ed)\b",
        "account disabled or closed",
    ),
)

_SOFT_TEXT: Sequence[tuple[str, str]] = (
    (
        r"\bover ?quota\b|\bquota (?:exceeded|full|violation)|\bexceed(?:s|ed|ing)? (?:\S+ )?(?:quota|storage)"
        r"|\b(?:mail ?box|inbox|disk|account|mail ?folder) (?:is )?full\b|\bdisk quota\b|\binsufficient (?:disk |storage|space)"
        r"|\bspace not enough\b|\bstorage (?:limit|allocation)|\bmailbox (?:size )?limit",
        "mailbox full",
    ),
    (
        r"\bmessage (?:size )?(?:is )?(?:too (?:large|big)|exceeds)|\bmaximum (?:\S+ )?message size"
        r"|\bsize limit\b|\bmessage size exceeds\b|\btoo large\b",
        "message too big",
    ),
    (
        r"\bspam\b|\bunsolicited\b|\bblack ?list|\bblock ?list|\bblocked\b|\bdnsbl\b|\brbl\b|\bspamhaus\b"
        r"|\breputation\b|\bjunk\b|\bbulk mail\b",
        "blocked as spam or by a block list",
    ),
    (
        r"\bpolicy\b|\bnot (?:authori[sz]ed|permitted|allowed)\b|\baccess denied\b|\brelay(?:ing)? "
        r"(?:denied|not permitted|prohibited)|\brefused\b|\bdmarc\b|\bspf\b|\bdkim\b"
        r"|\bsender (?:address )?rejected\b|\bmoderator\b|\bnot allowed to post\b|\bnot accepting mail from\b",
        "rejected by policy",
    ),
    (r"\bcontent (?:rejected|filter)|\bvirus\b|\bmalware\b|\binfected\b", "content rejected"),
    (
        r"\bexpired\b|\btoo long in (?:the )?queue|\bin the queue too long|\bmaximum delivery attempts"
        r"|\bretry (?:time|timeout)|\bdelivery time expired|\btimed? ?out\b|\bqueue period\b"
        r"|\bnot delivered within \d|\bnot responding\b|\bnot collected\b"
        r"|\bcould not (?:be )?deliver(?:ed)? for \d|\bconnection (?:refused|timed out|reset)"
        r"|\b(?:establish|make) an? smtp connection",
        "expired in the queue or could not connect",
    ),
    (
        r"\btemporar(?:y|ily)\b|\btry again later\b|\bnot found, try again\b|\bdeferred\b|\btoo many hops\b"
        r"|\bmail loop\b|\bloops? back to myself\b|\brouting loop\b|\blooping\b",
        "temporary failure",
    ),
)

_HARD_RE = [(re.compile(p, re.IGNORECASE), why) for p, why in _HARD_TEXT]
_SOFT_RE = [(re.compile(p, re.IGNORECASE), why) for p, why in _SOFT_TEXT]


@dataclass(frozen=True)
class Severity:
    bounce_type: str  # "hard" | "soft"
    status_code: str | None
    evidence: list[str]

    @property
    def reason(self) -> str:
        """The deciding evidence, shortened to its category ("mailbox full (5.2.2)" →
        "mailbox full"; "text: rejected by policy «policy»" → "rejected by policy")."""
        first = self.evidence[0] if self.evidence else "unspecified"
        first = first.removeprefix("text: ").split(" «")[0].split(":")[0]
        return re.sub(r"\s*\([^)]*\)$", "", first)


def pick_status(codes: Sequence[str], *, delayed: bool = False) -> str | None:
    """The most telling failure code: the first specific (not x.0.0) 5.x.x or 4.x.x code, else
    the first failure code at all. A delay prefers 4.x.x codes."""
    failures = [c for c in codes if c[0] in "45"]
    if delayed and any(c.startswith("4") for c in failures):
        failures = [c for c in failures if c.startswith("4")]
    specific = [c for c in failures if not c.endswith(".0.0")]
    chosen = specific or failures
    return chosen[0] if chosen else None


def judge(codes: Sequence[str], text: str, *, delayed: bool) -> Severity:
    """Hard or soft from the status codes found (most telling first) and the diagnostic text."""
    status = pick_status(codes, delayed=delayed)
    if delayed:
        return Severity("soft", status, ["a delay warning: delivery is still being retried"])
    text = " ".join(text.split())
    soft_cues = _cues(_SOFT_RE, text)
    hard_cues = _cues(_HARD_RE, text)
    if status is not None:
        if status.startswith("4"):
            return Severity("soft", status, [f"temporary failure code {status}"])
        if status in HARD_CODES:
            return Severity("hard", status, [HARD_CODES[status]])
        if status in SOFT_CODES:
            return Severity("soft", status, [SOFT_CODES[status]])
        if status.startswith("5.7"):
            return Severity("soft", status, [f"rejected by security or policy ({status})"])
        if status not in _TEXT_DECIDES and not status.endswith(".0"):
            extra = [f"{status} does not say the address is bad"]
            return Severity("soft", status, extra + [f"text: {c}" for c in soft_cues[:2]])
    if soft_cues:
        return Severity("soft", status, [f"text: {c}" for c in soft_cues[:3]])
    if hard_cues:
        return Severity("hard", status, [f"text: {c}" for c in hard_cues[:3]])
    reason = f"{status} alone does not make a bounce hard" if status else "no reason given"
    return Severity("soft", status, [f"unspecified failure: {reason}"])


def _cues(patterns: Sequence[tuple[re.Pattern[str], str]], text: str) -> list[str]:
    out: list[str] = []
    for pattern, why in patterns:
        match = pattern.search(text)
        if match and why not in [c.split(" «")[0] for c in out]:
            out.append(f"{why} «{match.group(0).strip()}»")
    return out
