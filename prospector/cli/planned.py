"""Commands of the product that are not built yet: they say so and exit 3, never fake output."""

from __future__ import annotations

from collections.abc import Callable

import typer

from prospector.errors import NotAvailableError

PLANNED: list[tuple[str, str, str]] = [
    ("verify", "Monitoring", "Check earned links and syndicated copies; alert on lost links."),
    ("report", "Monitoring", "The daily report: funnel, rates, link velocity (HTML/MD/CSV/JSON)."),
    ("agent", "Monitoring", "Run the scheduled jobs (APScheduler)."),
]


def _planned(name: str, summary: str) -> Callable[[], None]:
    def command() -> None:
        raise NotAvailableError(
            f"'prospector {name}' is not available yet in this version ({summary})"
        )

    command.__doc__ = f"{summary} [dim](not available yet)[/dim]"
    return command


def register(app: typer.Typer) -> None:
    for name, panel, summary in PLANNED:
        app.command(
            name,
            rich_help_panel=panel,
            context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        )(_planned(name, summary))
