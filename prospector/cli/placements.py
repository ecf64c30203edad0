"""Earned links: ``prospector placed ID URL`` and ``prospector links`` (list, add, import,
show)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from prospector.cli.args import MAX_ID, check_campaign, check_url
from prospector.cli.output import console, print_json
from prospector.cli.outreach import actor
from prospector.cli.state import state
from prospector.verify.imports import import_links
from prospector.verify.placements import add_link, list_placements, place, placement_history

SHOW_BAD_ROWS = 20
_COLOUR = {"live": "green", "downgraded": "yellow", "lost": "bold red", "pending": "dim"}

app = typer.Typer(
    help="Earned links: the list with states and last checks, and adding links we know of.",
    no_args_is_help=False,
)


def placed(
    ctx: typer.Context,
    prospect_id: Annotated[
        int, typer.Argument(help="The prospect's id.", metavar="ID", min=1, max=MAX_ID)
    ],
    url: Annotated[str, typer.Argument(help="The page the link is on.", show_default=False)],
    target: Annotated[
        str | None,
        typer.Option(
            help="Our page the link points to (default: the page offered to this prospect).",
            show_default=False,
        ),
    ] = None,
    anchor: Annotated[
        str | None, typer.Option(help="The anchor text we expect.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Record that a prospect placed our link on URL; 'prospector verify' checks it from now on."""
    check_url(url, "URL")
    check_url(target, "--target")
    out = place(
        state(ctx).settings(), prospect_id, url, target=target, anchor=anchor, actor=actor()
    )
    if as_json:
        print_json(out)
        return
    row = out["placement"]
    what = (
        "recorded"
        if out["created"]
        else "URL filled in"
        if out["url_filled"]
        else "already recorded"
    )
    console.print(
        f"placement #{row['id']} {what}: {escape(row['url'])} -> {escape(row['target'])} "
        f"(prospect #{prospect_id} is {out['prospect_state']})"
    )


@app.callback(invoke_without_command=True)
def links(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    states: Annotated[
        list[str] | None,
        typer.Option("--state", help="Only this state: pending, live, downgraded, lost."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Every field, as JSON.")] = False,
) -> None:
    """Earned links with their state and last check (or a subcommand: add, import, show)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = state(ctx).settings()
    check_campaign(settings, campaign)
    rows = list_placements(settings, campaign=campaign, states=states or None)
    if as_json:
        print_json(rows)
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("id", "state", "page", "target", "last check", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        colour = _COLOUR.get(row["state"], "")
        detail = row["detail"] or {}
        why = "; ".join([*detail.get("reasons", []), *detail.get("flags", [])])
        last = (
            f"{row['last_outcome']} {row['last_check_at']}"
            if row.get("last_outcome")
            else "not checked yet"
        )
        if row["misses"]:
            last += f" ({row['misses']} miss{'es' if row['misses'] > 1 else ''})"
        table.add_row(
            str(row["id"]),
            f"[{colour}]{row['state']}[/]" if colour else row["state"],
            escape(row["url"] or "(awaiting the URL: prospector placed ID URL)"),
            escape(row["target"]),
            last,
            escape(why),
        )
    console.print(table)
    console.print(f"{len(rows)} links")


@app.command("add")
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The page the link is on.", show_default=False)],
    target: Annotated[str, typer.Option(help="Our page the link points to.", show_default=False)],
    anchor: Annotated[
        str | None, typer.Option(help="The anchor text we expect.", show_default=False)
    ] = None,
    campaign: Annotated[
        str | None,
        typer.Option(help="The campaign it belongs to (its reclaim tasks go there)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Add a link we already have, to be verified from now on."""
    check_url(url, "URL")
    check_url(target, "--target")
    out = add_link(
        state(ctx).settings(), url, target=target, anchor=anchor, campaign=campaign, actor=actor()
    )
    if as_json:
        print_json(out)
        return
    row = out["placement"]
    what = "added" if out["created"] else "already known"
    console.print(f"link #{row['id']} {what}: {escape(row['url'])} -> {escape(row['target'])}")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with columns url, target (and anchor, campaign).",
            dir_okay=False,
            show_default=False,
        ),
    ],
    campaign: Annotated[
        str | None, typer.Option(help="Campaign for rows that do not name one.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Import links we already have from a CSV file.

    Header names are matched case-insensitively ('url' or 'source url' or 'linking page';
    'target' or 'target url'; 'anchor'; 'campaign'). Bad rows are reported by line and
    skipped; importing a file again adds nothing. Exit 2 when the file is unusable as a whole
    (nothing is written then).
    """
    report = import_links(state(ctx).settings(), file, campaign=campaign, actor=actor())
    if as_json:
        print_json(report.as_dict())
        return
    console.print(
        f"{escape(report.file)}: {report.rows} good rows ({report.added} new, "
        f"{report.known} already known), {len(report.bad)} bad"
    )
    for bad in report.bad[:SHOW_BAD_ROWS]:
        console.print(f"  line {bad.line}: {escape(bad.reason)}")
    if len(report.bad) > SHOW_BAD_ROWS:
        console.print(f"  ... and {len(report.bad) - SHOW_BAD_ROWS} more (--json lists all)")


@app.command("show")
def show(
    ctx: typer.Context,
    placement_id: Annotated[
        int, typer.Argument(help="The link's id.", metavar="ID", min=1, max=MAX_ID)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Every field, as JSON.")] = False,
) -> None:
    """One earned link: its state, every check with its reasons, and its events (--json:
    every check's full evidence)."""
    out = placement_history(state(ctx).settings(), placement_id)
    if as_json:
        print_json(out)
        return
    row = out["placement"]
    console.print(
        f"[bold]link #{row['id']}[/] {row['state']} · {escape(row['url'] or '(no URL yet)')} "
        f"-> {escape(row['target'])}"
        + (f" · anchor '{escape(row['anchor'])}'" if row["anchor"] else "")
    )
    for check in out["checks"]:
        console.print(f"  {check['checked_at']} {check['outcome']} (page {check['page_status']})")
        for line in _why(check["evidence"]):
            console.print(f"    {escape(line)}")
    for event in out["events"]:
        console.print(f"  {event['at']} {event['kind']} by {event['actor']}")


def _why(evidence: dict[str, Any]) -> list[str]:
    return [*evidence.get("reasons", []), *evidence.get("flags", [])]


def register(parent: typer.Typer) -> None:
    parent.command(rich_help_panel="Monitoring")(placed)
    parent.add_typer(app, name="links", rich_help_panel="Monitoring")
