"""``prospector inspect``: see a page, a robots.txt or an email as Prospector does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from prospector.campaigns import load_named
from prospector.cli.args import check_url
from prospector.cli.output import console, print_json
from prospector.cli.state import state
from prospector.errors import UserError
from prospector.inbox.classify import Classification, classify
from prospector.inbox.message import MailParseError
from prospector.inspection import inspect_page
from prospector.validation import MAX_MAIL_BYTES, MAX_TOML_BYTES, read_input
from prospector.web.robots import RobotsPolicy

app = typer.Typer(
    help="Inspect a page, a robots.txt or an email as Prospector sees it.", no_args_is_help=True
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
    data = read_input(file, MAX_TOML_BYTES, "a robots.txt", UserError)
    text = data.decode("utf-8", errors="replace")
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
    if "://" in target and not Path(target).exists():
        check_url(target, "URL")
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


@app.command("email")
def email(
    file: Annotated[Path, typer.Argument(help="A mail message (.eml, RFC 5322).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """What an inbound mail is: bounce (hard or soft, failed recipients), auto-reply (return
    date), complaint, unsubscribe, or a reply (its new text and intent), with the evidence."""
    data = read_input(file, MAX_MAIL_BYTES, "a mail message", UserError)
    try:
        result = classify(data)
    except MailParseError as exc:
        raise UserError(f"{file}: {exc}") from None
    if as_json:
        print_json(result.as_dict())
        return
    _print_classification(result)


def _print_classification(result: Classification) -> None:
    kind = result.kind + (f" ({result.bounce_type})" if result.bounce_type else "")
    if result.auto_reply_type:
        kind += f" ({result.auto_reply_type.replace('_', ' ')})"
    if result.intent:
        kind += f", intent {result.intent}"
    console.print(f"[bold]{escape(kind)}[/]  from {escape(result.sender or '(unknown)')}")
    rows = [
        ("subject", result.subject),
        ("status", result.status_code or ""),
        ("why", result.bounce_reason or ""),
        ("failed", ", ".join(result.failed_recipients)),
        ("back on", result.return_date.isoformat() if result.return_date else ""),
        ("feedback", result.feedback_type or ""),
        ("in reply to", result.in_reply_to or ""),
    ]
    for label, value in rows:
        if value:
            console.print(f"{label + ':':13}{escape(value)}")
    if result.reply_text:
        console.print("[bold]reply text[/]")
        console.print(escape(result.reply_text))
    if result.evidence:
        console.print("[bold]evidence[/]")
        for item in result.evidence:
            console.print(f"  - {escape(item)}")


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="inspect", rich_help_panel="Tools")
