"""``prospector demo``: the whole loop, offline, on the bundled demo web."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.markup import escape

from prospector.cli.output import console, print_json


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM ends the demo like Ctrl-C does: through its cleanup, stopping its servers."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        before = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _stage(stage: str, line: str, seconds: float) -> None:
    console.print(f"  [bold]{stage:<9}[/] {seconds:5.1f}s  {escape(line)}")


def _daily(rows: list[dict[str, Any]]) -> None:
    """The daily list, one line each (``prospector prospects`` adds the reasons)."""
    console.print(f"  [bold]{'id':>4}  {'score':>5}  {'state':<9} {'type':<14} url[/]")
    for row in rows:
        score = "" if row.get("score") is None else f"{row['score']:.0f}"
        console.print(
            f"  {row['id']:>4}  {score:>5}  {row['state']:<9} {row['type']:<14} "
            f"{escape(row['url'])}"
        )


def _summary(report: Any) -> None:
    from prospector.demo.loop import tally

    replies = tally(report.replies, True) if report.imap else f"skipped: {report.imap_skipped}"
    lines = [
        ("drafted", f"{report.drafted} pitches"),
        ("approved", f"{len(report.approved)}, by the demo (auto-approved for the demo)"),
        ("sent", f"{report.sent}, to the local SMTP sink (it received {report.sink_received})"),
        ("replies", replies),
        ("links", f"{tally(report.links)} (of {len(report.placed)} placed by the demo web)"),
        ("copies", f"{tally(report.copies)} ({report.copies_failing} failing, with alerts)"),
    ]
    for name, text in lines:
        console.print(f"  [bold]{name:<9}[/] {escape(text)}")


def demo(
    workdir: Annotated[
        Path,
        typer.Option(
            help="Where the demo's config, campaign, database and report are left.",
            file_okay=False,
        ),
    ] = Path("prospector-demo"),
    serve: Annotated[bool, typer.Option(help="Only serve the demo web until interrupted.")] = False,
    port: Annotated[int, typer.Option(help="Port of the demo web (0 = any free port).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Run the whole loop offline on the bundled demo web: discover, qualify, draft, approve
    (the demo does it), send to a local SMTP sink, read replies over a local IMAP server,
    verify the links and write the daily report."""
    from prospector.demo.run import run_demo, serve_demo

    if serve:
        with serve_demo(workdir, port=port) as served:
            console.print(
                f"demo web on 127.0.0.1:{served.port} ({served.sites} sites, {served.pages} pages)"
            )
            if served.placed:
                console.print(f"with the links the last demo run placed: {served.placed}")
            console.print(f"config: {served.config}  (campaign 'demo')")
            console.print(f"try:    prospector --config {served.config} doctor")
            console.print("stop with Ctrl-C")
            served.wait()
        return
    if not as_json:
        console.print(
            "[bold]Prospector demo[/]: the whole loop, offline, on the bundled demo web "
            f"(workdir {escape(str(workdir))})"
        )
    with _sigterm_unwinds():
        report = run_demo(workdir, port=port, progress=None if as_json else _stage)
    if as_json:
        print_json(report.as_dict())
        return
    console.print("\n[bold]The daily list[/] (prospector prospects):")
    _daily(report.daily)
    console.print(f"{len(report.daily)} prospects\n")
    _summary(report)
    console.print(f"\n[bold]Report[/]: {escape(report.report)}")
    config = escape(str(report.config))
    console.print(f"Done in {report.elapsed_s:.0f}s. Everything is in {escape(str(workdir))}:")
    console.print(f"  prospector --config {config} prospects    (or: show ID, outbox, report)")
    console.print(
        f"  prospector demo --serve --workdir {escape(str(workdir))}   "
        "(the demo web again, for network commands like verify)"
    )
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Set up")(demo)
