"""``prospector run`` (discovery) and ``prospector prospects`` (the list it produces)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from prospector.cli.output import console, err_console, print_json
from prospector.cli.state import state
from prospector.pipeline import list_prospects, prospect

TYPES = ("broken_link", "resource_page", "guest_post")


def run(
    ctx: typer.Context,
    campaigns: Annotated[
        list[str] | None,
        typer.Argument(help="Campaigns to run (default: every campaign).", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Discover opportunities for campaigns and write prospects with their evidence."""
    settings = state(ctx).settings()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json or not err_console.is_terminal,
    ) as bar:
        tasks: dict[tuple[str, str], Any] = {}

        def report(campaign: str, stage: str, done: int, total: int) -> None:
            key = (campaign, stage)
            if key not in tasks:
                tasks[key] = bar.add_task(f"{campaign}: {stage}", total=total)
            bar.update(tasks[key], completed=done, total=max(total, done))

        summaries = prospect(settings, campaigns or [], report)
    if as_json:
        print_json([_summary_dict(s) for s in summaries])
        return
    for s in summaries:
        found = ", ".join(f"{s.prospects[t]} {t.replace('_', '-')}" for t in TYPES) or "none"
        console.print(
            f"[bold]{escape(s.campaign)}[/]: {s.pages} pages read "
            f"({s.failed} failed), {s.links_checked} links checked "
            f"({s.links_reused} recently checked), in {s.elapsed_s:.1f}s"
        )
        console.print(f"  new prospects: {found}")
        if sum(s.held.values()):
            console.print(
                f"  held back (recorded as rejected, with the reason): {sum(s.held.values())}"
            )
        if s.dead_pending:
            console.print(
                f"  {s.dead_pending} dead links await a second check "
                "(broken-link rule: dead on two checks hours apart)"
            )
        for note in s.notes:
            console.print(f"  {escape(note)}")
    console.print("next: prospector prospects")


def _summary_dict(summary: Any) -> dict[str, Any]:
    return {
        "campaign": summary.campaign,
        "run_id": summary.run_id,
        "candidates": dict(summary.candidates),
        "pages": summary.pages,
        "failed": summary.failed,
        "page_types": dict(summary.page_types),
        "links_checked": summary.links_checked,
        "links_reused": summary.links_reused,
        "dead_confirmed": summary.dead_confirmed,
        "dead_pending": summary.dead_pending,
        "prospects": dict(summary.prospects),
        "held": dict(summary.held),
        "notes": summary.notes,
        "elapsed_s": summary.elapsed_s,
    }


def prospects(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    kind: Annotated[
        str | None, typer.Option("--type", help="broken_link, resource_page or guest_post.")
    ] = None,
    states: Annotated[
        list[str] | None,
        typer.Option(
            "--state", help="Only prospects in this state (repeatable; default: all but rejected)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The prospect list: what discovery found, with the key evidence."""
    if kind is not None and kind not in TYPES:
        raise typer.BadParameter(f"must be one of {', '.join(TYPES)}", param_hint="--type")
    rows = list_prospects(
        state(ctx).settings(), campaign=campaign, kind=kind, states=states or None
    )
    if not states:
        rows = [r for r in rows if r["state"] != "rejected"]
    if as_json:
        print_json(rows)
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("id", "campaign", "type", "state", "url", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            escape(row["campaign"]),
            row["type"],
            row["state"],
            escape(row["url"]),
            escape(_why(row)),
        )
    console.print(table)
    console.print(f"{len(rows)} prospects")


def _why(row: dict[str, Any]) -> str:
    evidence = row["evidence"]
    if row["type"] == "broken_link":
        dead = evidence.get("dead_links", [])
        first = dead[0] if dead else {}
        was = (first.get("wayback") or {}).get("title") or first.get("anchor", "")
        return f"{len(dead)} dead link(s): {first.get('href', '')} ({first.get('status', '')})" + (
            f", was '{was}'" if was else ""
        )
    signals = evidence.get("classification", {}).get("page_type_signals", {})
    detail = signals.get(row["type"], {})
    if row["type"] == "resource_page":
        return (
            f"{detail.get('distinct_domains', '?')} linked domains; cues "
            f"{', '.join(detail.get('title_cues', [])) or 'url'}"
        )
    emails = detail.get("submission_emails") or []
    return (
        f"cues {', '.join(detail.get('title_cues', [])) or 'url'}; "
        f"submit via {', '.join(emails) or ('form' if detail.get('submission_form') else '?')}"
    )


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Prospecting")(run)
    app.command(rich_help_panel="Review")(prospects)
