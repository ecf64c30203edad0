"""Real mail servers on loopback for tests: an aiosmtpd sink and a private Dovecot instance."""

from __future__ import annotations

import asyncio
import imaplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from prospector.demo.mail import Dovecot as _PrivateDovecot
from prospector.demo.mail import dovecot_binary, free_port, wait_for_port

__all__ = [
    "Dovecot",
    "SmtpSink",
    "dovecot_available",
    "dovecot_binary",
    "free_port",
    "wait_for_port",
]


class _Collect:
    """Keeps what it accepts. ``refuse`` maps a recipient to the reply its RCPT gets;
    messages to a ``drop`` recipient make the server hang up during DATA without a reply
    (the message is not kept); ``delay`` holds the final reply after the message is kept;
    ``on_accept`` sees each kept message first (e.g. to file it in an IMAP Sent folder)."""

    def __init__(
        self,
        refuse: dict[str, str] | None = None,
        drop: set[str] | None = None,
        delay: float = 0.0,
        on_accept: Callable[[bytes], None] | None = None,
    ) -> None:
        self.messages: list[dict[str, Any]] = []
        self.refuse = {k.lower(): v for k, v in (refuse or {}).items()}
        self.drop = {d.lower() for d in drop or set()}
        self.delay = delay
        self.on_accept = on_accept
        self.logins: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if any(r.lower() in self.drop for r in envelope.rcpt_tos):
            server.transport.abort()
            return "421 gone"
        if self.on_accept is not None:
            self.on_accept(envelope.content)
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.content}
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted"


class SmtpSink:
    """aiosmtpd on 127.0.0.1: accepts messages and keeps them. With ``tls`` (a trustme CA)
    it offers STARTTLS (``"starttls"``) or speaks implicit TLS (``"tls"``); with
    ``password`` it requires a login as ``user``."""

    user = "outreach@soilsmith.example"

    def __init__(
        self,
        *,
        tls: str = "",
        ca: Any = None,
        password: str = "",
        **behaviour: Any,
    ) -> None:
        self.handler = _Collect(**behaviour)
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ca.issue_cert("127.0.0.1").configure_cert(context)
            if tls == "tls":
                kwargs["ssl_context"] = context
            else:
                kwargs["tls_context"] = context
                kwargs["require_starttls"] = True
        if password:
            kwargs["authenticator"] = self._authenticator(password)
            kwargs["auth_required"] = True
            # with implicit TLS aiosmtpd does not see the TLS layer; the socket is TLS anyway
            kwargs["auth_require_tls"] = tls == "starttls"
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticator(self, password: str) -> Callable[..., AuthResult]:
        def check(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == self.user
                and (data.password.decode() == password)
            )
            if ok:
                self.handler.logins.append(self.user)
            return AuthResult(success=ok, handled=False)

        return check

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.handler.messages

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def dovecot_available() -> bool:
    return dovecot_binary() is not None


class Dovecot(_PrivateDovecot):
    """The demo's private Dovecot (mail processes as the ``dovecot`` user when root, a
    passwd-file, loopback only) with a fixed test user and password."""

    user = "outreach@soilsmith.example"
    password = "imap-test-secret"

    def __init__(self, hint: Path) -> None:
        binary = dovecot_binary()
        assert binary, "dovecot not installed"
        super().__init__(binary, Dovecot.user)
        self.password = Dovecot.password

    def deliver(self, message: EmailMessage | bytes, mailbox: str = "INBOX") -> None:  # type: ignore[override]
        """Put one message into the user's mailbox over IMAP APPEND (creating the mailbox)."""
        data = message if isinstance(message, bytes) else message.as_bytes()
        if mailbox.upper() != "INBOX":
            with imaplib.IMAP4("127.0.0.1", self.port, timeout=10) as client:
                client.login(self.user, self.password)
                client.create(mailbox)  # 'NO' when it exists: fine
        super().deliver([data], mailbox)
