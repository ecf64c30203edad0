"""The daily review: ``prospector prospects`` (the list) and ``prospector show ID``."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from prospector.cli.args import (
    MAX_ID,
    PROSPECT_STATES,
    check_campaign,
    check_score,
    check_since,
    check_states,
)
from prospector.cli.output import console, print_json
from prospector.cli.state import state
from prospector.errors import UserError
from prospector.pipeline import list_prospects, prospect_details
from prospector.qualify.score import key_reasons
from prospector.report.export import csv_text

TYPES = ("broken_link", "resource_page", "guest_post", "reclaim")
CSV_COLUMNS = ("id", "campaign", "type", "state", "score", "domain", "url", "reasons", "created_at")


def prospects(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    kind: Annotated[
        str | None,
        typer.Option("--type", help="broken_link, resource_page, guest_post or reclaim."),
    ] = None,
    min_score: Annotated[float | None, typer.Option(help="Only scores at least this.")] = None,
    states: Annotated[
        list[str] | None,
        typer.Option("--state", help="Only this state (repeatable; default: all but rejected)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Found since: 'today', a date (YYYY-MM-DD) or a number of days ('7d')."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Every field, as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="One row per prospect, as CSV.")] = False,
) -> None:
    """The daily prospect list: best first, one line each with the key reasons."""
    if kind is not None and kind not in TYPES:
        raise typer.BadParameter(f"must be one of {', '.join(TYPES)}", param_hint="--type")
    if as_json and as_csv:
        raise UserError("choose one of --json and --csv")
    check_states(states, PROSPECT_STATES)
    check_score(min_score, "--min-score")
    check_since(since)
    settings = state(ctx).settings()
    check_campaign(settings, campaign)
    rows = list_prospects(
        settings,
        campaign=campaign,
        kind=kind,
        states=states or None,
        min_score=min_score,
        since=since,
    )
    if as_json:
        print_json(rows)
        return
    if as_csv:
        # guarded as the report's CSV is: a page title is not a spreadsheet formula
        sys.stdout.write(csv_text(({**row, "reasons": reasons(row)} for row in rows), CSV_COLUMNS))
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("id", "score", "type", "state", "url", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        score = "" if row.get("score") is None else f"{row['score']:.0f}"
        table.add_row(
            str(row["id"]),
            score,
            row["type"],
            row["state"],
            escape(row["url"]),
            escape("; ".join(reasons(row))),
        )
    console.print(table)
    console.print(f"{len(rows)} prospects")


def reasons(row: dict[str, Any]) -> list[str]:
    if row.get("scores"):
        found = key_reasons(row["scores"])
        if row["state"] == "rejected" and row["evidence"].get("rejected_reason"):
            found.insert(0, f"rejected: {row['evidence']['rejected_reason']}")
        return found
    if row["state"] == "rejected" and row["evidence"].get("rejected_reason"):
        return [f"rejected: {row['evidence']['rejected_reason']}"]
    return [_why(row)]


def show(
    ctx: typer.Context,
    prospect_id: Annotated[
        int, typer.Argument(help="The prospect's id.", metavar="ID", min=1, max=MAX_ID)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Every field, as JSON.")] = False,
) -> None:
    """One prospect: the page, the evidence, every score component with its reasons,
    the contacts, the draft once there is one, and the history."""
    details = prospect_details(state(ctx).settings(), prospect_id)
    if as_json:
        print_json(details)
        return
    p = details["prospect"]
    console.print(
        f"[bold]#{p['id']}[/] {p['type']} · {p['state']} · score "
        f"{'' if p.get('score') is None else round(p['score'])} · campaign "
        f"{escape(p['campaign'])}"
    )
    page = details.get("page") or {}
    console.print(f"page: {escape(page.get('title') or '')} {escape(p['url'])}")
    for name, part in (p.get("scores") or {}).items():
        console.print(
            f"  [bold]{name}[/] {part.get('score', 0):.0f} "
            f"(weight {part.get('weight', '-')}): "
            f"{escape('; '.join(part.get('reasons', [])) or '-')}"
        )
    if p["type"] == "broken_link":
        for dead in p["evidence"].get("dead_links", []):
            was = (dead.get("wayback") or {}).get("title")
            console.print(
                f"  dead: {escape(dead['href'])} ({dead['status']}, {dead['rule']})"
                + (f", was '{escape(was)}'" if was else "")
                + f" -> offer {escape(dead['replacement']['url'])}"
            )
    for contact in details["contacts"]:
        console.print(
            f"  contact: {escape(str(contact.get('email') or contact.get('form_url')))}"
            f" ({contact.get('kind') or 'form'}, confidence "
            f"{contact.get('confidence') or 0:.2f}, {escape(contact.get('source') or '')})"
        )
    draft = details.get("draft")
    if draft is None:
        console.print(
            "  draft: none" + (" (no email contact yet)" if p["state"] == "qualified" else "")
        )
    else:
        console.print(
            f"  [bold]draft[/] (step {draft['step']}, {draft['state']}"
            + (", edited" if draft.get("edited") else "")
            + f") to {escape(draft['to_name'] or '')} <{escape(draft['to_email'])}>"
        )
        console.print(f"  Subject: {escape(draft['subject'])}")
        for line in (draft["body_text"] or "").splitlines():
            console.print(f"  | {escape(line)}", highlight=False)
    for message in details.get("messages", []):
        if message is draft:
            continue
        when = message.get("sent_at") or message.get("sending_at") or message.get("created_at")
        console.print(
            f"  message #{message['id']} step {message['step']}: {message['state']} {when or ''}"
            + (f" ({escape(message['error'])})" if message.get("error") else "")
        )
    for event in details["history"]:
        console.print(f"  {event['at']} {event['kind']} by {event['actor']}")


def _why(row: dict[str, Any]) -> str:
    evidence = row["evidence"]
    if row["type"] == "broken_link":
        dead = evidence.get("dead_links", [])
        first = dead[0] if dead else {}
        was = (first.get("wayback") or {}).get("title") or first.get("anchor", "")
        return f"{len(dead)} dead link(s): {first.get('href', '')} ({first.get('status', '')})" + (
            f", was '{was}'" if was else ""
        )
    if row["type"] == "reclaim":
        lost = evidence.get("reclaim", {})
        return f"link to {lost.get('target', '?')} {lost.get('change', '?')}: " + "; ".join(
            lost.get("reasons", [])
        )
    signals = evidence.get("classification", {}).get("page_type_signals", {})
    detail = signals.get(row["type"], {})
    if row["type"] == "resource_page":
        return (
            f"{detail.get('distinct_domains', '?')} linked domains; cues "
            f"{', '.join(detail.get('title_cues', [])) or 'url'}"
        )
    emails = detail.get("submission_emails") or []
    return (
        f"cues {', '.join(detail.get('title_cues', [])) or 'url'}; "
        f"submit via {', '.join(emails) or ('form' if detail.get('submission_form') else '?')}"
    )


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Review")(prospects)
    app.command(rich_help_panel="Review")(show)
