"""``prospector run`` (discovery) and ``prospector prospects`` (the list it produces)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from prospector.cli.output import console, print_json, progress_bar
from prospector.cli.state import state
from prospector.pipeline import prospect

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
    with progress_bar(quiet=as_json) as bar:
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
        console.print(
            f"  scored: {s.qualified} qualified, {s.spam_rejected} rejected as spam "
            "(with the reasons)"
        )
        if sum(s.held.values()):
            console.print(
                f"  held back (recorded as rejected, with the reason): {sum(s.held.values())}"
            )
        if s.dead_pending:
            console.print(
                f"  {s.dead_pending} dead links await a second check "
                "(broken-link rule: dead on two checks hours apart)"
            )
        drafts = s.drafts or {}
        if drafts.get("not_configured"):
            console.print(f"  no drafts: {escape(drafts['not_configured'])}")
        elif drafts:
            console.print(
                f"  drafted {drafts['drafted']} pitch(es) for review; "
                f"{drafts['no_contact']} qualified without an email contact"
                + (f", {drafts['suppressed']} suppressed" if drafts["suppressed"] else "")
            )
            for problem in drafts.get("refused", []):
                console.print(f"  [red]draft refused:[/] {escape(problem)}")
        for note in s.notes:
            console.print(f"  {escape(note)}")
    console.print("next: prospector prospects   (then: prospector show ID, prospector approve ID)")


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
        "qualified": summary.qualified,
        "spam_rejected": summary.spam_rejected,
        "drafts": summary.drafts,
        "elapsed_s": summary.elapsed_s,
    }


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Prospecting")(run)
