"""What a response's content and headers say: bot walls, parked domains, not-found pages,
login walls, pages that need JavaScript. Pure functions over text, shared by the link checker
and the page classifiers."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

PARKING_HOSTS = (
    "sedoparking.com",
    "sedo.com",
    "bodis.com",
    "parkingcrew.net",
    "above.com",
    "dan.com",
    "afternic.com",
    "hugedomains.com",
    "undeveloped.com",
    "parklogic.com",
    "domainmarket.com",
    "buydomains.com",
    "namebright.com",
    "uniregistry.com",
    "parked.com",
    "smartname.com",
    "domainnamesales.com",
    "atom.com",
    "squadhelp.com",
)
_PARKED = [
    r"\bthis domain (name )?(is|may be) for sale\b",
    r"\bbuy this domain\b",
    r"\bdomain (name )?is for sale\b",
    r"\bthe domain [\w.-]+ is for sale\b",
    r"\bdomain parking\b",
    r"\bparked (free|domain)\b",
    r"\bthis domain is parked\b",
    r"\bmake an offer on this domain\b",
    r"\binquire about this domain\b",
    r"\bthis domain has expired\b",
    r"\bsponsored listings\b",
    r"\brelated searches\b",
    r"\bcourtesy of godaddy\b",
    r"\bget this domain\b",
    r"\bdomain may be for sale\b",
]
_PARKED_RE = re.compile("|".join(_PARKED), re.IGNORECASE)
_NOT_FOUND_TITLE = re.compile(
    r"^(error )?(404|410)( error)?( [-:|] .*)?$|"
    r"^((oops|sorry|whoops)[,.!]* ?)?((the )?(page|file|post|article|resource|content|document)s? )?"
    r"(was |could )?not (be )?found[.!]*$|"
    r"^(error )?404[ :-]*(page |file )?not found[.!]*$|"
    r"^((oops|sorry|whoops)[,.!]* ?)?(there.s )?nothing (to see )?here[.!]*$|"
    r"^((oops|sorry|whoops)[,.!]* ?)?(this|that|the) page (does not|doesn.t|no longer) exists?[.!]*$|"
    r"^((oops|sorry|whoops)[,.!]* ?)?(we )?(can.t|cannot|couldn.t) find (that|this|the) page[.!]*$|"
    r"^((oops|sorry|whoops)[,.!]* ?)?(page|content) (is )?(no longer|not) available[.!]*$|"
    r"^((oops|sorry|whoops)[,.!]* ?)?(page|post) (has been )?removed[.!]*$|^no such page[.!]*$|"
    r"^seite nicht gefunden$|^page introuvable$|^página no encontrada$|^oops[.!]*$",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = re.compile(r"\s+[|\u2013\u2014\u00b7\u2022-]\s+")
_BOT_WALL_TEXT = re.compile(
    r"just a moment\.\.\.|checking (if the site connection is secure|your browser)|"
    r"attention required!? \| cloudflare|enable javascript and cookies to continue|"
    r"ddos protection by|please verify you are (a )?human|are you a robot|"
    r"access to this page has been denied|pardon our interruption|"
    r"request unsuccessful\. incapsula|captcha-delivery\.com|perimeterx|"
    r"verify you are human|bot detection|security check to access",
    re.IGNORECASE,
)
_LOGIN_PATH = re.compile(
    r"/(login|log-in|signin|sign-in|sign_in|account/login|users/sign_in|wp-login\.php|"
    r"auth/login|sso|session/new|member-login|members/login)(/|\.|$|\?)",
    re.IGNORECASE,
)
_JS_REDIRECT = re.compile(
    r"(window\.|document\.|top\.|self\.)?location(\.href)?\s*=\s*['\"]|"
    r"location\.(replace|assign)\s*\(",
    re.IGNORECASE,
)
# Every scan below is linear in the markup: patterns like "<script\b.*?</script>" or
# "<title[^>]*>(.*?)</title>" take time quadratic in the number of unclosed tags, and a page of
# a few hundred kilobytes of "<script>" kept the event loop busy for minutes.
_BLOCK = re.compile(r"<(script|style|noscript|template)\b|<!--", re.I)
_TAG = re.compile(r"<[^<>]+>")
_SPACE = re.compile(r"\s+")
_BOUNDARY = frozenset(" \t\r\n\f/>")


def _without_blocks(markup: str) -> str:
    """The markup without comments and script/style/noscript/template elements; an unclosed
    one swallows the rest, as in a browser."""
    lower = markup.lower()
    out: list[str] = []
    position = 0
    while (found := _BLOCK.search(markup, position)) is not None:
        out += [markup[position : found.start()], " "]
        if found.group(1) is None:
            end = lower.find("-->", found.end())
            position = end + 3
        else:
            end = lower.find("</" + found.group(1).lower(), found.end())
            close = lower.find(">", end) if end >= 0 else -1
            position = close + 1 if close >= 0 else len(markup)
        if end < 0:
            return "".join(out)
    out.append(markup[position:])
    return "".join(out)


def _text(fragment: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()


def visible_text(markup: str) -> str:
    """Rough visible text of an HTML document (scripts, styles and tags removed)."""
    return _text(_without_blocks(markup))


def _elements(markup: str, name: str, limit: int) -> list[str]:
    """The inner markup of the first ``limit`` ``<name>`` elements, in one pass."""
    lower = markup.lower()
    found: list[str] = []
    opening = "<" + name
    start = lower.find(opening)
    while start >= 0 and len(found) < limit:
        after = start + len(opening)
        if after < len(lower) and lower[after] in _BOUNDARY:
            body = lower.find(">", after)
            end = lower.find("</" + name, body) if body >= 0 else -1
            if end < 0:
                break  # no later element can be closed either
            found.append(markup[body + 1 : end])
            after = end
        start = lower.find(opening, after)
    return found


def title_of(markup: str) -> str:
    titles = _elements(markup, "title", 1)
    return _text(titles[0]) if titles else ""


def headings(markup: str) -> list[str]:
    return [_text(h) for h in _elements(markup, "h1", 20)]


def bot_wall(status: int, headers: Mapping[str, str], markup: str) -> str | None:
    """Why a response is a bot or challenge wall, or None."""
    if status == 999:
        return "999 request denied (bot wall)"
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return f"{status} challenge (cf-mitigated)"
    if status in (403, 429, 503, 202) and _BOT_WALL_TEXT.search(markup[:50_000]):
        return f"{status} challenge page"
    return None


def parked(markup: str, final_url: str) -> str | None:
    """Why a page looks like a parked or for-sale domain, or None."""
    host = (urlsplit(final_url).hostname or "").lower()
    for parking in PARKING_HOSTS:
        if host == parking or host.endswith("." + parking):
            return f"redirected to the parking service {parking}"
    text = visible_text(markup[:200_000])
    match = _PARKED_RE.search(text)
    if match and len(text) < 6000:
        return f"parked or for-sale page ('{match.group(0)}')"
    return None


def not_found_page(markup: str) -> str | None:
    """Why a 200 page reads as a not-found page: its title or main heading *is* a not-found
    message ("Page not found | Site"), not merely mentions one ("Page not found: where our
    old posts went"), on a page with little text of its own."""
    head = markup[:300_000]
    if len(visible_text(head).split()) > 600:
        return None
    title = title_of(head)
    for label, text in (("title", title), *(("heading", h) for h in headings(head)[:2])):
        for part in _TITLE_SEPARATORS.split(text)[:3]:
            if _NOT_FOUND_TITLE.match(part.strip()):
                return f"{label} says '{text[:80]}'"
    return None


def login_wall(url: str) -> bool:
    return bool(_LOGIN_PATH.search(urlsplit(url).path + ("?" if urlsplit(url).query else "")))


def needs_javascript(markup: str) -> str | None:
    """Why the raw HTML cannot be judged without running its scripts, or None."""
    head = markup[:300_000]
    if "<script" not in head.lower():
        return None
    if _JS_REDIRECT.search(head):
        return "script changes location"
    if len(visible_text(head)) < 200:
        return "little text without scripts (single-page app shell)"
    return None


def shingles(text: str, size: int = 4) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower())
    return {" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of two texts' word 4-shingles (1.0 = same template and text)."""
    left, right = shingles(a), shingles(b)
    if not left or not right:
        return 1.0 if left == right else 0.0
    return len(left & right) / len(left | right)
