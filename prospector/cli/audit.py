"""``prospector audit``: the backlink audit (toxic links, with reasons) and the disavow file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from prospector.audit.disavow import DisavowReport, disavow, normalise_domain
from prospector.audit.model import AuditResult, DomainAudit
from prospector.audit.pages import DEFAULT_MAX_PAGES
from prospector.audit.run import audit_file, audit_placements
from prospector.cli.output import console, print_json, progress_bar
from prospector.cli.outreach import actor
from prospector.cli.state import state

_COLOUR = {"toxic": "bold red", "suspicious": "yellow", "unknown": "dim", "ok": "green"}
SHOW_REASONS = 3
SHOW_ANCHORS = 2
REASON_CHARS = 140  # per reason in the table (--json has them whole)


def audit(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(
            help="A backlink export (CSV or TSV from Ahrefs, Semrush, Moz, Search Console, or "
            "any file with a linking-page column).",
            dir_okay=False,
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    placements: Annotated[
        bool, typer.Option("--placements", help="Audit our own earned links instead of a file.")
    ] = False,
    campaign: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="The campaign relevance is measured against.", show_default=False
        ),
    ] = None,
    max_pages: Annotated[
        int,
        typer.Option(
            "--max-pages", min=1, metavar="N", help="Pages fetched in all (1-2 per linking domain)."
        ),
    ] = DEFAULT_MAX_PAGES,
    disavow_out: Annotated[
        Path | None,
        typer.Option(
            "--disavow",
            metavar="OUT",
            help="Write the confirmed domains to this Google disavow file (appended if it exists).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    confirm: Annotated[
        list[str] | None,
        typer.Option(
            "--confirm",
            metavar="DOMAIN",
            help="Disavow this domain (repeatable); one not flagged is noted so.",
        ),
    ] = None,
    confirm_all: Annotated[
        bool, typer.Option("--confirm-all-flagged", help="Disavow every domain flagged toxic.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole result as JSON.")] = False,
) -> None:
    """Audit a backlink profile: each linking domain's authority, relevance and spam signals,
    and a verdict (ok, suspicious, toxic, unknown) with the reasons.

    A domain whose pages could not be read conclusively is 'unknown', never 'toxic'.
    With --disavow, only confirmed domains are written: by --confirm, --confirm-all-flagged,
    or one question per toxic domain in a terminal; otherwise nothing is written. Exit 2 for
    an unusable file.
    """
    if (file is None) == (not placements):
        raise typer.BadParameter("give a backlink export FILE or --placements (one of them)")
    if (confirm or confirm_all) and disavow_out is None:
        raise typer.BadParameter("--confirm and --confirm-all-flagged need --disavow OUT")
    for name in confirm or []:
        normalise_domain(name)  # a typo is an error now, not after the whole audit
    settings = state(ctx).settings()
    with progress_bar(quiet=as_json) as bar:
        task: Any = None

        def report(stage: str, done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(stage, total=total)
            bar.update(task, completed=done, total=max(total, done), description=stage)

        if file is not None:
            result = audit_file(settings, file, campaign, max_pages=max_pages, progress=report)
        else:
            result = audit_placements(settings, campaign, max_pages=max_pages, progress=report)
    if not as_json:
        _print(result)
    written: DisavowReport | None = None
    note = ""
    if disavow_out is not None:
        chosen = list(confirm or [])
        if not chosen and not confirm_all and sys.stdin.isatty() and not as_json:
            chosen = [d.domain for d in result.flagged() if _ask(d)]
        if chosen or confirm_all:
            written = disavow(settings, disavow_out, result, chosen, confirm_all, actor=actor())
        note = _disavow_note(disavow_out, result, written)
    if as_json:
        out = result.as_dict()
        if disavow_out is not None:
            out["disavow"] = (written.as_dict() if written else {"file": str(disavow_out)}) | {
                "note": note
            }
        print_json(out)
    elif note:
        console.print(escape(note))


def _ask(domain: DomainAudit) -> bool:
    console.print(f"[bold red]toxic[/] {escape(domain.domain)} (toxicity {domain.toxicity:.0f})")
    for reason in domain.reasons()[:SHOW_REASONS]:
        console.print(f"    {escape(reason)}")
    return typer.confirm(f"Disavow {domain.domain}?", default=False)


def _disavow_note(path: Path, result: AuditResult, written: DisavowReport | None) -> str:
    if written is None or not (written.written or written.already):
        toxic = len(result.flagged())
        flagged = f"{toxic} domains flagged toxic, none confirmed" if toxic else "none flagged"
        return (
            f"nothing written to {path}: {flagged}; confirm with --confirm DOMAIN "
            "(repeatable) or --confirm-all-flagged"
        )
    parts = [f"{len(written.written)} domains written to {path}"]
    if written.already:
        parts.append(f"{len(written.already)} already in it")
    if written.kept:
        parts.append(f"{written.kept} earlier entries kept")
    return "disavow: " + ", ".join(parts)


def _print(result: AuditResult) -> None:
    where = f"{result.file} ({result.tool} export)" if result.source == "file" else "our placements"
    campaign = f", campaign '{result.campaign}'" if result.campaign else ""
    console.print(
        f"audit of {escape(where)}{escape(campaign)}: {result.links} links from "
        f"{len(result.domains)} domains, {result.pages_fetched} pages read"
    )
    if result.domains:
        table = Table(show_header=True, header_style="bold")
        table.add_column("domain", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
        for column in ("links", "anchors", "auth", "rel", "spam"):
            table.add_column(column, overflow="fold")
        table.add_column("reasons", overflow="fold", min_width=30)
        for d in result.domains:
            colour = _COLOUR[d.verdict]
            anchors = ", ".join(f"{a or '(none)'} x{n}" for a, n in d.anchors()[:SHOW_ANCHORS])
            if len(d.anchors()) > SHOW_ANCHORS:
                anchors += f" (+{len(d.anchors()) - SHOW_ANCHORS})"
            table.add_row(
                escape(d.domain),
                f"[{colour}]{d.verdict}[/]"
                + ("" if d.verdict == "unknown" else f" {d.toxicity:.0f}"),
                str(len(d.links)),
                escape(anchors),
                _score(d.authority),
                _score(d.relevance),
                _score(d.spam),
                escape("; ".join(_short(r) for r in d.reasons()[:SHOW_REASONS])),
            )
        console.print(table)
    counts = ", ".join(f"{n} {verdict}" for verdict, n in result.counts().items())
    console.print(
        f"verdicts: {counts} (toxic at {result.toxic_threshold:g}, "
        f"suspicious at {result.suspicious_threshold:g}); in {result.elapsed_s:.1f}s"
    )
    for note in result.notes:
        console.print(escape(note))


def _short(reason: str) -> str:
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 3] + "..."


def _score(part: Any) -> str:
    if part is None:
        return "-"
    if part.name == "authority" and part.evidence.get("provider") is None:
        return "?"
    return f"{part.score:.0f}"


def register(parent: typer.Typer) -> None:
    parent.command("audit", rich_help_panel="Monitoring")(audit)
