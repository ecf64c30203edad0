"""Health checks: Python, config, campaigns, database, browser, SMTP and IMAP."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import smtplib
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from prospector.campaigns import load_all
from prospector.config import ImapSettings, Settings, SmtpSettings
from prospector.errors import ProspectorError
from prospector.inbox.imap import connect as imap_connect
from prospector.outreach.smtp import connect as smtp_connect
from prospector.store import SCHEMA_VERSION, open_db
from prospector.web.browser import open_browser
from prospector.web.netguard import Resolver

Status = Literal["ok", "fail", "skip"]
_PROBE_HOST = "doctor.prospector.invalid"
_PROBE_TITLE = "Prospector doctor probe"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def run_checks(settings: Settings, *, browser: bool = True) -> list[Check]:
    checks = [
        check_python(),
        Check("config", "ok", str(settings.source) if settings.source else "built-in defaults"),
        _guard("campaigns", lambda: check_campaigns(settings)),
        _guard("database", lambda: check_database(settings)),
    ]
    if browser:
        checks.append(_guard("browser", lambda: asyncio.run(check_browser(settings))))
    checks.append(_guard("smtp", lambda: check_smtp(settings.smtp, settings)))
    checks.append(_guard("imap", lambda: check_imap(settings.imap, settings)))
    return checks


def _guard(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except ProspectorError as exc:
        return Check(name, "fail", str(exc).splitlines()[0])
    except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, ssl.SSLError) as exc:
        return Check(name, "fail", f"{type(exc).__name__}: {exc}")


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 11)
    return Check("python", "ok" if ok else "fail", version + ("" if ok else " (needs >= 3.11)"))


def check_campaigns(settings: Settings) -> Check:
    if not settings.campaigns_dir.is_dir():
        return Check("campaigns", "skip", f"{settings.campaigns_dir} does not exist")
    campaigns = load_all(settings.campaigns_dir, settings.templates_dir)
    names = ", ".join(c.name for c in campaigns) or "none"
    return Check("campaigns", "ok", f"{len(campaigns)} valid in {settings.campaigns_dir}: {names}")


def check_database(settings: Settings) -> Check:
    with open_db(settings.database) as store:
        version = store.schema_version()
        if not store.integrity_ok():
            return Check("database", "fail", f"{settings.database}: integrity check failed")
    return Check(
        "database",
        "ok",
        f"{settings.database} (schema {version}/{SCHEMA_VERSION}, WAL, integrity ok)",
    )


async def check_browser(settings: Settings) -> Check:
    """Launch (or connect to) the browser and load a page through the network guard."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ProbeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        resolver = Resolver({_PROBE_HOST: f"127.0.0.1:{server.server_address[1]}"})
        async with open_browser(settings, resolver) as session, session.page() as page:
            response = await page.goto(f"http://{_PROBE_HOST}/")
            title = await page.title()
            script = await page.evaluate("() => document.querySelectorAll('p').length")
        if response is None or response.status != 200 or title != _PROBE_TITLE or script != 2:
            return Check("browser", "fail", f"probe page did not load as expected ({title!r})")
        return Check(
            "browser",
            "ok",
            f"Chromium {session.version} ({session.choice.source}"
            + (f": {session.choice.executable}" if session.choice.executable else "")
            + "), probe page loaded through the network guard",
        )
    finally:
        server.shutdown()
        server.server_close()


class _ProbeHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (
            f"<!doctype html><title>{_PROBE_TITLE}</title><p>one</p>"
            "<script>document.body.appendChild(document.createElement('p'))</script>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def check_smtp(conf: SmtpSettings, settings: Settings) -> Check:
    if not conf.configured:
        return Check("smtp", "skip", "not configured (smtp.host is empty)")
    with contextlib.closing(smtp_connect(conf, settings.network.ca_bundle)) as client:
        code, _ = client.ehlo()
        detail = f"{conf.host}:{conf.port} ({conf.security}) answered EHLO {code}"
        if conf.username and conf.password_env:
            detail += f", logged in as {conf.username}"
        client.noop()
    return Check("smtp", "ok", detail)


def check_imap(conf: ImapSettings, settings: Settings) -> Check:
    if not conf.configured:
        return Check("imap", "skip", "not configured (imap.host is empty)")
    client = imap_connect(conf, settings.network.ca_bundle)
    try:
        detail = f"{conf.host}:{conf.port} ({conf.security}) greeted"
        if conf.username and conf.password_env:
            status, _ = client.select(conf.mailbox, readonly=True)
            if status != "OK":
                return Check("imap", "fail", f"{detail}; mailbox {conf.mailbox!r} not found")
            detail += f", logged in as {conf.username}, {conf.mailbox} selected"
        else:
            client.noop()
    finally:
        with contextlib.suppress(TimeoutError, imaplib.IMAP4.error, OSError):
            client.logout()
    return Check("imap", "ok", detail)
