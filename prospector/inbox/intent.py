"""What a human reply means for the pitch: positive, negative, a question, or neutral; and
whether it asks us to stop writing (an unsubscribe).

A short, readable list of weighted cues, matched on the reply's *new* text only. A positive cue
with a negation just before it in the same clause ("not interested", "won't add it") counts as
negative instead. Questions are sentences ending in "?" (or opening like one), and any mention of
payment ("what's your rate", "do you pay", "our fee is $200") is a question, since it needs an
answer before anything else. The highest total wins; ties go negative, then question, then
positive. Every matched cue is returned as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Intent", "judge_intent", "removal_request"]

Cue = tuple[str, int]

NEGATIVE: Sequence[Cue] = (
    (r"not interested|no interest", 3),
    (r"no,? thanks?\b|no,? thank you", 3),
    (r"not (?:a |the right |a good )?fit\b|isn't a (?:good )?fit", 3),
    (r"we (?:don't|do not|no longer) (?:accept|take|publish|allow|do|offer|add|link|work with)", 3),
    (r"(?:we'll|we will|i'll|i will|going to) pass\b|pass on this|have to decline|\bdecline\b", 3),
    (r"not (?:at this time|right now|for now|at the moment)|maybe (?:next time|later)", 2),
    (
        r"(?:won't|will not|cannot|can't|can not|unable to|not able to)(?: be)? "
        r"(?:add|include|link|help|accept|publish|use|able)",
        3,
    ),
    (r"please (?:don't|do not)\b", 2),
    (r"\bno longer\b|\bnot relevant\b|not something we\b|don't think so|(?:don't|do not) need", 2),
    (r"\bunfortunately\b|\bsorry\b", 1),
    (r"^\s*no\b(?![ -](?:problem|worries|doubt))", 2),
)
POSITIVE: Sequence[Cue] = (
    (
        r"happy to (?:add|include|help|link|update|feature|publish)|glad to (?:add|include|help|link)",
        3,
    ),
    (
        r"(?:i've|we've|i have|we have|just|i|we) (?:added|updated|included|linked|replaced|fixed|swapped)",
        3,
    ),
    (r"\b(?:added|updated|fixed|replaced) (?:it|the link|your|you|that)\b", 3),
    (
        r"will (?:add|include|link|update|feature|publish)|(?:i'll|we'll) (?:add|include|link|update)",
        3,
    ),
    (r"(?:is|it's|it is) (?:now )?live\b|now live\b", 3),
    (r"\byes\b|\bsure\b|\babsolutely\b|\bdefinitely\b|\bof course\b", 2),
    (r"sounds (?:good|great|fine|perfect)|works for (?:me|us)|\bgo ahead\b|\bgo for it\b", 2),
    (
        r"send (?:it|them|me|us) (?:over|through|across)|send (?:over |me |us )?(?:the|your) (?:draft|article|post|pitch)",
        2,
    ),
    (
        r"\binterested\b|(?:would|'d) (?:love|like|be happy) to|\blove to\b|\bhappy to\b|\bglad to\b",
        2,
    ),
    (r"no problem|no worries|\bthanks for (?:the )?(?:heads[- ]up|tip|suggestion|letting)", 1),
    (r"\bgreat (?:resource|article|post|suggestion|idea|find)\b|\bdone\b|\bok(?:ay)?\b", 1),
)
PAYMENT = (
    r"(?:what(?:'s| is| are)|your|our) (?:rate|rates|price|prices|pricing|fee|fees|budget|charge)"
    r"|how much|do you pay|will you pay|(?:are|is) (?:you|there) (?:paying|a fee|a charge)"
    r"|sponsored (?:post|link|content)|paid (?:post|link|placement|guest)|\$\s?\d+|\d+\s?(?:usd|eur|gbp|€|£)"
    r"|link insertion fee|(?:fee|charge|price) (?:is|of|for)"
)
_INTERROGATIVE = re.compile(
    r"^(?:can|could|would|will|do|does|did|what|how|when|where|why|which|who|is|are|should|may)\b",
    re.IGNORECASE,
)
_NEGATORS = re.compile(
    r"\b(?:not|no|never|don't|dont|doesn't|won't|wont|can't|cant|cannot|isn't|aren't|wouldn't"
    r"|shouldn't|unable|nor|without|neither)\b",
    re.IGNORECASE,
)
REMOVAL = (
    r"\bunsubscribe\b|\bremove (?:me|us|my (?:e-?mail|address)|our (?:e-?mail|address))\b"
    r"|take (?:me|us|my (?:e-?mail|address)) off|\boff (?:your|the) (?:mailing |e-?mail )?list"
    r"|stop (?:e-?mailing|emailing|contacting|sending|spamming|writing|messaging)"
    r"|(?:do not|don't|never) (?:contact|e-?mail|email|write to|message) (?:me|us)"
    r"|\bopt(?:[- ])?out\b|no more (?:e-?mails|emails|messages)|leave (?:me|us) alone"
    r"|^\s*stop\s*[.!]*\s*$"
)

_NEG_RE = [(re.compile(p, re.IGNORECASE | re.MULTILINE), w) for p, w in NEGATIVE]
_POS_RE = [(re.compile(p, re.IGNORECASE), w) for p, w in POSITIVE]
_PAY_RE = re.compile(PAYMENT, re.IGNORECASE)
_REMOVAL_RE = re.compile(REMOVAL, re.IGNORECASE | re.MULTILINE)
_ORDER = ("negative", "question", "positive")


@dataclass
class Intent:
    intent: str  # positive | negative | question | neutral
    scores: dict[str, int]
    evidence: list[str] = field(default_factory=list)


def judge_intent(text: str) -> Intent:
    """Weigh the cues in ``text`` (the reply's new text)."""
    text = _normalise(text)
    scores = {"negative": 0, "question": 0, "positive": 0}
    evidence: list[str] = []
    negative_spans: list[tuple[int, int]] = []
    for pattern, weight in _NEG_RE:
        for match in pattern.finditer(text):
            scores["negative"] += weight
            negative_spans.append(match.span())
            evidence.append(f"negative «{match.group(0).strip()}» +{weight}")
            break
    counted: list[tuple[int, int]] = []
    for pattern, weight in _POS_RE:
        for match in pattern.finditer(text):
            if any(a <= match.start() < b for a, b in negative_spans):
                continue  # "interested" inside "not interested"
            if any(match.start() < b and a < match.end() for a, b in counted):
                continue  # "happy to" inside "happy to add", counted already
            counted.append(match.span())
            if _negated(text, match.start()):
                scores["negative"] += weight
                evidence.append(
                    f"negated positive «{match.group(0).strip()}» counts negative +{weight}"
                )
            else:
                scores["positive"] += weight
                evidence.append(f"positive «{match.group(0).strip()}» +{weight}")
            break
    payment = _PAY_RE.search(text)
    if payment:
        scores["question"] += 3
        evidence.append(f"question: asks about payment «{payment.group(0).strip()}» +3")
    for sentence in _sentences(text):
        if sentence.endswith("?"):
            scores["question"] += 2
            evidence.append(f"question «{_short(sentence)}» +2")
        elif _INTERROGATIVE.match(sentence) and len(sentence.split()) <= 15:
            scores["question"] += 1
            evidence.append(f"question-like «{_short(sentence)}» +1")
    best = max(_ORDER, key=lambda k: (scores[k], -_ORDER.index(k)))
    if scores[best] == 0:
        return Intent("neutral", scores, evidence or ["no intent cue"])
    return Intent(best, scores, evidence)


def removal_request(text: str) -> str | None:
    """The phrase by which ``text`` asks us to stop writing, or ``None``."""
    match = _REMOVAL_RE.search(_normalise(text))
    return match.group(0).strip() if match else None


def _normalise(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def _negated(text: str, start: int) -> bool:
    """A negation among the three words before ``start``, within the same clause."""
    clause = re.split(r"[,.;:!?\n]|\bbut\b", text[:start])[-1]
    words = " ".join(clause.split()[-3:])
    return bool(_NEGATORS.search(words))


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip() for p in parts if p.strip()]


def _short(sentence: str, limit: int = 60) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
