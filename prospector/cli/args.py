"""Checks of command-line values that typer's types cannot express, shared by the commands.

Each raises before the command does any work, so a mistyped value never reaches the database:
``typer.BadParameter`` (a usage error, exit 2) for a value that is wrong in itself, a
``ProspectorError`` for one that names something that does not exist.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import typer

from prospector.campaigns import require_campaign
from prospector.config import Settings
from prospector.discover.prospects import ACTIVE, CONTACTED
from prospector.errors import UserError
from prospector.pipeline import parse_since
from prospector.validation import printable, url_problem

MAX_ID = 2**63 - 1  # SQLite's largest integer: every id fits
PROSPECT_STATES = (*ACTIVE, *CONTACTED, "rejected", "suppressed")
MESSAGE_STATES = (
    "draft",
    "approved",
    "sending",
    "sent",
    "needs_review",
    "failed",
    "cancelled",
    "rejected",
)


def check_states(states: Iterable[str] | None, known: tuple[str, ...]) -> None:
    for value in states or []:
        if value not in known:
            raise typer.BadParameter(
                f"'{printable(value)}' is not a state (states: {', '.join(known)})",
                param_hint="--state",
            )


def check_campaign(settings: Settings, name: str | None) -> None:
    """A ``--campaign`` filter must name a campaign file, as every other command's does."""
    if name is not None:
        require_campaign(settings.campaigns_dir, name)


def check_score(value: float | None, option: str) -> None:
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"'{value}' is not a score (a number, 0-100)", param_hint=option)


def check_since(value: str | None) -> None:
    """``--since`` as ``prospector.pipeline.parse_since`` reads it, with a date out of range
    (``99999999d``) a user error too."""
    if value is None:
        return
    try:
        parse_since(value)
    except (OverflowError, ValueError):
        raise UserError(
            f"--since {printable(value)}: too far back; use 'today', a date (YYYY-MM-DD) or '7d'"
        ) from None


def check_url(value: str | None, what: str) -> None:
    """An http(s) URL given on the command line (the page a link is on, our target page)."""
    if value is None:
        return
    problem = url_problem(value)
    if problem is not None:
        raise UserError(f"{what} '{printable(value)}': {problem}")


def check_folder(path: Path, key: str) -> None:
    """A folder setting that a command is about to write into: absent (it is made) or a
    folder, not a file."""
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: {key} is not a folder")
