"""``prospector import``: bring outside data in (backlink exports, domain rank lists)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from prospector.cli.output import console, print_json
from prospector.cli.state import state
from prospector.discover.import_sniff import DELIMITER_NAMES
from prospector.discover.imports import import_backlinks
from prospector.qualify.authority.ranks import import_ranks

SHOW_BAD_ROWS = 20
SHOW_BAD_LINES = 5

app = typer.Typer(
    help="Import backlink exports (Ahrefs, Semrush, Moz, Google Search Console, any CSV) "
    "and domain rank lists (Tranco, Common Crawl).",
    no_args_is_help=True,
)


@app.command("backlinks")
def backlinks(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A CSV export of backlinks.", dir_okay=False, show_default=False)
    ],
    campaign: Annotated[
        str, typer.Option("--campaign", help="The campaign to import into.", show_default=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Import a CSV export of competitors' backlinks.

    The tool, encoding and delimiter are detected. Good rows are stored and each referring
    page becomes a discovery candidate; bad rows are reported by line and skipped. Importing a
    file again adds nothing. Exit 2 when the file is unusable as a whole.
    """
    report = import_backlinks(state(ctx).settings(), file, campaign)
    if as_json:
        print_json(report.as_dict())
        return
    delimiter = DELIMITER_NAMES.get(report.delimiter, repr(report.delimiter))
    console.print(
        f"{escape(report.file)}: {report.tool} export ({report.encoding}, {delimiter}-separated, "
        f"header on line {report.header_line})"
    )
    console.print(
        f"rows: {report.rows} good ({report.imported} new, {report.duplicates} already known), "
        f"{len(report.bad)} bad"
    )
    for bad in report.bad[:SHOW_BAD_ROWS]:
        console.print(f"  line {bad.line}: {escape(bad.reason)}")
    if len(report.bad) > SHOW_BAD_ROWS:
        console.print(
            f"  ... and {len(report.bad) - SHOW_BAD_ROWS} more bad rows (--json lists all)"
        )
    console.print(
        f"candidates: {report.candidates} added for campaign '{escape(report.campaign)}' "
        f"({report.sources} referring pages)"
    )


@app.command("ranks")
def ranks(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="A Tranco CSV (rank,domain) or Common Crawl domain-ranks file; .gz or .zip too.",
            dir_okay=False,
            show_default=False,
        ),
    ],
    list_name: Annotated[
        str | None,
        typer.Option(
            "--list",
            help="The list's name (default: the detected format, 'tranco' or 'commoncrawl').",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Import a domain rank list for the authority score.

    The format is detected from the first line; gzip and zip files are read as they are.
    Importing a list again replaces it. Bad lines are reported by number and skipped. Exit 2
    when the file is unusable as a whole (nothing is written then).
    """
    report = import_ranks(state(ctx).settings(), file, list_name)
    if as_json:
        print_json(report.as_dict())
        return
    packed = "" if report.compression == "none" else f", {report.compression}"
    console.print(
        f"{escape(report.file)}: {report.format} ranks{packed} -> list '{escape(report.list_name)}'"
    )
    replaced = f" (replacing {report.replaced:,})" if report.replaced else ""
    duplicates = f", {report.duplicates:,} repeated domains skipped" if report.duplicates else ""
    console.print(
        f"rows: {report.imported:,} imported{replaced}{duplicates}, {report.bad_count:,} bad lines"
    )
    for bad in report.bad[:SHOW_BAD_LINES]:
        console.print(f"  line {bad.line}: {escape(bad.reason)}")
    if report.bad_count > SHOW_BAD_LINES:
        console.print(
            f"  ... and {report.bad_count - SHOW_BAD_LINES:,} more bad lines "
            "(--json lists the first 100)"
        )
    console.print(f"time: {report.seconds:.1f}s")


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="import", rich_help_panel="Tools")
