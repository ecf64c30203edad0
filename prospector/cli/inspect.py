"""``prospector inspect``: see a page, a robots.txt (and later an email) as Prospector does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from prospector.campaigns import load_named
from prospector.cli.output import console, print_json
from prospector.cli.state import state
from prospector.errors import UserError
from prospector.inspection import inspect_page
from prospector.web.robots import RobotsPolicy

app = typer.Typer(
    help="Inspect a page or a robots.txt as Prospector sees it.", no_args_is_help=True
)


@app.command("robots")
def robots(
    file: Annotated[Path, typer.Argument(help="A robots.txt file.", dir_okay=False)],
    url: Annotated[str, typer.Option("--url", help="The URL to test.")],
    user_agent: Annotated[
        str,
        typer.Option(
            "--user-agent", help="The crawler's User-Agent (its product token is matched)."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """May USER_AGENT fetch URL under this robots.txt (RFC 9309)?"""
    try:
        text = file.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"{file}: cannot read: {exc.strerror}") from None
    allowed = RobotsPolicy(text).allowed(url, user_agent)
    if as_json:
        print_json({"allowed": allowed})
    else:
        console.print(
            f"{'allowed' if allowed else 'disallowed'}: {url} for {user_agent}", markup=False
        )


@app.command("page")
def page(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A URL, or an HTML file.", metavar="URL|FILE")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="For a FILE: the URL it is read as if served from "
            "(links resolve against it; nothing is fetched).",
        ),
    ] = None,
    render: Annotated[
        bool,
        typer.Option(
            "--render/--no-render", help="Also render in Chromium (visibility, script content)."
        ),
    ] = True,
    campaign: Annotated[
        str | None, typer.Option(help="Judge 'on topic' with this campaign's keywords.")
    ] = None,
) -> None:
    """A page as Prospector sees it: links with placement and visibility, canonical,
    robots, emails, authors, and its page type with the signals behind it."""
    settings = state(ctx).settings()
    keywords: list[str] = []
    if campaign:
        chosen = load_named(settings.campaigns_dir, campaign, settings.templates_dir)
        keywords = [*chosen.keywords, *(k for t in chosen.targets for k in t.keywords)]
    report = inspect_page(settings, target, base_url=base_url, render=render, keywords=keywords)
    if as_json:
        print_json(report)
        return
    console.print(
        f"[bold]{escape(report['title'] or '(no title)')}[/]  {escape(report['final_url'])}"
    )
    console.print(
        f"page type: {report['page_type']}   canonical: "
        f"{escape(str(report['canonical']))}   noindex: {report['noindex']}"
    )
    console.print(f"emails: {escape(', '.join(report['emails']) or 'none')}")
    table = Table(show_header=True, header_style="bold")
    for column in ("placement", "visible", "rel", "anchor", "href"):
        table.add_column(column, overflow="fold")
    for link in report["links"]:
        table.add_row(
            link["placement"],
            str(link["visible"]),
            " ".join(link["rel"]),
            escape(link["anchor"]),
            escape(link["href"]),
        )
    console.print(table)


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="inspect", rich_help_panel="Tools")
