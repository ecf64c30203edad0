"""``prospector init`` and ``prospector doctor``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from prospector.cli.output import console, print_json
from prospector.cli.state import state
from prospector.doctor import run_checks
from prospector.errors import UserError
from prospector.workspace import init_workspace

_MARK = {"ok": "[green]ok[/]", "fail": "[bold red]FAIL[/]", "skip": "[dim]skip[/]"}


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to set up.", file_okay=False)] = Path(),
    force: Annotated[bool, typer.Option(help="Overwrite existing starter files.")] = False,
) -> None:
    """Write a starter config, campaign and templates, and create the database."""
    try:
        result = init_workspace(directory, force=force)
    except OSError as exc:  # the folder cannot be made or written to
        where = exc.filename or directory
        raise UserError(f"{where}: cannot set up here: {exc.strerror or exc}") from None
    for path in result.written:
        console.print(f"wrote   {path}")
    for path in result.kept:
        console.print(f"kept    {path} (exists; --force to overwrite)")
    console.print(f"database {result.database} ready")
    console.print(
        f"next: edit {result.config} and the campaign, then "
        f"'prospector --config {result.config} doctor'"
    )


def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Skip the browser check.")
    ] = False,
) -> None:
    """Check Python, config, campaigns, the database, the browser, SMTP and IMAP."""
    checks = run_checks(state(ctx).settings(), browser=not no_browser)
    ok = all(check.status != "fail" for check in checks)
    if as_json:
        print_json({"ok": ok, "checks": [check.as_dict() for check in checks]})
    else:
        table = Table(show_header=True, header_style="bold")
        table.add_column("check")
        table.add_column("status")
        table.add_column("detail", overflow="fold")
        for check in checks:
            table.add_row(check.name, _MARK[check.status], check.detail)
        console.print(table)
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Set up")(init)
    app.command(rich_help_panel="Set up")(doctor)
