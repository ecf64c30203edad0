"""Review and send: ``approve``, ``reject``, ``edit``, ``send``, ``outbox``, ``resolve``."""

from __future__ import annotations

import getpass
import os
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from prospector.cli.args import (
    MAX_ID,
    MESSAGE_STATES,
    check_campaign,
    check_folder,
    check_score,
    check_states,
)
from prospector.cli.output import console, print_json
from prospector.cli.state import state
from prospector.errors import UserError
from prospector.outreach import suppression
from prospector.outreach.outbox import SendSummary
from prospector.outreach.reconcile import resolve as resolve_message
from prospector.outreach.review import Outcome, approve, edit, reject
from prospector.outreach.sender import send
from prospector.store import open_db


def actor() -> str:
    """Who is acting: $PROSPECTOR_USER, else the login name."""
    name = os.environ.get("PROSPECTOR_USER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _print_outcomes(outcomes: list[Outcome], as_json: bool) -> None:
    if as_json:
        print_json([o.as_dict() for o in outcomes])
    else:
        for o in outcomes:
            mark = "[green]ok[/]" if o.done else "[yellow]skipped[/]"
            console.print(f"#{o.prospect_id} {mark} {escape(o.detail)}")
    if outcomes and not any(o.done for o in outcomes):
        raise typer.Exit(1)


IdsArg = Annotated[
    list[int] | None,
    typer.Argument(help="Prospect ids.", metavar="ID...", min=1, max=MAX_ID),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def approve_cmd(
    ctx: typer.Context,
    ids: IdsArg = None,
    all_above: Annotated[
        float | None,
        typer.Option("--all-above", help="Approve every drafted prospect scoring above this."),
    ] = None,
    campaign: Annotated[
        str | None, typer.Option(help="With --all-above: only this campaign.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve drafted pitches for sending (and, unless configured otherwise, their
    follow-ups, which go out only while no reply has come)."""
    if bool(ids) == (all_above is not None):
        raise UserError("give prospect ids or --all-above SCORE (one of the two)")
    if campaign is not None and all_above is None:
        raise UserError("--campaign goes with --all-above (ids name their prospects already)")
    check_score(all_above, "--all-above")
    settings = state(ctx).settings()
    check_campaign(settings, campaign)
    outcomes = approve(settings, ids or [], actor=actor(), above=all_above, campaign=campaign)
    if not outcomes:
        console.print("nothing to approve")
        return
    _print_outcomes(outcomes, as_json)


def reject_cmd(
    ctx: typer.Context,
    ids: Annotated[
        list[int], typer.Argument(help="Prospect ids.", metavar="ID...", min=1, max=MAX_ID)
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the prospect).")],
    as_json: JsonOpt = False,
) -> None:
    """Reject prospects, with a reason; their drafts are never sent."""
    _print_outcomes(reject(state(ctx).settings(), ids, reason=reason, actor=actor()), as_json)


def edit_cmd(
    ctx: typer.Context,
    prospect_id: Annotated[
        int, typer.Argument(help="The prospect's id.", metavar="ID", min=1, max=MAX_ID)
    ],
) -> None:
    """Edit a prospect's draft in $EDITOR (or $VISUAL); it is checked again on save, and an
    edited approved draft needs approving again."""
    outcome = edit(state(ctx).settings(), prospect_id, actor=actor())
    console.print(f"#{prospect_id} {escape(outcome.detail)}")


def send_cmd(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write .eml files to the outbox folder instead.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Send at most N messages.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send approved pitches and due follow-ups over SMTP, within the send window, the
    daily caps and the gap; interrupted sends are reconciled first, never resent blindly."""
    settings = state(ctx).settings()
    check_campaign(settings, campaign)
    if dry_run:
        check_folder(settings.outbox_dir, "outbox_dir")

    def progress(line: str) -> None:
        if not as_json:
            console.print(escape(line))

    summary = send(settings, dry_run=dry_run, limit=limit, campaign=campaign, progress=progress)
    if as_json:
        print_json(summary.as_dict())
    else:
        _print_send(summary)


def _print_send(s: SendSummary) -> None:
    r = s.reconciled
    if r.found_sent or r.requeued or r.needs_review or r.waiting:
        console.print(
            f"interrupted sends: {r.found_sent} found sent, {r.requeued} queued again, "
            f"{r.waiting} still being checked, {r.needs_review} need a person "
            "(prospector outbox --state needs_review; prospector resolve ID)"
        )
    for note in r.notes + s.followups.refused:
        console.print(f"[yellow]{escape(note)}[/]")
    if s.followups.queued or s.followups.due:
        console.print(
            f"follow-ups due: {s.followups.due}, queued {s.followups.queued}"
            + (
                f" ({s.followups.awaiting_approval} await approval)"
                if s.followups.awaiting_approval
                else ""
            )
        )
    if s.dry_run:
        console.print(f"dry run: {len(s.written)} .eml file(s) written, nothing sent")
    else:
        console.print(
            f"sent {len(s.sent)}, refused {len(s.refused)}, deferred {len(s.deferred)}, "
            f"outcome unknown {len(s.unknown)}, not sent {len(s.cancelled)} "
            f"(of {s.queued} queued)"
        )
    for line in s.skipped:
        console.print(escape(line))
    if s.stopped:
        console.print(f"stopped: {escape(s.stopped)}")
    if s.next_window:
        console.print(f"the window opens next at {s.next_window}")


def outbox_cmd(
    ctx: typer.Context,
    states: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="Only this state (repeatable): draft, approved, sending, "
            "sent, needs_review, failed, cancelled, rejected.",
        ),
    ] = None,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Messages: drafts, the approved queue, what went out and what needs a decision."""
    check_states(states, MESSAGE_STATES)
    settings = state(ctx).settings()
    check_campaign(settings, campaign)
    with open_db(settings.database) as store:
        rows = store.messages(states or None, campaign)
    if as_json:
        print_json(rows)
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("msg", "prospect", "step", "state", "to", "subject", "when"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["prospect_id"]),
            str(row["step"]),
            row["state"],
            escape(row["to_email"] or ""),
            escape(row["subject"] or ""),
            _when(row),
        )
    console.print(table)
    console.print(f"{len(rows)} messages")


def _when(row: dict[str, Any]) -> str:
    for key in ("sent_at", "sending_at", "approved_at", "created_at"):
        if row.get(key):
            return f"{key.removesuffix('_at')} {row[key]}"
    return ""


def resolve_cmd(
    ctx: typer.Context,
    message_id: Annotated[
        int,
        typer.Argument(help="The message's id (see 'outbox').", metavar="ID", min=1, max=MAX_ID),
    ],
    sent: Annotated[
        bool | None,
        typer.Option(
            "--sent/--not-sent", help="It went out (check your Sent folder) / it did not."
        ),
    ] = None,
) -> None:
    """Decide an interrupted send: it went out (--sent) or it did not (--not-sent: queued
    again). Check the mailbox's Sent folder first."""
    if sent is None:
        raise UserError("say --sent or --not-sent")
    console.print(resolve_message(state(ctx).settings(), message_id, sent=sent, actor=actor()))


def suppress_cmd(
    ctx: typer.Context,
    values: Annotated[
        list[str] | None,
        typer.Argument(help="Email addresses or domains.", metavar="EMAIL|DOMAIN..."),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept with the entry).")] = "do_not_contact",
    list_: Annotated[bool, typer.Option("--list", help="Show the list.")] = False,
    remove_: Annotated[
        bool, typer.Option("--remove", help="Take the entries off the list.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The global do-not-contact list: nobody on it is drafted, approved or sent to, in any
    campaign. A domain covers every address at it. Unsubscribes, hard bounces and complaints
    are added automatically."""
    settings = state(ctx).settings()
    if list_:
        if values:
            raise UserError("--list takes no addresses")
        rows = suppression.listing(settings)
        if as_json:
            print_json(rows)
            return
        for row in rows:
            console.print(
                f"{row['kind']:6} {escape(row['value'])}  {escape(row['reason'] or '')} "
                f"(by {escape(row['source'] or '?')}, {row['added_at']})"
            )
        console.print(f"{len(rows)} entries")
        return
    if not values:
        raise UserError("give EMAIL or DOMAIN values, or --list")
    if remove_:
        results = suppression.remove(settings, values, actor=actor())
        key, done, not_done = "removed", "removed", "was not on the list"
    else:
        results = suppression.add(settings, values, reason=reason, actor=actor())
        key, done, not_done = "added", "suppressed", "already on the list"
    if as_json:
        print_json(results)
        return
    for r in results:
        console.print(f"{r['kind']} {escape(r['value'])}: {done if r[key] else not_done}")


def register(app: typer.Typer) -> None:
    app.command("approve", rich_help_panel="Review")(approve_cmd)
    app.command("reject", rich_help_panel="Review")(reject_cmd)
    app.command("edit", rich_help_panel="Review")(edit_cmd)
    app.command("send", rich_help_panel="Outreach")(send_cmd)
    app.command("outbox", rich_help_panel="Outreach")(outbox_cmd)
    app.command("resolve", rich_help_panel="Outreach")(resolve_cmd)
    app.command("suppress", rich_help_panel="Outreach")(suppress_cmd)
