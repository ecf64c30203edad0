"""The vocabularies behind the spam signals: spam topics, paid-link footprints, commercial
anchors and tracking/ad IDs. Pure functions over text; compiled patterns are module constants
(regular expressions, no model or other state)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

# Topics that spam sites push (gambling, pharma, payday loans, adult, counterfeits, essay
# mills). Words with an innocent garden meaning ("slots", "poker" as in red hot poker) are
# only matched in their spam phrases.
SPAM_TERMS: dict[str, str] = {
    r"casinos?": "gambling",
    r"casino bonus(es)?": "gambling",
    r"free spins": "gambling",
    r"(online|best|free) slots?": "gambling",
    r"slot machines?": "gambling",
    r"jackpots?": "gambling",
    r"(sports )?betting (tips|odds|sites?)|sportsbooks?": "gambling",
    r"online (poker|roulette|blackjack|gambling)": "gambling",
    r"viagra|cialis|levitra|tramadol|xanax": "pharma",
    r"cheap pills|pills online|(diet|weight loss) pills": "pharma",
    r"no prescription( needed)?|online pharmacy": "pharma",
    r"payday loans?|bad credit loans?|cash advance|instant loans?": "loans",
    r"porn|xxx|escorts?|adult dating|sex cams?|hookups?": "adult",
    r"replica (watches|bags|handbags)|fake rolex": "counterfeit",
    r"essay writing service|buy essays?": "essay mill",
}
_SPAM_RE = [(re.compile(rf"\b(?:{p})\b", re.IGNORECASE), c) for p, c in SPAM_TERMS.items()]

# Paid-link and link-selling footprints, each with a label for the reasons.
PAID_FOOTPRINTS: dict[str, str] = {
    r"sponsored (guest )?(posts?|articles?|content|reviews?)": "sponsored post",
    r"paid (guest )?(posts?|links?|articles?|placements?|reviews?)": "paid post",
    r"contains? (paid|affiliate|sponsored) links": "paid links disclosure",
    r"(partners |advertisers |brands )?pay for (placement|a link|links)": "pay for placement",
    r"(we )?accept (paid|sponsored) (guest )?(posts?|articles?|content)": "accepts paid posts",
    r"guest post(ing)? (price|pricing|rates?|fees?|packages?)|price per (post|article|link)": (
        "guest-post price"
    ),
    r"buy (high[- ]?(da|dr) |quality |cheap |dofollow |do-follow )?(back)?links": "buy links",
    r"do-?follow (back)?links? for|guaranteed do-?follow|do-?follow guaranteed": "dofollow for sale",
    r"permanent (do-?follow )?(back)?links": "permanent links",
    r"\b(da|dr|pa) ?\d{2}\+": "domain-authority pitch",
    r"high (da|dr|authority) (sites|blogs|backlinks|links)": "domain-authority pitch",
    r"link insertions?|niche edits?": "link insertion",
    r"guest posts?( on \d+\+?| service| outreach service)": "guest-post service",
    r"add your (link|site|url)": "directory submission",
    r"submit your (site|link|url) to our directory": "directory submission",
    r"instant (google )?rankings?( boost)?": "ranking promise",
}
_PAID_RE = [
    (re.compile(rf"\b(?:{p})", re.IGNORECASE), label) for p, label in PAID_FOOTPRINTS.items()
]
_PRICE = re.compile(
    r"[$€£]\s?\d+(?:[.,]\d+)*|\b\d+(?:[.,]\d+)*\s?(usd|eur|gbp|dollars|euros|pounds)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(not|no|never|don'?t|doesn'?t|won'?t|without|refuse|nor)\b", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"[.!?\n]")
PRICE_WINDOW = 40  # characters around a footprint searched for a price

# Words that make an anchor commercial ("best compost bin", "cheap pills").
COMMERCIAL_WORDS = frozenset(
    {
        "best", "cheap", "cheapest", "buy", "top", "discount", "discounts", "deal", "deals",
        "sale", "casino", "loan", "loans", "pills", "bonus", "spins", "slots", "coupon",
        "coupons", "viagra", "payday", "insurance", "bets", "betting", "affordable",
    }
)  # fmt: skip
_WORD = re.compile(r"[a-z0-9]+")

# Tracking and advertising IDs; one site's IDs shared with another site suggest one owner.
_IDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(UA-\d{4,10}-\d{1,4})\b"), "{}"),
    (re.compile(r"""(?:['"=/]|id=)(G-[A-Z0-9]{6,12})\b"""), "{}"),
    (re.compile(r"""(?:['"=/]|id=)(GTM-[A-Z0-9]{4,9})\b"""), "{}"),
    (re.compile(r"""(?:['"=/]|id=)(AW-\d{6,12})\b"""), "{}"),
    (re.compile(r"\b(?:ca-)?(pub-\d{10,20})\b"), "ca-{}"),
    (re.compile(r"""fbq\(\s*['"]init['"]\s*,\s*['"]?(\d{8,20})"""), "fb-pixel:{}"),
    (re.compile(r"""\bym\(\s*(\d{5,12})\s*,\s*['"]init"""), "yandex:{}"),
    (re.compile(r"""\bhjid\s*:\s*(\d{4,12})"""), "hotjar:{}"),
    (re.compile(r"""[?&;]tag=([a-z0-9-]{2,40}-2[0-2])\b"""), "amazon:{}"),
]
ID_KINDS = {
    "UA-": "analytics",
    "G-": "analytics",
    "GTM-": "tag manager",
    "AW-": "ads",
    "ca-pub-": "AdSense",
    "fb-pixel:": "Facebook pixel",
    "yandex:": "analytics",
    "hotjar:": "analytics",
    "amazon:": "affiliate",
}


def spam_terms(text: str) -> dict[str, int]:
    """Spam-topic terms found in ``text``: lower-cased term -> count."""
    found: Counter[str] = Counter()
    for pattern, _ in _SPAM_RE:
        for match in pattern.finditer(text):
            found[match.group(0).lower()] += 1
    return dict(found.most_common(20))


def spam_categories(terms: dict[str, int] | list[str]) -> list[str]:
    """The spam categories (gambling, pharma...) of some found terms."""
    out: set[str] = set()
    for term in terms:
        for pattern, category in _SPAM_RE:
            if pattern.fullmatch(term):
                out.add(category)
    return sorted(out)


def paid_footprints(text: str, limit: int = 10) -> list[dict[str, Any]]:
    """Paid-post and link-selling phrases in ``text`` (negated ones such as "we do not accept
    sponsored posts" left out), each with its label, the price near it (if any) and the
    context; priced ones first."""
    out: dict[str, dict[str, Any]] = {}
    for pattern, label in _PAID_RE:
        for match in pattern.finditer(text):
            start, end = match.span()
            if _negated(text, start):
                continue
            price = _price_near(text, start, end)
            phrase = match.group(0).strip().lower()
            context = " ".join(text[max(0, start - 30) : end + 40].split())
            entry = out.get(phrase)
            if entry is None:
                out[phrase] = {
                    "label": label,
                    "phrase": phrase,
                    "priced": price is not None,
                    "price": price,
                    "context": context,
                }
            elif price is not None and not entry["priced"]:
                entry.update(priced=True, price=price, context=context)
    found = sorted(out.values(), key=lambda e: (not e["priced"], e["phrase"]))
    return found[:limit]


def _price_near(text: str, start: int, end: int) -> str | None:
    """A price just after the phrase ("sponsored posts $50"), else just before it."""
    after = _PRICE.search(text[end : end + PRICE_WINDOW])
    if after:
        return after.group(0).strip()
    before = list(_PRICE.finditer(text[max(0, start - PRICE_WINDOW) : start]))
    return before[-1].group(0).strip() if before else None


def _negated(text: str, start: int) -> bool:
    """True when the sentence before ``start`` (up to 50 characters) says no/not/never."""
    before = text[max(0, start - 50) : start]
    ends = list(_SENTENCE_END.finditer(before))
    if ends:
        before = before[ends[-1].end() :]
    return bool(_NEGATION.search(before))


def commercial(anchor: str) -> bool:
    words = set(_WORD.findall(anchor.lower()))
    return bool(words & COMMERCIAL_WORDS) or any(p.search(anchor) for p, _ in _SPAM_RE)


def tracking_ids(markup: str) -> list[str]:
    """Analytics, tag-manager, ad and affiliate IDs in an HTML document, sorted."""
    found: set[str] = set()
    for pattern, form in _IDS:
        for match in pattern.finditer(markup):
            found.add(form.format(match.group(1)))
    return sorted(found)


def id_account(tracking_id: str) -> str:
    """The owner-level part of an ID: ``UA-1234567-3`` -> ``UA-1234567`` (one account's
    properties share it); other IDs are their own account."""
    if tracking_id.startswith("UA-"):
        return tracking_id.rsplit("-", 1)[0]
    return tracking_id


def id_kind(tracking_id: str) -> str:
    for prefix, kind in ID_KINDS.items():
        if tracking_id.startswith(prefix):
            return kind
    return "tracking"
