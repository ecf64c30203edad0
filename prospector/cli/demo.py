"""``prospector demo``: the bundled demo web, and what Prospector finds on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prospector.cli.output import console, print_json


def demo(
    workdir: Annotated[
        Path,
        typer.Option(
            help="Where the demo's config, campaign and database are left.", file_okay=False
        ),
    ] = Path("prospector-demo"),
    serve: Annotated[bool, typer.Option(help="Only serve the demo web until interrupted.")] = False,
    port: Annotated[int, typer.Option(help="Port of the demo web (0 = any free port).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Serve the bundled demo web and crawl one demo site with the real browser."""
    from prospector.demo.run import run_demo, serve_demo

    if serve:
        with serve_demo(workdir, port=port) as served:
            console.print(
                f"demo web on 127.0.0.1:{served.port} ({served.sites} sites, {served.pages} pages)"
            )
            console.print(f"config: {served.config}  (campaign 'demo')")
            console.print(f"try:    prospector --config {served.config} doctor")
            console.print("stop with Ctrl-C")
            served.wait()
        return
    report = run_demo(workdir, port=port)
    if as_json:
        print_json(report.as_dict())
        return
    console.print(
        f"[bold]Demo web[/]: {report.sites} sites, {report.pages} pages on 127.0.0.1:{report.port}"
    )
    console.print(
        f"[bold]Crawled[/] {report.start_url} with Chromium {report.browser}: "
        f"{len(report.crawled)} pages, {report.failures} failed"
    )
    for page in report.crawled:
        console.print(
            f"  {page['status'] or '---'}  {page['url']}  [dim]{page['title']}[/] "
            f"({page['links']} links, {page['outbound']} outbound)"
        )
    console.print(f"[bold]Outbound links[/]: {report.outbound} to {len(report.domains)} domains")
    for domain, count in report.domains[:15]:
        console.print(f"  {count:3d}  {domain}")
    console.print(f"[bold]Emails found[/]: {', '.join(report.emails) or 'none'}")
    console.print(f"[bold]Stored[/] in {report.database}; config left at {report.config}")
    console.print(f"next: prospector --config {report.config} doctor")


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Set up")(demo)
