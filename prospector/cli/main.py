"""The ``prospector`` command and the one error boundary.

Exit codes: 0 success; 1 an operation failed (a check, the network, the browser, the
database); 2 a user error (bad arguments, config, campaign or input file); 70 an internal
error (a bug: please report it); 130 interrupted.
``PROSPECTOR_DEBUG=1`` shows the traceback of any error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from prospector import __version__
from prospector.cli import (
    agent,
    audit,
    check,
    demo,
    imports,
    inbox,
    inspect,
    outreach,
    placements,
    prospecting,
    report,
    review,
    setup,
    verify,
)
from prospector.cli.state import AppState
from prospector.errors import ProspectorError

EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="prospector",
    help="Outreach prospecting and automation for SEO link building.\n\n"
    "Finds broken-link, resource-page and guest-post opportunities, qualifies them, drafts "
    "pitches for your approval, sends them, reads replies and keeps checking earned links.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"prospector {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (else $PROSPECTOR_CONFIG, else "
            "./prospector.toml, else built-in defaults).",
            dir_okay=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    ctx.obj = AppState(config_path=config)


setup.register(app)
demo.register(app)
check.register(app)
prospecting.register(app)
review.register(app)
outreach.register(app)
inbox.register(app)
inspect.register(app)
imports.register(app)
verify.register(app)
placements.register(app)
report.register(app)
agent.register(app)
audit.register(app)


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app inside the error boundary.

    Typer handles usage errors itself (exit 2); everything raised by the core lands here.
    """
    debug = os.environ.get("PROSPECTOR_DEBUG", "") not in ("", "0")
    try:
        app(args=argv)
    except ProspectorError as exc:
        if debug:
            raise
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:  # the boundary: a bug is reported, not dumped
        if debug:
            raise
        _fail(
            f"internal error: {type(exc).__name__}: {exc} "
            "(set PROSPECTOR_DEBUG=1 for the traceback)",
            EXIT_INTERNAL,
        )


def _fail(message: str, code: int) -> None:
    for line in message.splitlines() or [message]:
        sys.stderr.write(f"error: {line}\n")
    sys.exit(code)
