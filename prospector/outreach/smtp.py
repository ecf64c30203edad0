"""SMTP delivery with an honest outcome per message.

Every attempt ends in one of four outcomes, and the sender acts on each differently:

- ``sent``: the server accepted the message (250 after DATA);
- ``refused``: a permanent 5xx for this message (MAIL, RCPT or DATA); not retried;
- ``deferred``: nothing was handed over (no connection, a 4xx, a drop before DATA): safe to
  try again later;
- ``unknown``: the connection failed during or after DATA, so the server may have
  accepted it: never retried blindly; reconciled afterwards.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from prospector.config import SmtpSettings
from prospector.errors import NetworkError, UserError
from prospector.outreach.compose import checked_address
from prospector.web.http import ssl_context

Outcome = Literal["sent", "refused", "deferred", "unknown"]
_ENHANCED = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    code: int | None = None
    detail: str = ""
    stage: str = ""

    @property
    def enhanced(self) -> str | None:
        found = _ENHANCED.search(self.detail)
        return found.group(1) if found else None

    @property
    def hard(self) -> bool:
        """The address will never work (unknown user or domain, moved): suppress it."""
        code = self.enhanced or ""
        return self.outcome == "refused" and code.startswith("5.1.") and code != "5.1.7"

    def describe(self) -> str:
        code = f"{self.code} " if self.code else ""
        return f"{self.stage}: {code}{self.detail}".strip(": ")


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:300]


def connect(conf: SmtpSettings, ca_bundle: Path | None = None) -> smtplib.SMTP:
    """An SMTP connection as configured: implicit TLS, STARTTLS or plain; logged in."""
    context = ssl_context(ca_bundle)
    client: smtplib.SMTP
    if conf.security == "tls":
        client = smtplib.SMTP_SSL(conf.host, conf.port, timeout=conf.timeout_s, context=context)
    else:
        client = smtplib.SMTP(conf.host, conf.port, timeout=conf.timeout_s)
    try:
        client.ehlo()
        if conf.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        password = conf.password()
        if conf.username and password is not None:
            try:
                client.login(conf.username, password)
            except UnicodeError:  # smtplib sends credentials as ASCII; never echo them
                raise NetworkError(
                    f"SMTP {conf.host}: the username or the password (from "
                    f"${conf.password_env}) is not plain ASCII, which SMTP login needs"
                ) from None
    except BaseException:
        with contextlib.suppress(Exception):
            client.close()
        raise
    return client


class SmtpTransport:
    """One connection reused for a batch; reconnects after a failure."""

    def __init__(self, conf: SmtpSettings, ca_bundle: Path | None = None) -> None:
        self.conf = conf
        self.ca_bundle = ca_bundle
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> str | None:
        """Connect and log in before anything is claimed. A refused login or a missing
        password raises; an unreachable server is returned as text (nothing was sent)."""
        if self.client is not None:
            return None
        try:
            self.client = connect(self.conf, self.ca_bundle)
        except smtplib.SMTPAuthenticationError as exc:
            raise self._login_refused(exc) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def _login_refused(self, exc: smtplib.SMTPAuthenticationError) -> NetworkError:
        return NetworkError(
            f"SMTP {self.conf.host}: login refused for {self.conf.username}: "
            f"{exc.smtp_code} {_text(exc.smtp_error)}"
        )

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.quit()
            with contextlib.suppress(Exception):
                self.client.close()
            self.client = None

    def _drop(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()
            self.client = None

    def send(self, mail_from: str, rcpt: str, data: bytes, copy_to: str = "") -> Delivery:
        """Hand one message to the server for ``rcpt`` (and ``copy_to``, in the same
        transaction, when given). An address that is not a plain ``local@domain`` is refused
        here, before any command is sent."""
        try:
            mail_from, rcpt = checked_address(mail_from), checked_address(rcpt)
            copy_to = checked_address(copy_to) if copy_to else ""
        except UserError as exc:
            return Delivery("refused", None, str(exc), "RCPT TO")
        try:
            if self.client is None:
                self.client = connect(self.conf, self.ca_bundle)
            client = self.client
            code, reply = client.mail(mail_from)
            if code != 250:
                return self._reset(code, reply, "MAIL FROM")
            code, reply = client.rcpt(rcpt)
            if code not in (250, 251):
                return self._reset(code, reply, "RCPT TO")
            if copy_to:
                client.rcpt(copy_to)  # a refused copy must not stop the real message
        except smtplib.SMTPAuthenticationError as exc:
            self._drop()
            raise self._login_refused(exc) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            self._drop()
            return Delivery("deferred", None, f"{type(exc).__name__}: {exc}", "connection")
        try:
            code, reply = client.data(data)
        except smtplib.SMTPDataError as exc:
            self._rset()
            outcome: Outcome = "refused" if exc.smtp_code >= 500 else "deferred"
            return Delivery(outcome, exc.smtp_code, _text(exc.smtp_error), "DATA")
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Delivery("unknown", None, f"{type(exc).__name__}: {exc}", "DATA")
        if code != 250:
            return self._reset(code, reply, "DATA")
        return Delivery("sent", code, _text(reply), "DATA")

    def _reset(self, code: int, reply: bytes, stage: str) -> Delivery:
        self._rset()
        outcome: Outcome = "refused" if code >= 500 else "deferred"
        return Delivery(outcome, code, _text(reply), stage)

    def _rset(self) -> None:
        try:
            if self.client is not None:
                self.client.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
