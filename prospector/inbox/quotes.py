"""The new text of a reply: quoted history and signatures stripped.

Three passes over the lines:

1. cut at the first line that starts the old message: "-----Original Message-----" (and its
   translations), "Begin forwarded message:", an Outlook header block ("From: … Sent: … To: …
   Subject: …", localised), an underscore rule followed by such a block, or the marker
   :func:`prospector.inbox.message.html_to_text` leaves where an HTML quote was;
2. drop ``>`` quoted lines and the attribution line before them ("On … wrote:", split over up to
   three lines, localised: "Am … schrieb", "Le … a écrit", "El … escribió", "Op … schreef"…).
   An attribution followed by *unquoted* text (Outlook, iPhone) is a cut like pass 1. Text after a
   quote block (bottom-posting, inline answers) is kept;
3. drop the signature: from a ``-- `` line on, and trailing "Sent from my iPhone" /
   "Get Outlook for iOS" lines.
"""

from __future__ import annotations

import re

__all__ = ["strip_quotes"]

_WROTE = (
    r"wrote|writes|schrieb|geschrieben|a écrit|a ecrit|escribió|escribio|schreef|ha scritto"
    r"|escreveu|skrev|kirjoitti|pisze|napisał|napsal|написал|написала|írta|yazdı|έγραψε"
)
_ATTRIBUTION = re.compile(rf"^.{{0,300}}\b(?:{_WROTE})\s*:?\s*$", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(
    r"^\s*(?:On|Am|Le|El|Op|Il|Em|Den|W dniu|På|Dne|Den|Στις)\b", re.IGNORECASE
)
_SEPARATOR = re.compile(
    r"^\s*[-=_*]{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|message original"
    r"|mensaje original|messaggio originale|mensagem original|oorspronkelijk bericht|originalmeddelande"
    r"|opprinnelig melding|alkuperäinen viesti|forwarded message|weitergeleitete nachricht"
    r"|message transféré|mensaje reenviado|reply message)\s*[-=_*]{0,}\s*$"
    r"|^\s*begin forwarded message:?\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(
    r"^\s*\*?(?:From|Von|De|Van|Da|Från|Fra|Od|Lähettäjä)\s*:\*?\s*\S", re.IGNORECASE
)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(?:Sent|Date|To|Cc|Subject|Gesendet|Datum|An|Betreff|Envoyé|À|Objet|Enviado(?: el)?"
    r"|Fecha|Para|Asunto|Verzonden|Aan|Onderwerp|Inviato|Data|A|Oggetto|Skickat|Till|Ämne"
    r"|Sendt|Til|Emne|Wysłano|Temat)\s*:",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent (?:from|with|via|using) |get outlook for |envoyé de mon |envoyé depuis |"
    r"von meinem .{0,40}gesendet|gesendet von |enviado desde |enviado do meu |inviato da |"
    r"verzonden (?:vanaf|met) |skickat från |sendt fra |outlook for (?:ios|android)|"
    r"download outlook for )",
    re.IGNORECASE,
)
_SIG_DASHES = re.compile(r"^--\s*$")


def strip_quotes(text: str) -> str:
    """The new text of a reply (see the module docstring)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _first_cut(lines)]
    lines = _drop_quoted(lines)
    lines = _drop_signature(lines)
    cleaned = "\n".join(line.rstrip() for line in lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()


def _first_cut(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line):
            return i
        if _HEADER_FROM.match(line) and _header_block(lines, i + 1):
            return i
        if _RULE.match(line) and any(
            _HEADER_FROM.match(x) for x in _next_nonblank(lines, i + 1, 2)
        ):
            return i
    return len(lines)


def _header_block(lines: list[str], start: int) -> bool:
    """At least two mail-header lines (Sent:, To:, Subject:…) among the next few lines."""
    window = lines[start : start + 6]
    return sum(1 for line in window if _HEADER_OTHER.match(line)) >= 2


def _drop_quoted(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _quoted(line):
            i += 1
            continue
        span = _attribution(lines, i)
        if span:
            following = _next_nonblank(lines, i + span, 1)
            if following and _quoted(following[0]):
                i += span
                continue
            break  # history follows unquoted: everything after is old
        out.append(line)
        i += 1
    return out


def _attribution(lines: list[str], i: int) -> int:
    """How many lines (1-3) from ``i`` form an attribution line, 0 if none."""
    if not lines[i].strip():
        return 0
    for span in (1, 2, 3):
        chunk = lines[i : i + span]
        if len(chunk) < span or any(_quoted(x) for x in chunk):
            break
        joined = " ".join(x.strip() for x in chunk)
        if len(joined) > 300:
            break
        if _ATTRIBUTION.match(joined) and (span == 1 or _looks_like_start(chunk[0])):
            return span
        if span > 1 and not chunk[-1].strip():
            break
    following = _next_nonblank(lines, i + 1, 1)
    line = lines[i].rstrip()
    if (
        line.endswith(":")
        and following
        and _quoted(following[0])
        and (re.search(r"@|\d{1,2}[:/.]\d{2}", line) or _ATTRIBUTION_START.match(line))
    ):
        return 1
    return 0


def _looks_like_start(line: str) -> bool:
    """Could an attribution split over lines start here ("On Mon, …", "02.04.2012 14:20 …")?"""
    return bool(_ATTRIBUTION_START.match(line) or re.search(r"@|\d{1,2}[:/.]\d{2}", line))


def _drop_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if i > 0 and _SIG_DASHES.match(line) and any(x.strip() for x in lines[:i]):
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or _MOBILE_SIGNATURE.match(lines[-1])):
        lines = lines[:-1]
    return lines


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _next_nonblank(lines: list[str], start: int, count: int) -> list[str]:
    found: list[str] = []
    for index in range(start, len(lines)):  # not lines[start:]: no copy per call
        line = lines[index]
        if line.strip():
            found.append(line)
            if len(found) == count:
                break
    return found
