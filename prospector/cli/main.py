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
from prospector.validation import printable

EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
PROG = "prospector"
DEBUG_HINT = "set PROSPECTOR_DEBUG=1 for the traceback"

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

    Everything that goes wrong ends here as one line on stderr (``error: ...``) and an exit
    code: usage errors (bad options, arguments and values, found by click) exit 2, errors of
    the core exit with their ``exit_code``, anything else is a bug (70).
    """
    debug = os.environ.get("PROSPECTOR_DEBUG", "") not in ("", "0")
    try:
        code = app(args=argv, prog_name=PROG, standalone_mode=False)
    except typer.TyperException as exc:  # click's usage errors: bad options, values, commands
        code = int(getattr(exc, "exit_code", 2))
        if type(exc).__name__ == "NoArgsIsHelpError":  # no command given: the help is the answer
            help_text = exc.format_message().strip()  # empty when rich has printed it already
            if help_text:
                typer.echo(help_text)
            sys.exit(code)
        _fail(usage_line(exc), code)
    except typer.Abort:
        _fail("aborted", 1)
    except ProspectorError as exc:
        if debug:
            raise
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:  # the boundary: a bug is reported, not dumped
        if debug:
            raise
        what = f"{type(exc).__name__}: {_one_line(str(exc))}"
        _fail(f"internal error: {what} ({DEBUG_HINT})", EXIT_INTERNAL)
    if isinstance(code, int) and code:
        sys.exit(code)


def usage_line(exc: typer.TyperException) -> str:
    """A usage error as one line: the command, what is wrong, where help is."""
    message = _one_line(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        return f"{ctx.command_path}: {message} (see '{ctx.command_path} --help')"
    return message


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fail(message: str, code: int) -> None:
    """``error: ...`` for each problem (one per line); a control character in a message (it
    may quote a file or an argument) is shown escaped, never sent to the terminal."""
    for line in message.strip("\n").split("\n"):
        sys.stderr.write(f"error: {printable(line, limit=None)}\n")
    sys.exit(code)
