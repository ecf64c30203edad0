"""Which of the campaign's target pages best replaces a dead link (simple term overlap;
the qualify stage brings full relevance scoring)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from prospector.campaigns import Campaign, Target

_WORD = re.compile(r"[a-z][a-z0-9]+")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "your",
        "you",
        "how",
        "what",
        "why",
        "from",
        "that",
        "this",
        "are",
        "was",
        "were",
        "into",
        "our",
        "their",
        "its",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "is",
        "it",
        "as",
        "be",
        "or",
        "guide",
        "step",
        "steps",
        "best",
        "make",
        "making",
        "page",
        "home",
        "www",
        "http",
        "https",
        "html",
        "com",
        "org",
        "net",
        "example",
        "build",
        "built",
        "keep",
        "use",
        "using",
        "get",
        "tip",
        "tips",
        "easy",
        "simple",
        "way",
        "ways",
        "without",
        "within",
        "week",
        "weeks",
        "day",
        "days",
        "year",
        "years",
        "time",
        "thing",
        "things",
        "new",
        "old",
        "good",
        "great",
        "first",
        "last",
        "more",
        "most",
        "less",
        "finish",
        "finishes",
        "need",
        "needs",
        "want",
        "wants",
        "right",
    ]
)


def terms(text: str) -> set[str]:
    """Lower-cased content words, crudely stemmed (plural and -ing endings dropped)."""
    out = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOP or len(word) < 3:
            continue
        for suffix in ("ing", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        out.add(word)
    return out


@dataclass(frozen=True)
class Match:
    target: Target
    score: float
    matched: tuple[str, ...]


def best_target(campaign: Campaign, *texts: str) -> Match:
    """The target page sharing most distinctive terms with ``texts`` (ties: campaign order).

    A term every target shares (say 'compost' in a composting campaign) says nothing about
    which page fits, so it is not counted when there are several targets; ``matched`` is
    empty when nothing distinctive matched (the dead page was about something else).
    """
    wanted = set().union(*(terms(t) for t in texts)) if texts else set()
    offers = [terms(" ".join([t.title, t.summary, *t.keywords, t.url])) for t in campaign.targets]
    shared = set.intersection(*offers) if len(offers) > 1 else set()
    best: Match | None = None
    for target, offered in zip(campaign.targets, offers, strict=True):
        offered = offered - shared
        common = wanted & offered
        score = len(common) / max(1, len(wanted | offered)) ** 0.5
        if best is None or score > best.score:
            best = Match(target, round(score, 3), tuple(sorted(common)))
    assert best is not None  # a campaign has at least one target
    return best
