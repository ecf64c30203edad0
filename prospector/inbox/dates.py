"""The return date an out-of-office reply states ("back on Monday 14 December", "until 12/14").

Dates without a year take the message's year, or the next one when that would put the return
before the message was sent. A weekday alone ("back on Monday") is the next such day after the
message date. Slashed dates are read month first (12/14) unless the first number cannot be a
month; dotted ones (14.12.) day first.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

__all__ = ["return_date"]

_MONTHS = {
    "jan": 1, "january": 1, "januar": 1, "janvier": 1, "enero": 1, "januari": 1,
    "feb": 2, "february": 2, "februar": 2, "février": 2, "fevrier": 2, "febrero": 2, "februari": 2,
    "mar": 3, "march": 3, "märz": 3, "maerz": 3, "mars": 3, "marzo": 3, "maart": 3,
    "apr": 4, "april": 4, "avril": 4, "abril": 4,
    "may": 5, "mai": 5, "mayo": 5, "mei": 5,
    "jun": 6, "june": 6, "juni": 6, "juin": 6, "junio": 6,
    "jul": 7, "july": 7, "juli": 7, "juillet": 7, "julio": 7,
    "aug": 8, "august": 8, "août": 8, "aout": 8, "agosto": 8, "augustus": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9, "septiembre": 9,
    "oct": 10, "october": 10, "oktober": 10, "octobre": 10, "octubre": 10,
    "nov": 11, "november": 11, "novembre": 11, "noviembre": 11,
    "dec": 12, "december": 12, "dezember": 12, "décembre": 12, "decembre": 12, "diciembre": 12,
}  # fmt: skip
_WEEKDAYS = {
    "monday": 0, "mon": 0, "montag": 0, "lundi": 0, "lunes": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "dienstag": 1, "mardi": 1, "martes": 1,
    "wednesday": 2, "wed": 2, "mittwoch": 2, "mercredi": 2, "miércoles": 2,
    "thursday": 3, "thu": 3, "thurs": 3, "donnerstag": 3, "jeudi": 3, "jueves": 3,
    "friday": 4, "fri": 4, "freitag": 4, "vendredi": 4, "viernes": 4,
    "saturday": 5, "sat": 5, "samstag": 5, "samedi": 5, "sábado": 5,
    "sunday": 6, "sun": 6, "sonntag": 6, "dimanche": 6, "domingo": 6,
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH = rf"(?<![^\W\d_])(?P<mon>{_MONTH_NAMES})(?![^\W\d_])\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?:,?\s*(?P<year>\d{4}))?"
_WEEKDAY = (
    "(?P<wd>"
    + "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
    + rf")(?![^\W\d_])(?![.,]?\s*(?:\d|(?:{_MONTH_NAMES})(?![^\W\d_])))"
)

_DATE_FORMS = [
    re.compile(r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"),
    re.compile(rf"{_DAY}\s*(?:of\s+|de\s+)?{_MONTH}{_YEAR}", re.IGNORECASE),
    re.compile(rf"{_MONTH}\s*{_DAY}{_YEAR}", re.IGNORECASE),
    re.compile(r"(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?:(?P=sep)(?P<y2>\d{2,4}))?"),
    re.compile(rf"(?<![^\W\d_]){_WEEKDAY}", re.IGNORECASE),
    re.compile(r"\b(?P<rel>tomorrow|morgen|demain|mañana)\b", re.IGNORECASE),
]
# Words after which the stated date is when the sender is back, strongest first.
_CUES = [
    re.compile(
        r"\b(?:back|return(?:ing|s)?|be in the office|in the office again|zurück|wieder im büro"
        r"|de retour|regreso|vuelvo|terug|rientro)\b(?:\s+(?:on|in the office on|to the office on|by|"
        r"am|le|el|op|the|at work on|to work on))*",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:until|till|til|through|thru|bis(?: zum| einschließlich)?|jusqu'au|hasta(?: el)?|tot)\b",
        re.IGNORECASE,
    ),
]
_WINDOW = 60


def return_date(text: str, sent: date) -> date | None:
    """The first date stated after a return cue in ``text``, or ``None``."""
    for cue in _CUES:
        for match in cue.finditer(text):
            window = text[match.end() : match.end() + _WINDOW]
            window = re.split(r"[!?;\n]|\.\s+[A-Z]", window)[0]
            found = _first_date(window, sent)
            if found is not None:
                return found
    return None


def _first_date(window: str, sent: date) -> date | None:
    best: tuple[int, date] | None = None
    for form in _DATE_FORMS:
        for match in form.finditer(window):
            parsed = _to_date(match, sent)
            if parsed is not None and (best is None or match.start() < best[0]):
                best = (match.start(), parsed)
            if parsed is not None:
                break
    return best[1] if best else None


def _to_date(m: re.Match[str], sent: date) -> date | None:
    groups = m.groupdict()
    if groups.get("iy"):
        return _safe(int(groups["iy"]), int(groups["im"]), int(groups["id"]))
    if groups.get("rel"):
        return sent + timedelta(days=1)
    if groups.get("wd"):
        ahead = (_WEEKDAYS[groups["wd"].lower()] - sent.weekday() - 1) % 7 + 1
        return sent + timedelta(days=ahead)
    year = groups.get("year") or groups.get("y2")
    if groups.get("mon"):
        month, day = _MONTHS[groups["mon"].lower()], int(groups["day"])
    elif groups.get("a"):
        first, second = int(groups["a"]), int(groups["b"])
        day_first = groups["sep"] == "." or first > 12
        day, month = (first, second) if day_first else (second, first)
    else:
        return None
    if year:
        full = int(year) + (2000 if len(year) == 2 else 0)
        return _safe(full, month, day)
    guess = _safe(sent.year, month, day)
    if guess is not None and guess < sent - timedelta(days=1):
        guess = _safe(sent.year + 1, month, day)
    return guess


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
