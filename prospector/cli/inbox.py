"""``prospector replies``: read the mailbox, classify, match and act."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from prospector.cli.output import console, print_json
from prospector.cli.state import state
from prospector.inbox.poll import poll_replies


def replies(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Read new mail over IMAP: bounces (hard ones suppress the address), auto-replies (pause
    the follow-ups until the return date), complaints and unsubscribes (suppress), and replies
    (stop the follow-ups; a positive one records the placement to verify). The mailbox is
    only read: nothing is marked or moved."""

    def progress(line: str) -> None:
        if not as_json:
            console.print(escape(line), highlight=False)

    summary = poll_replies(state(ctx).settings(), progress=progress)
    if as_json:
        print_json(summary.as_dict())
        return
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(summary.kinds.items())) or "nothing new"
    console.print(f"{summary.mailbox}: {summary.processed} processed ({kinds})")
    if summary.unmatched:
        console.print(f"{summary.unmatched} did not match a thread of ours (kept for a person)")
    if summary.uidvalidity_changed:
        console.print("the mailbox's UIDVALIDITY changed: it was read again, nothing twice")
    if summary.more_waiting:
        console.print("more mail is waiting: run again (imap.batch per run)")


def register(app: typer.Typer) -> None:
    app.command("replies", rich_help_panel="Outreach")(replies)
