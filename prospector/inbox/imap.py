"""IMAP connections as configured (TLS, STARTTLS or plain), and lookups by Message-ID."""

from __future__ import annotations

import contextlib
import imaplib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from prospector.config import ImapSettings
from prospector.errors import NetworkError
from prospector.web.http import ssl_context

_SAFE_ID = re.compile(r"^<[^\s<>\"\\]+>$")


def connect(conf: ImapSettings, ca_bundle: Path | None = None) -> imaplib.IMAP4:
    """A logged-in IMAP connection (when a username is configured)."""
    context = ssl_context(ca_bundle)
    client: imaplib.IMAP4
    if conf.security == "tls":
        client = imaplib.IMAP4_SSL(
            conf.host, conf.port, ssl_context=context, timeout=conf.timeout_s
        )
    else:
        client = imaplib.IMAP4(conf.host, conf.port, timeout=conf.timeout_s)
    try:
        if conf.security == "starttls":
            client.starttls(ssl_context=context)
        password = conf.password()
        if conf.username and password is not None:
            try:
                client.login(conf.username, password)
            except UnicodeError:  # LOGIN takes ASCII only; never echo the secret
                raise NetworkError(
                    f"IMAP {conf.host}: the username or the password (from "
                    f"${conf.password_env}) is not plain ASCII, which IMAP LOGIN needs"
                ) from None
    except BaseException:
        with contextlib.suppress(Exception):
            client.shutdown()
        raise
    return client


@contextlib.contextmanager
def session(conf: ImapSettings, ca_bundle: Path | None = None) -> Iterator[imaplib.IMAP4]:
    try:
        client = connect(conf, ca_bundle)
    except (imaplib.IMAP4.error, OSError) as exc:
        raise NetworkError(f"IMAP {conf.host}:{conf.port}: {exc}") from None
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def quote_mailbox(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find_message_ids(
    client: imaplib.IMAP4, message_ids: Iterable[str], mailboxes: Iterable[str]
) -> set[str]:
    """Which of ``message_ids`` are in any of ``mailboxes`` (searched by header)."""
    wanted = [m for m in message_ids if _SAFE_ID.match(m)]
    found: set[str] = set()
    for mailbox in mailboxes:
        status, _ = client.select(quote_mailbox(mailbox), readonly=True)
        if status != "OK":
            raise NetworkError(f"IMAP: mailbox {mailbox!r} not found")
        for message_id in wanted:
            if message_id in found:
                continue
            status, data = client.search(None, "HEADER", "Message-ID", f'"{message_id}"')
            if status == "OK" and data and data[0] and data[0].split():
                found.add(message_id)
    return found
