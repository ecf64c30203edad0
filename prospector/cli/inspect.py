"""``prospector inspect``: see a page, a robots.txt (and later an email) as Prospector does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prospector.cli.output import console, print_json
from prospector.errors import UserError
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


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="inspect", rich_help_panel="Tools")
