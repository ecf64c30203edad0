"""The Google disavow file: ``domain:`` lines for the domains a person confirmed, each after
``#`` comment lines giving the audit's reasons and the date.

Nothing is chosen silently: :func:`choose` takes the domains confirmed by name and, when
asked, every domain the audit flagged toxic. A confirmed domain the audit did not flag is
written with the comment "confirmed by hand, not flagged". An existing file is kept as it
is and the new domains are appended (Search Console holds one disavow file per site, and
uploading replaces it, so dropping earlier entries would undo them); a domain already in the
file is not written twice. Comment text comes from untrusted pages and exports, so control
and line-break characters are flattened: a reason can never start a line of its own.
"""

from __future__ import annotations

import re
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from prospector import private
from prospector.audit.model import AuditResult, DomainAudit
from prospector.config import Settings
from prospector.errors import UserError
from prospector.store import open_db
from prospector.web.urls import host_of

MAX_REASONS = 6
MAX_COMMENT = 300
HEADER = (
    "# Google disavow file written by Prospector's backlink audit (prospector audit).",
    "# Upload it with Search Console's disavow links tool; the upload replaces the list there.",
)
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$)(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})$")
_IPV4 = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}$")


@dataclass(frozen=True)
class DisavowEntry:
    domain: str
    flagged: bool  # the audit flagged it toxic
    headline: str  # the first comment line (after the domain)
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "flagged": self.flagged,
            "headline": self.headline,
            "reasons": list(self.reasons),
        }


@dataclass
class DisavowReport:
    file: str
    written: list[str] = field(default_factory=list)  # domains added to the file
    already: list[str] = field(default_factory=list)  # confirmed, but already in the file
    kept: int = 0  # domain: and URL lines the file had before
    entries: list[DisavowEntry] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "written": self.written,
            "already_in_file": self.already,
            "kept_entries": self.kept,
            "entries": [e.as_dict() for e in self.entries if e.domain in self.written],
        }


def normalise_domain(text: str) -> str:
    """'Domain:WWW.Spam.example.' / 'https://spam.example/x' -> 'spam.example' (IDNA)."""
    name = text.strip().lower().removeprefix("domain:").strip()
    if "://" in name:
        name = host_of(name)
    name = name.split("/")[0].split(":")[0].rstrip(".").removeprefix("www.")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise UserError(f"'{text}' is not a domain name") from None
    if not (_DOMAIN.match(name) or _IPV4.match(name)):
        raise UserError(f"'{text}' is not a domain name")
    return name


def choose(
    result: AuditResult, confirmed: Sequence[str], all_flagged: bool, *, actor: str, today: date
) -> list[DisavowEntry]:
    """The entries to write: every toxic domain when ``all_flagged``, plus each domain
    confirmed by name (flagged or not). ``UserError`` for a name that is not a domain."""
    by_name = {normalise_domain(d.domain): d for d in result.domains}
    wanted: dict[str, DomainAudit | None] = {}
    if all_flagged:
        for audit in result.flagged():
            wanted[normalise_domain(audit.domain)] = audit
    for text in confirmed:
        name = normalise_domain(text)
        wanted.setdefault(name, by_name.get(name))
    return [_entry(name, audit, actor, today) for name, audit in wanted.items()]


def _entry(name: str, audit: DomainAudit | None, actor: str, today: date) -> DisavowEntry:
    when = f"audit of {today.isoformat()}, confirmed by {actor}"
    if audit is None:
        headline = f"confirmed by hand, not flagged (not in this audit); {when}"
        return DisavowEntry(name, False, headline, ())
    reasons = tuple(f.reason for f in sorted(audit.flags, key=lambda f: -f.weight))
    summary = f"{audit.verdict}, toxicity {audit.toxicity:.0f}"
    if audit.verdict == "toxic":
        return DisavowEntry(name, True, f"{summary}; {when}", reasons[:MAX_REASONS])
    headline = f"confirmed by hand, not flagged (audit: {summary}); {when}"
    return DisavowEntry(name, False, headline, reasons[:MAX_REASONS])


def comment(text: str) -> str:
    """One line of comment text: control and line-break characters flattened, trimmed."""
    flat = "".join(
        " " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in str(text)
    )
    flat = " ".join(flat.split())
    return flat if len(flat) <= MAX_COMMENT else flat[: MAX_COMMENT - 3] + "..."


def render(entry: DisavowEntry) -> list[str]:
    lines = [f"# {entry.domain}: {comment(entry.headline)}"]
    lines += [f"# - {comment(reason)}" for reason in entry.reasons]
    lines.append(f"domain:{entry.domain}")
    return lines


def existing_entries(text: str) -> tuple[set[str], int]:
    """The domains a disavow file lists, and how many entries (domain: and URL lines) it has."""
    domains: set[str] = set()
    count = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        count += 1
        if line.lower().startswith("domain:"):
            domains.add(line[len("domain:") :].strip().lower().rstrip("."))
    return domains, count


def write_disavow(path: Path, entries: Sequence[DisavowEntry]) -> DisavowReport:
    """Append the entries not already listed to the disavow file (created if missing),
    atomically. ``UserError`` when the file cannot be read or written."""
    report = DisavowReport(str(path), entries=list(entries))
    before = ""
    if path.exists():
        try:
            before = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot read the existing disavow file: {exc}") from None
    listed, report.kept = existing_entries(before)
    lines: list[str] = []
    for entry in entries:
        if entry.domain in listed:
            report.already.append(entry.domain)
            continue
        listed.add(entry.domain)
        report.written.append(entry.domain)
        lines += ["", *render(entry)]
    if not report.written:
        return report
    if before:
        text = before.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    else:
        text = "\n".join([*HEADER, *lines]) + "\n"
    _atomic_write(path, text)
    return report


def _atomic_write(path: Path, text: str) -> None:
    """Replace the file atomically: a new file is 0600 (it names the domains we disown and
    who decided); an existing one keeps its mode."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else private.FILE_MODE
        private.write_private(path, text.encode("utf-8"), mode=mode)
    except OSError as exc:
        raise UserError(f"{path}: cannot write the disavow file: {exc.strerror or exc}") from None


def disavow(
    settings: Settings,
    path: Path,
    result: AuditResult,
    confirmed: Sequence[str],
    all_flagged: bool,
    *,
    actor: str,
    today: date | None = None,
) -> DisavowReport:
    """Write the confirmed domains to the disavow file and record who confirmed each
    (a ``disavow`` event per domain written)."""
    day = today or date.today()
    entries = choose(result, confirmed, all_flagged, actor=actor, today=day)
    report = write_disavow(path, entries)
    if report.written:
        with open_db(settings.database) as store:
            for entry in report.entries:
                if entry.domain in report.written:
                    store.add_event(
                        "domain",
                        entry.domain,
                        "disavow",
                        actor,
                        {"file": str(path), "flagged": entry.flagged, "reasons": entry.reasons},
                    )
    return report
