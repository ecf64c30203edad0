"""``prospector verify`` (earned links and syndicated copies) and ``prospector syndication``
(the copies: list and add)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from prospector.cli.args import check_campaign, check_url
from prospector.cli.output import console, print_json, progress_bar
from prospector.cli.outreach import actor
from prospector.cli.state import state
from prospector.verify.run import verify as verify_job
from prospector.verify.syndication import REQUIRES, add_copy, list_copies

_COLOUR = {"live": "green", "downgraded": "yellow", "missing": "red", "inconclusive": "dim"}

syndication_app = typer.Typer(
    help="Syndicated copies of our content: the list with verdicts, and adding copies."
)


def verify(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Check earned links and syndicated copies: live, downgraded, missing or inconclusive.

    A link is lost after two checks in a row (verify.lost_after_misses) that find the page
    without it (a blocked or failing page never counts); a lost link, or a live one turning
    downgraded, raises an alert and a reclaim prospect. Copies are checked for a canonical
    to the original, noindex and an attribution link.
    """
    with progress_bar(quiet=as_json) as bar:
        task: Any = None

        def report(stage: str, done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task("verifying", total=total)
            bar.update(task, completed=done, description=f"verifying {stage}")

        summary = verify_job(state(ctx).settings(), campaign, report)
    if as_json:
        print_json(summary.as_dict())
        return
    for line in summary.placements:
        colour = _COLOUR.get(line["outcome"], "")
        change = f" -> {line['state']}" if line["state"] != line["was"] else ""
        console.print(
            f"link #{line['id']} [{colour}]{line['outcome']}[/] ({line['was']}{change}) "
            f"{escape(line['url'])}"
        )
        for why in [*line["reasons"], *line["flags"]]:
            console.print(f"    {escape(why)}")
    for waiting in summary.awaiting_url:
        console.print(f"link #{waiting['id']} skipped: {waiting['note']}")
    for line in summary.copies:
        ok = {True: "[green]ok[/]", False: "[red]failing[/]", None: "[dim]unknown[/]"}[line["ok"]]
        console.print(f"copy #{line['id']} {line['verdict']} {ok} {escape(line['url'])}")
        for why in [*line["reasons"], *line["flags"]]:
            console.print(f"    {escape(why)}")
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(summary.outcomes().items())) or "none"
    verdicts = ", ".join(f"{n} {k}" for k, n in sorted(summary.verdicts().items())) or "none"
    console.print(f"links: {outcomes}; copies: {verdicts}; in {summary.elapsed_s:.1f}s")
    for alert in summary.alerts:
        what = alert.get("change", "alert")
        console.print(
            f"[bold red]alert[/] {what}: {escape(alert.get('url', ''))}: "
            f"{escape('; '.join(alert.get('reasons', [])))}"
            + (
                f" (reclaim prospect #{alert['reclaim_prospect']})"
                if alert.get("reclaim_prospect")
                else ""
            )
        )
    for note in summary.notes:
        console.print(escape(note))


@syndication_app.callback(invoke_without_command=True)
def syndication(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Every field, as JSON.")] = False,
) -> None:
    """Syndicated copies with their latest verdict (or a subcommand: add)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = state(ctx).settings()
    check_campaign(settings, campaign)
    rows = list_copies(settings, campaign)
    if as_json:
        print_json(rows)
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("id", "copy", "original", "requires", "verdict", "ok", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        evidence = row["last_evidence"] or {}
        ok = {True: "yes", False: "no", None: "-"}[row["last_ok"]]
        requires = row["require"] + (" + attribution" if row["attribution"] else "")
        why = "; ".join([*evidence.get("reasons", []), *evidence.get("flags", [])])
        table.add_row(
            str(row["id"]),
            escape(row["url"]),
            escape(row["original"]),
            requires,
            row["verdict"] or "not checked yet",
            ok,
            escape(why),
        )
    console.print(table)
    console.print(f"{len(rows)} copies")


@syndication_app.command("add")
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The copy's URL.", show_default=False)],
    original: Annotated[str, typer.Option(help="Our original's URL.", show_default=False)],
    require: Annotated[
        str, typer.Option(help=f"What the copy must carry: {', '.join(REQUIRES)}.")
    ] = "canonical_or_noindex",
    attribution: Annotated[
        bool,
        typer.Option(
            "--attribution/--no-attribution", help="Require a visible link to the original."
        ),
    ] = True,
    campaign: Annotated[str | None, typer.Option(help="The campaign it belongs to.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Add a syndicated copy to check (adding a known one again updates what it requires)."""
    check_url(url, "URL")
    check_url(original, "--original")
    out = add_copy(
        state(ctx).settings(),
        url,
        original=original,
        require=require,
        attribution=attribution,
        campaign=campaign,
        actor=actor(),
    )
    if as_json:
        print_json(out)
        return
    row = out["copy"]
    console.print(
        f"copy #{row['id']} {out['change']}: {escape(row['url'])} (requires {row['require']}"
        + (" and an attribution link" if row["attribution"] else "")
        + ")"
    )


def register(parent: typer.Typer) -> None:
    parent.command(rich_help_panel="Monitoring")(verify)
    parent.add_typer(syndication_app, name="syndication", rich_help_panel="Monitoring")
