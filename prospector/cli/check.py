"""``prospector check URL...``: live, dead, inconclusive or skipped, with the precise status."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from prospector.cli.output import console, print_json
from prospector.cli.state import state
from prospector.pipeline import check_urls

_COLOUR = {"live": "green", "dead": "bold red", "inconclusive": "yellow", "skipped": "dim"}


def check(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(help="URLs to check.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per URL.")] = False,
    render: Annotated[
        bool,
        typer.Option(
            help="Render pages that need JavaScript (script redirects, app shells) in Chromium."
        ),
    ] = True,
    history: Annotated[
        bool, typer.Option(help="Keep the results in the database's check history.")
    ] = True,
    fail_on_dead: Annotated[bool, typer.Option(help="Exit 1 when any URL is dead.")] = False,
) -> None:
    """Check URLs: live, dead or inconclusive, with the precise status and why."""
    checks = check_urls(state(ctx).settings(), urls, render=render, history=history)
    if as_json:
        print_json([c.as_dict() for c in checks])
    else:
        table = Table(show_header=True, header_style="bold")
        for column in ("url", "verdict", "status", "http", "detail"):
            table.add_column(column, overflow="fold")
        for c in checks:
            colour = _COLOUR[c.verdict]
            table.add_row(
                escape(c.url),
                f"[{colour}]{c.verdict}[/]",
                c.status,
                str(c.http_status or ""),
                escape(c.detail),
            )
        console.print(table)
    if fail_on_dead and any(c.verdict == "dead" for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Tools")(check)
