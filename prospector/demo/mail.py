"""The demo's local mail servers on loopback: an SMTP sink that keeps what it is sent
(aiosmtpd), and a private Dovecot IMAP server when Dovecot is installed.

Dovecot is started from its own config in a temporary folder, with one user in a
passwd-file and a password made up for the run; when started as root its mail processes
run as the ``dovecot`` user (``first_valid_uid`` lowered to it), never as root. Both stop
when their ``with`` block ends, also on Ctrl-C or an error.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

from prospector.errors import ProspectorError

DOVECOT_BINARIES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
PASSWORD_ENV = "SOILSMITH_DEMO_IMAP_PASSWORD"  # named by the demo's imap.password_env


class DemoMailError(ProspectorError):
    """A demo mail server could not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        time.sleep(0.05)
    return False


class _Keep:
    """aiosmtpd handler: accepts every message and keeps it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "data": envelope.content,
                }
            )
        return "250 Message accepted"

    def kept(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.messages)


class SmtpSink:
    """An SMTP server on 127.0.0.1 that accepts every message and keeps it (no delivery)."""

    def __init__(self) -> None:
        self.handler = _Keep()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.handler.kept()

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


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class Dovecot:
    """A private Dovecot IMAP server on 127.0.0.1 with one user (plain IMAP, loopback only).

    While it runs, ``PASSWORD_ENV`` holds the user's password (what ``imap.password_env``
    names in the demo's settings); the variable is restored when it stops."""

    def __init__(self, binary: str, user: str) -> None:
        self.binary = binary
        self.user = user
        self.password = secrets.token_urlsafe(16)
        self.port = 0
        self.root: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._env_before: str | None = None

    def _identity(self) -> tuple[int, int, str, str]:
        if os.geteuid() == 0:
            if not _user_exists("dovecot"):
                raise DemoMailError("Dovecot runs as root here, but there is no 'dovecot' user")
            mail = pwd.getpwnam("dovecot")
            login = "dovenull" if _user_exists("dovenull") else "dovecot"
            return mail.pw_uid, mail.pw_gid, "dovecot", login
        me = pwd.getpwuid(os.geteuid())
        return me.pw_uid, me.pw_gid, me.pw_name, me.pw_name

    def _write_config(self, root: Path) -> Path:
        uid, gid, internal, login = self._identity()
        root.chmod(0o755)
        mail = root / "mail"
        mail.mkdir()
        os.chown(mail, uid, gid)
        users = root / "users"
        users.write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        users.chmod(0o644)  # Dovecot's auth process reads it as its own user
        config = root / "dovecot.conf"
        config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
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

    def start(self) -> Dovecot:
        self.root = Path(tempfile.mkdtemp(prefix="prospector-demo-dovecot-"))
        self.port = free_port()
        try:
            config = self._write_config(self.root)
            # its own session: Ctrl-C reaches the demo, which then stops Dovecot in order
            self.process = subprocess.Popen(
                [self.binary, "-F", "-c", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            if not wait_for_port(self.port):
                log = self.root / "dovecot.log"
                text = log.read_text(errors="replace")[-500:] if log.exists() else "no log"
                raise DemoMailError(f"Dovecot did not start: {text}")
        except BaseException:
            self.stop()
            raise
        self._env_before = os.environ.get(PASSWORD_ENV)
        os.environ[PASSWORD_ENV] = self.password
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            if os.environ.get(PASSWORD_ENV) == self.password:
                if self._env_before is None:
                    os.environ.pop(PASSWORD_ENV, None)
                else:
                    os.environ[PASSWORD_ENV] = self._env_before
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def deliver(self, messages: list[bytes], mailbox: str = "INBOX") -> None:
        """Put messages into the user's mailbox over IMAP APPEND, as mail arriving."""
        with imaplib.IMAP4("127.0.0.1", self.port, timeout=10) as client:
            client.login(self.user, self.password)
            for data in messages:
                when = imaplib.Time2Internaldate(time.time())
                status, detail = client.append(mailbox, "", when, data)
                if status != "OK":
                    raise DemoMailError(f"IMAP APPEND refused: {detail!r}")
