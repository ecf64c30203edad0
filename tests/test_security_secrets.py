"""Secrets are used and never kept: real flows run with distinctive passwords and API keys
(SMTP to aiosmtpd, IMAP to Dovecot, the authority and search APIs against local servers,
including ones that echo the key back), then every byte Prospector left behind — the
database and its -wal/-shm, the outbox, reports, lock files, stdout and stderr of every
command and the agent's log, ``--json`` output, ``PROSPECTOR_DEBUG`` tracebacks of a failed
login — is searched for them, as they are and encoded (base64, as AUTH PLAIN and Basic auth
carry them; URL encoding)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import tomli_w

from prospector.config import load_settings
from prospector.discover.search.providers import make_provider
from prospector.errors import ProspectorError
from prospector.qualify.authority.combine import authority_for
from prospector.store import open_db
from tests.authority_api_server import AuthorityApiServer, moz_token
from tests.cli_helpers import prospector
from tests.mailservers import Dovecot, SmtpSink
from tests.outreach_world import outreach_settings
from tests.test_outreach_send import approved

pytestmark = [pytest.mark.integration]

SMTP_SECRET = "smtp-Pw-7Qx2-ZetaPlover"
SMTP_WRONG = "smtp-Wrong-9Lk4-HeronDusk"
IMAP_WRONG = "imap-Wrong-3Jd8-OtterFen"
OPR_KEY = "opr-Key-5Vb1-KestrelMoor"
MOZ_SECRET = "moz-Secret-2Hn6-LynxTarn"
BRAVE_KEY = "brave-Key-8Rc3-WrenHollow"


def forms(secret: str, user: str = "") -> list[bytes]:
    """A secret as it is, and as protocols and logs would encode it."""
    raw = secret.encode()
    out = [raw, quote(secret, safe="").encode(), base64.b64encode(raw)]
    if user:
        out += [
            base64.b64encode(f"\0{user}\0{secret}".encode()),
            base64.b64encode(f"{user}:{secret}".encode()),
        ]
    return out


def leaks(root: Path, secrets: list[bytes], *texts: str, skip: Path | None = None) -> list[str]:
    """Where any of ``secrets`` appears: every file under ``root`` (but ``skip``), and
    ``texts`` (command output)."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if skip is not None and skip in path.parents:
            continue
        data = path.read_bytes()
        found += [f"{path}: {s!r}" for s in secrets if s in data]
    for n, text in enumerate(texts):
        found += [f"output {n}: {s!r}" for s in secrets if s in text.encode()]
    return found


def write_config(settings: Any, work: Path) -> Path:
    path = work / "prospector.toml"
    path.write_text(tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True)))
    return path


def cli(config: Path, *args: str, **env: str) -> Any:
    return prospector("--config", str(config), *args, env=env)


def test_the_smtp_password_logs_in_and_is_never_written_or_printed(tmp_path: Path) -> None:
    smtp = {"username": SmtpSink.user, "password_env": "OUTREACH_SMTP_SECRET"}
    with SmtpSink(password=SMTP_SECRET) as sink:
        settings = outreach_settings(tmp_path, sink.port, smtp=smtp)
        approved(settings)
        config = write_config(settings, tmp_path)
        runs = [
            cli(config, "doctor", "--json", OUTREACH_SMTP_SECRET=SMTP_SECRET),
            cli(config, "send", "--json", OUTREACH_SMTP_SECRET=SMTP_SECRET),
            cli(config, "outbox", "--json"),
            cli(config, "report", "--json", "--html", str(tmp_path / "r.html")),
        ]
        assert runs[1].returncode == 0 and len(sink.messages) == 3, runs[1].stderr
        assert sink.handler.logins  # the password was really used
        # a wrong password: one readable line; with PROSPECTOR_DEBUG the traceback
        with open_db(settings.database) as store:
            store.db.execute("UPDATE messages SET state = 'approved', message_id = NULL")
        wrong = cli(config, "send", OUTREACH_SMTP_SECRET=SMTP_WRONG)
        debug = cli(config, "send", OUTREACH_SMTP_SECRET=SMTP_WRONG, PROSPECTOR_DEBUG="1")
        agent = cli(config, "agent", "--once", "send", "-v", OUTREACH_SMTP_SECRET=SMTP_WRONG)
    assert wrong.returncode != 0 and "login refused" in wrong.stderr
    assert "Traceback" in debug.stderr
    assert agent.returncode == 1 and "login refused" in agent.stderr  # logged, as it is
    outputs = [text for done in [*runs, wrong, debug, agent] for text in (done.stdout, done.stderr)]
    secrets = forms(SMTP_SECRET, SmtpSink.user) + forms(SMTP_WRONG, SmtpSink.user)
    assert leaks(tmp_path, secrets, *outputs) == []


def test_the_imap_password_reads_replies_and_is_never_written_or_printed(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    work = tmp_path / "work"
    imap = {"host": "127.0.0.1", "port": dovecot.port, "security": "none",
            "username": Dovecot.user, "password_env": "OUTREACH_IMAP_SECRET"}  # fmt: skip
    settings = outreach_settings(work, imap=imap)
    config = write_config(settings, work)
    good = {"OUTREACH_IMAP_SECRET": Dovecot.password}
    runs = [cli(config, "replies", "--json", **good), cli(config, "doctor", "--json", **good)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert json.loads(runs[1].stdout)  # doctor logged in (or said why not) as JSON
    wrong = cli(config, "replies", OUTREACH_IMAP_SECRET=IMAP_WRONG)
    debug = cli(config, "replies", OUTREACH_IMAP_SECRET=IMAP_WRONG, PROSPECTOR_DEBUG="1")
    assert wrong.returncode != 0 and wrong.stderr.count("\n") == 1, wrong.stderr
    assert "Traceback" in debug.stderr
    outputs = [text for done in [*runs, wrong, debug] for text in (done.stdout, done.stderr)]
    secrets = forms(Dovecot.password, Dovecot.user) + forms(IMAP_WRONG, Dovecot.user)
    assert leaks(work, secrets, *outputs) == []


# -- API keys -----------------------------------------------------------------------------------


class _Echo(BaseHTTPRequestHandler):
    """An API that refuses every key and quotes it back in its error (as some do)."""

    def _answer(self) -> None:
        given = (
            self.headers.get("API-OPR")
            or self.headers.get("X-Subscription-Token")
            or self.headers.get("Authorization", "")
        )
        body = {
            "status_code": 401,
            "error": f"Invalid API key: {given}",
            "message": f"key {given} is not valid",
            "detail": f"token {given} unknown",
        }
        if "X-Subscription-Token" in self.headers:
            body = {"type": "ErrorResponse", "error": {"code": "SUBSCRIPTION_TOKEN_INVALID",
                    "detail": f"The token {given} is invalid", "status": 401}}  # fmt: skip
        data = json.dumps(body).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("WWW-Authenticate", f'Bearer error="invalid_token {given}"')
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def authority_settings(work: Path, address: str) -> Any:
    return load_settings(None, env={}, overrides={
        "database": str(work / "prospector.db"),
        "network": {"resolve": {"api.opr.test": address, "api.moz.test": address}},
        "authority": {"providers": ["open_pagerank", "moz"], "combine": "weighted",
                      "open_pagerank_endpoint": "http://api.opr.test/api/v1.0/getPageRank",
                      "moz_endpoint": "http://api.moz.test/v2/url_metrics"},
    })  # fmt: skip


def ask_authority(settings: Any, env: dict[str, str]) -> dict[str, Any]:
    with open_db(settings.database) as store:
        got = asyncio.run(authority_for(settings, store, None, ["popular.com"], env=env))
    return {domain: [c.score, c.reasons, c.evidence] for domain, c in got.items()}


def test_authority_api_keys_travel_only_in_headers_and_are_never_stored(tmp_path: Path) -> None:
    token = moz_token("moz-access", MOZ_SECRET)
    env = {"OPEN_PAGERANK_KEY": OPR_KEY, "MOZ_API_TOKEN": token}
    with AuthorityApiServer(opr_key=OPR_KEY, moz_token=token, opr={"popular.com": 5.0},
                            moz={"popular.com": 50}) as api:  # fmt: skip
        settings = authority_settings(tmp_path, f"127.0.0.1:{api.port}")
        answered = ask_authority(settings, env)
        assert answered["popular.com"][0] > 0 and len(api.hits) == 2  # both keys worked
        api.faults.update(opr="401", moz="401")
        refused = ask_authority(authority_settings(tmp_path / "b", f"127.0.0.1:{api.port}"), env)
    secrets = forms(OPR_KEY) + forms(MOZ_SECRET) + forms(token)
    assert leaks(tmp_path, secrets, json.dumps(answered), json.dumps(refused)) == []


def test_an_authority_api_that_echoes_the_key_does_not_get_it_stored(
    tmp_path: Path, echo_api: str
) -> None:
    token = moz_token("moz-access", MOZ_SECRET)
    settings = authority_settings(tmp_path, echo_api)
    refused = ask_authority(settings, {"OPEN_PAGERANK_KEY": OPR_KEY, "MOZ_API_TOKEN": token})
    assert "rejected the key" in json.dumps(refused)
    secrets = forms(OPR_KEY) + forms(MOZ_SECRET) + forms(token)
    assert leaks(tmp_path, secrets, json.dumps(refused)) == []


def test_a_search_api_that_echoes_the_key_does_not_get_it_into_the_error(
    tmp_path: Path, echo_api: str
) -> None:
    settings = load_settings(None, env={}, overrides={
        "database": str(tmp_path / "p.db"),
        "network": {"resolve": {"api.brave.test": echo_api}},
        "search": {"provider": "brave", "brave_endpoint": "http://api.brave.test",
                   "min_interval_s": 0.0},
    })  # fmt: skip

    async def ask() -> None:
        async with make_provider(settings, env={"BRAVE_API_KEY": BRAVE_KEY}) as provider:
            await provider.search("compost", 1)

    with pytest.raises(ProspectorError) as caught:
        asyncio.run(ask())
    assert "rejected the API key" in str(caught.value)
    assert leaks(tmp_path, forms(BRAVE_KEY), str(caught.value)) == []


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("search", "searxng_url"),
        ("search", "brave_endpoint"),
        ("authority", "moz_endpoint"),
        ("authority", "open_pagerank_endpoint"),
        ("wayback", "cdx_url"),
    ],
)
def test_a_password_written_into_an_endpoint_url_is_refused_without_being_echoed(
    section: str, key: str, tmp_path: Path
) -> None:
    config = tmp_path / "prospector.toml"
    config.write_text(tomli_w.dumps({section: {key: "https://admin:hunter2@api.example/v1"}}))
    done = prospector("--config", str(config), "doctor")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and f"{section}.{key}" in done.stderr, done.stderr
    assert "secrets come from the environment" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
