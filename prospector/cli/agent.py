"""``prospector agent``: run the schedule, one job now (``--once``), or show it (``--list``)."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from prospector.agent import Stop, plan, run_once, serve, stop_on_signals
from prospector.cli.output import console, print_json
from prospector.cli.state import state
from prospector.config import JOBS, Settings
from prospector.errors import UserError
from prospector.jobs import check_job

EXIT_FOR = {"ok": 0, "skipped": 0, "failed": 1, "stopped": 130}


def _logging(verbose: bool) -> None:
    """Timestamped lines on stderr: ours at INFO, APScheduler's errors (all with -v)."""
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )
    logging.getLogger("prospector").setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.ERROR)


def agent(
    ctx: typer.Context,
    once: Annotated[
        str | None,
        typer.Option(
            "--once",
            metavar="JOB",
            help=f"Run this job now, in the foreground, and exit ({', '.join(JOBS)}).",
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="Show each job's schedule and next run, and exit.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="With --list or --once: machine-readable output.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log APScheduler's own messages too.")
    ] = False,
) -> None:
    """Run the jobs on the config's \\[schedule] (cron expressions) until SIGTERM or Ctrl-C.

    Jobs: prospect, send, followups, replies, verify, report. One agent per database (a
    second one exits 1); a job never overlaps itself; a failing job is recorded and logged
    and the agent goes on. On SIGTERM or SIGINT the running jobs end at their next step
    (send: after the current message) and the agent exits 0. Every run is recorded as
    'agent:JOB' in the runs table. --once exits 0 (ok or skipped), 1 (failed) or 130
    (stopped).
    """
    if once is not None and list_:
        raise UserError("--once and --list do not go together")
    if once is not None:
        check_job(once)
    settings = state(ctx).settings()
    if list_:
        _print_plan(settings, as_json)
        return
    _logging(verbose)
    with stop_on_signals(Stop()) as stop:
        if once is None:
            serve(settings, stop)
            return
        outcome = run_once(settings, once, stop)
    if as_json:
        print_json(outcome.as_dict())
    raise typer.Exit(EXIT_FOR.get(outcome.status, 1))


def _print_plan(settings: Settings, as_json: bool) -> None:
    planned = plan(settings)
    if as_json:
        print_json([p.as_dict() for p in planned])
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("job", "schedule", "next run", "last run"):
        table.add_column(column, overflow="fold")
    for p in planned:
        last = p.last
        table.add_row(
            p.job,
            escape(p.cron) or "[dim]never[/]",
            f"{p.next_at:%Y-%m-%d %H:%M:%S %Z}" if p.next_at else "-",
            f"{last['status']} {last['started_at'][:19].replace('T', ' ')} UTC" if last else "-",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("agent", rich_help_panel="Monitoring")(agent)
