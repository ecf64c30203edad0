"""Real mail servers on loopback for tests: an aiosmtpd sink and a private Dovecot instance."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

DOVECOT_BINARIES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


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


def dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return next((b for b in DOVECOT_BINARIES if os.access(b, os.X_OK)), None)


def dovecot_available() -> bool:
    return dovecot_binary() is not None


class Dovecot:
    """A private Dovecot IMAP server on loopback with one user, not running mail as root.

    Mail processes run as the ``dovecot`` user (when started as root) with a passwd-file;
    ``first_valid_uid`` is lowered to that user's uid.
    """

    user = "outreach@soilsmith.example"
    password = "imap-test-secret"

    def __init__(self, hint: Path) -> None:
        self.hint = hint
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="prospector-dovecot-"))
        self.process: subprocess.Popen[bytes] | None = None

    def _identity(self) -> tuple[int, int, str, str]:
        if os.geteuid() == 0:
            mail = pwd.getpwnam("dovecot")
            login = "dovenull" if _user_exists("dovenull") else "dovecot"
            return mail.pw_uid, mail.pw_gid, "dovecot", login
        me = pwd.getpwuid(os.geteuid())
        return me.pw_uid, me.pw_gid, me.pw_name, me.pw_name

    def _write_config(self) -> Path:
        uid, gid, internal, login = self._identity()
        self.root.chmod(0o755)
        mail = self.root / "mail"
        mail.mkdir()
        os.chown(mail, uid, gid)
        users = self.root / "users"
        users.write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        users.chmod(0o644)
        config = self.root / "dovecot.conf"
        config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {uid}
first_valid_gid = {gid}
default_internal_user = {internal}
default_login_user = {login}
mail_location = maildir:{mail}/%n
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
        return config

    def __enter__(self) -> Dovecot:
        binary = dovecot_binary()
        assert binary, "dovecot not installed"
        config = self._write_config()
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.__exit__()
            log = self.root / "dovecot.log"
            raise RuntimeError(
                "dovecot did not start: " + (log.read_text() if log.exists() else "no log")
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def deliver(self, message: EmailMessage | bytes, mailbox: str = "INBOX") -> None:
        """Put a message into the user's mailbox over IMAP APPEND (creating the mailbox)."""
        import imaplib

        data = message if isinstance(message, bytes) else message.as_bytes()
        with imaplib.IMAP4("127.0.0.1", self.port, timeout=10) as client:
            client.login(self.user, self.password)
            if mailbox.upper() != "INBOX":
                client.create(mailbox)  # 'NO' when it exists: fine
            status, detail = client.append(
                mailbox, "", imaplib.Time2Internaldate(time.time()), data
            )
            assert status == "OK", detail


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
