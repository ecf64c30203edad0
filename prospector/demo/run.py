"""The offline demo: serve the bundled web and run the whole loop on it (``run_demo``), or
only serve it for other commands (``serve_demo``). Both leave a usable workdir behind."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prospector.config import load_settings
from prospector.demo.loop import DemoLoop, LoopReport, Progress
from prospector.demo.mail import PASSWORD_ENV, DemoMailError, Dovecot, SmtpSink, dovecot_binary
from prospector.demo.server import DemoWeb
from prospector.demo.workdir import (
    DEMO_CAMPAIGN,
    PLACED_FILE,
    SENDER,
    check_ours,
    prepare,
    runtime_overrides,
    write_workdir,
)

__all__ = ["DEMO_CAMPAIGN", "Served", "run_demo", "serve_demo", "write_workdir"]
NO_DOVECOT = "Dovecot is not installed (apt-get install dovecot-imapd), so no IMAP server"


def _start_dovecot(stack: contextlib.ExitStack) -> tuple[Dovecot | None, str]:
    """The demo's IMAP server, or None and why not."""
    binary = dovecot_binary()
    if binary is None:
        return None, NO_DOVECOT
    try:
        return stack.enter_context(Dovecot(binary, SENDER["email"])), ""
    except (DemoMailError, OSError) as exc:
        return None, f"Dovecot could not start ({exc}), so no IMAP server"


def run_demo(workdir: Path, *, port: int = 0, progress: Progress | None = None) -> LoopReport:
    """Start the demo web, an SMTP sink and (when installed) Dovecot; run the whole loop in
    a fresh ``workdir``; stop every server, also on an error or Ctrl-C."""
    started = time.monotonic()
    prepare(workdir)
    with contextlib.ExitStack() as stack:
        web = stack.enter_context(DemoWeb(port=port, cert_dir=workdir))
        config = write_workdir(workdir, web)
        sink = stack.enter_context(SmtpSink())
        dovecot, skipped = _start_dovecot(stack)
        imap = None
        if dovecot is not None:
            imap = {
                "host": "127.0.0.1",
                "port": dovecot.port,
                "security": "none",
                "username": dovecot.user,
                "password_env": PASSWORD_ENV,
            }
        settings = load_settings(config, env={}, overrides=runtime_overrides(sink.port, imap))
        report = LoopReport(
            workdir=workdir,
            config=config,
            database=settings.database,
            port=web.port,
            sites=web.world.site_count,
            pages=web.world.page_count,
            smtp=f"127.0.0.1:{sink.port}",
            imap=f"127.0.0.1:{dovecot.port}" if dovecot else "",
            imap_skipped=skipped,
        )
        seconds = round(time.monotonic() - started, 1)
        line = (
            f"demo web: {report.sites} sites, {report.pages} pages on 127.0.0.1:{report.port} "
            f"(HTTP and HTTPS); SMTP sink on {report.smtp}; "
            + (f"Dovecot IMAP on {report.imap}" if dovecot else skipped)
        )
        report.stages.append({"stage": "servers", "line": line, "seconds": seconds})
        if progress is not None:
            progress("servers", line, seconds)
        DemoLoop(settings, web, sink, dovecot, report, progress).run()
    report.elapsed_s = round(time.monotonic() - started, 1)
    return report


@dataclass
class Served:
    port: int
    sites: int
    pages: int
    config: Path
    stop: threading.Event
    placed: int = 0  # links the last demo run placed, served again

    def wait(self) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            while not self.stop.wait(0.5):
                pass


@contextlib.contextmanager
def serve_demo(workdir: Path, *, port: int = 0) -> Iterator[Served]:
    """Serve the demo web (with the links a previous demo run placed) and leave the config."""
    check_ours(workdir)
    with DemoWeb(port=port, cert_dir=workdir) as web:
        config = write_workdir(workdir, web)
        placed = web.placed.load(workdir / PLACED_FILE)
        yield Served(
            web.port, web.world.site_count, web.world.page_count, config, threading.Event(), placed
        )
