"""``prospector report``: the daily list and the pipeline at a glance (HTML, CSV, JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from prospector.cli.args import check_since
from prospector.cli.output import console, err_console, print_json
from prospector.cli.state import state
from prospector.report import Report, produce

WHAT = {"html": "the report", "prospects": "the daily list (CSV)", "links": "the links (CSV)"}
SHOWN = 10


def report(
    ctx: typer.Context,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html", help="Write the report as one self-contained HTML file.", dir_okay=False
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Start of the daily list and of the period (link velocity, activity): "
            "'today', a date (YYYY-MM-DD) or '7d'. Default: today's list, the last 7 days."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every metric as JSON.")] = False,
    csv_prospects: Annotated[
        Path | None,
        typer.Option("--csv-prospects", help="Write the daily list as CSV.", dir_okay=False),
    ] = None,
    csv_links: Annotated[
        Path | None,
        typer.Option("--csv-links", help="Write every placement (link) as CSV.", dir_okay=False),
    ] = None,
) -> None:
    """The daily report: new prospects best first, the funnel, reply and placement rates,
    link velocity, referring domains, anchors, rel mix and each campaign."""
    check_since(since)
    out = produce(
        state(ctx).settings(),
        since=since,
        html=html,
        csv_prospects=csv_prospects,
        csv_links=csv_links,
    )
    notes = err_console if as_json else console
    for what, path in out.written.items():
        notes.print(f"wrote {WHAT[what]}: {escape(str(path))}")
    if as_json:
        print_json(out.report.as_dict())
        return
    _summary(out.report)


def _summary(r: Report) -> None:
    funnel = " -> ".join(f"{stage} {count}" for stage, count in r.funnel.items())
    console.print(f"[bold]funnel[/] (all time): {funnel}")
    console.print(
        f"reply rate {_pct(r.rates['reply_rate'])} · placement rate "
        f"{_pct(r.rates['placement_rate'])} (of sent)"
    )
    links, velocity = r.links, r.velocity
    console.print(
        f"links: {links['current']} on the page now ({links['by_state'].get('live', 0)} live, "
        f"{links['by_state'].get('downgraded', 0)} downgraded, "
        f"{links['by_state'].get('lost', 0)} lost, {links['by_state'].get('pending', 0)} "
        f"pending) from {links['referring_domains']} referring domains"
    )
    console.print(
        f"since {escape(r.since[:10])}: {velocity['new']} new links, {velocity['lost']} lost; "
        f"{r.activity['prospects_found']} prospects found, {r.activity['pitches_sent']} "
        f"pitches and {r.activity['followups_sent']} follow-ups sent"
    )
    console.print(
        f"[bold]daily list[/] since {escape(r.list_since[:10])}: {len(r.daily)} prospects"
    )
    for row in r.daily[:SHOWN]:
        score = "" if row["score"] is None else f"{row['score']:.0f}"
        console.print(
            f"  #{row['id']} {score:>3} {escape(row['type'])} {escape(row['url'])}"
            + (f" — {escape('; '.join(row['reasons']))}" if row["reasons"] else "")
        )
    if len(r.daily) > SHOWN:
        console.print(f"  ... and {len(r.daily) - SHOWN} more (--html or --csv-prospects)")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Monitoring")(report)
