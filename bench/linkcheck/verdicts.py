"""Each tool's output mapped to Prospector's verdicts (live, dead, inconclusive, skipped),
and the accuracy of those verdicts.

The mapping follows each tool's own categories, never the case at hand:

- **Prospector** (``check --json``): its ``verdict`` and ``status`` as printed.
- **lychee** (``--format json``): ``success_map`` and ``redirect_map`` → live; ``error_map``
  (any rejected status, TLS, DNS or connection failure, unparseable URL) → dead;
  ``timeout_map`` → inconclusive (lychee counts timeouts apart from errors); ``excluded_map``
  and ``unsupported`` → skipped.
- **linkinator** (``--format json``): ``OK`` → live; ``BROKEN`` → dead; ``SKIPPED`` with an
  HTTP status (linkinator's bot-protection rule for 999 and Cloudflare 403 challenges: "we
  cannot distinguish between valid and invalid URLs when blocked") → inconclusive;
  ``SKIPPED`` without one (not http(s), or skipped by option) → skipped.
- **LinkChecker** (``-o csv``): ``valid=False`` → dead; ``valid=True`` with "Access denied by
  robots.txt" or "checked only syntax" → skipped; with its ``http-rate-limited`` warning
  ("Rate limited") → inconclusive; otherwise → live.

A URL missing from a tool's output counts as ``missing`` (never right).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.linkcheck.urlset import Case

VERDICTS = ("live", "dead", "inconclusive", "skipped")
MISSING = "missing"


@dataclass(frozen=True)
class Answer:
    """One tool's answer for one URL."""

    verdict: str
    detail: str = ""
    status: str = ""  # Prospector's precise status; empty for the peers


def match_key(url: str) -> str:
    """A key under which a URL and the same URL as a tool reports it meet: lower-case scheme
    and host, host without a trailing dot, no default port, no fragment, '' path -> '/'."""
    raw = url.strip()
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return raw
    if not parts.scheme or not host:
        return raw
    scheme = parts.scheme.lower()
    netloc = host if port in (None, {"http": 80, "https": 443}.get(scheme)) else f"{host}:{port}"
    if ":" in host:
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


# --- Prospector ---------------------------------------------------------------------------------


def parse_ours(text: str) -> dict[str, Answer]:
    out: dict[str, Answer] = {}
    for item in json.loads(text):
        out[item["url"]] = Answer(item["verdict"], item.get("detail", ""), item["status"])
    return out


# --- lychee -------------------------------------------------------------------------------------

_LYCHEE_MAPS = {
    "success_map": "live",
    "redirect_map": "live",
    "error_map": "dead",
    "timeout_map": "inconclusive",
    "excluded_map": "skipped",
    "unsupported_map": "skipped",
}
_LYCHEE_BAD_URL = re.compile(r'Error building URL for "(.*?)"(?: \(Attribute|: |$)')


def _lychee_status_text(status: Any) -> str:
    if isinstance(status, dict):
        return str(status.get("text") or status.get("details") or "")
    return str(status)


def parse_lychee(text: str) -> dict[str, Answer]:
    data = json.loads(text)
    out: dict[str, Answer] = {}
    for name, verdict in _LYCHEE_MAPS.items():
        for items in (data.get(name) or {}).values():
            for item in items:
                detail = _lychee_status_text(item.get("status"))
                url = item.get("url", "")
                if not url or url.startswith("error:"):
                    found = _LYCHEE_BAD_URL.search(detail)
                    if found is None:
                        continue
                    url = found.group(1)
                if name == "success_map" and url in out:
                    continue  # a redirect's entry says more
                out[url] = Answer(verdict, detail)
    return out


# --- linkinator ---------------------------------------------------------------------------------


def parse_linkinator(text: str) -> dict[str, Answer]:
    data = json.loads(text)
    out: dict[str, Answer] = {}
    for link in data.get("links", []):
        state, status = link.get("state"), int(link.get("status") or 0)
        if state == "OK":
            verdict = "live"
        elif state == "BROKEN":
            verdict = "dead"
        elif state == "SKIPPED":
            verdict = "inconclusive" if status else "skipped"
        else:
            continue
        out[link["url"]] = Answer(verdict, f"{state} {status}")
    return out


# --- LinkChecker --------------------------------------------------------------------------------


def parse_linkchecker(text: str) -> dict[str, Answer]:
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
    out: dict[str, Answer] = {}
    for row in csv.DictReader(io.StringIO("".join(lines)), delimiter=";"):
        url = row.get("urlname") or ""
        if not url or url.startswith("file:"):
            continue
        result = row.get("result") or ""
        warning = row.get("warningstring") or ""
        info = row.get("infostring") or ""
        if row.get("valid") != "True":
            verdict = "dead"
        elif "robots.txt" in info or "checked only syntax" in info:
            verdict = "skipped"
        elif "Rate limited" in warning:
            verdict = "inconclusive"
        else:
            verdict = "live"
        out[url] = Answer(verdict, " | ".join(x for x in (result, warning, info) if x)[:300])
    return out


PARSERS = {
    "prospector": parse_ours,
    "lychee": parse_lychee,
    "linkinator": parse_linkinator,
    "linkchecker": parse_linkchecker,
}


def lookup(answers: dict[str, Answer], url: str, index: dict[str, Answer] | None = None) -> Answer:
    """The tool's answer for ``url`` (as given, or as the tool wrote it back)."""
    found = answers.get(url)
    if found is not None:
        return found
    if index is None:
        index = {match_key(u): a for u, a in answers.items()}
    return index.get(match_key(url), Answer(MISSING, "not in the tool's output"))


# --- accuracy -----------------------------------------------------------------------------------


@dataclass
class Score:
    """How a tool did on a set of cases."""

    run: int = 0
    right: int = 0
    status_right: int = 0  # Prospector only: the precise status matched too
    not_run: list[str] = field(default_factory=list)
    wrong: list[tuple[Case, Answer]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.run if self.run else 0.0

    @property
    def status_accuracy(self) -> float:
        return self.status_right / self.run if self.run else 0.0


def score(cases: Iterable[Case], answers: dict[str, Answer], *, guarded: bool = True) -> Score:
    """Verdict accuracy over ``cases``; an unguarded tool (a peer) is not run on cases that
    are not :attr:`Case.peer_safe`, and those are listed apart."""
    result = Score()
    index = {match_key(u): a for u, a in answers.items()}
    for case in cases:
        if not guarded and not case.peer_safe:
            result.not_run.append(case.url)
            continue
        answer = lookup(answers, case.url, index)
        result.run += 1
        if answer.verdict == case.expected_verdict:
            result.right += 1
            if answer.status == case.expected_status:
                result.status_right += 1
        else:
            result.wrong.append((case, answer))
    return result


def summarise_wrong(wrong: list[tuple[Case, Answer]]) -> list[str]:
    """Wrong answers grouped as 'expected verdict/status -> got verdict: N (e.g. URL)'."""
    groups: dict[tuple[str, str, str], list[tuple[Case, Answer]]] = {}
    for case, answer in wrong:
        key = (case.expected_verdict, case.expected_status, answer.verdict)
        groups.setdefault(key, []).append((case, answer))
    lines = []
    for (verdict, status, got), items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        case, answer = items[0]
        example = case.url + (f" ({answer.detail[:80]})" if answer.detail else "")
        lines.append(f"{status} ({verdict}) reported {got}: {len(items)} — e.g. {example}")
    return lines
