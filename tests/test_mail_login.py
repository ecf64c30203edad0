"""Logging in to the mail servers. A send run that cannot log in or reach the server claims
nothing: every approved message stays approved, so a fixed password or a server back up sends
each exactly once. A password IMAP cannot carry is refused without being echoed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import trustme

from prospector.config import Settings
from prospector.errors import ConfigError, NetworkError
from prospector.inbox.poll import poll_replies
from prospector.outreach.sender import send
from prospector.store import open_db
from tests.mailservers import Dovecot, SmtpSink
from tests.outreach_world import outreach_settings
from tests.test_outreach_send import approved, states
from tests.test_replies import inbox_settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]


def _tls_settings(tmp_path: Path, port: int, ca: trustme.CA) -> Settings:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return outreach_settings(
        tmp_path,
        port,
        smtp={"security": "tls", "username": SmtpSink.user, "password_env": "TEST_SMTP_SECRET"},
        network={"ca_bundle": str(ca_file)},
    )


def _attempts(settings: Settings) -> list[int]:
    with open_db(settings.database) as store:
        return [int(m.get("attempts") or 0) for m in store.messages()]


def test_a_refused_login_claims_no_message_and_a_fixed_password_sends_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    with SmtpSink(tls="tls", ca=ca, password="right") as sink:
        settings = _tls_settings(tmp_path, sink.port, ca)
        approved(settings)
        monkeypatch.setenv("TEST_SMTP_SECRET", "wrong")
        with pytest.raises(NetworkError, match="login refused"):
            send(settings)
        assert set(states(settings).values()) == {"approved"} and sink.messages == []
        monkeypatch.setenv("TEST_SMTP_SECRET", "right")
        assert len(send(settings).sent) == 3
    assert len(sink.messages) == 3
    assert len({tuple(m["to"]) for m in sink.messages}) == 3


def test_an_unset_password_variable_claims_no_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    monkeypatch.delenv("TEST_SMTP_SECRET", raising=False)
    with SmtpSink(tls="tls", ca=ca, password="right") as sink:
        settings = _tls_settings(tmp_path, sink.port, ca)
        approved(settings)
        with pytest.raises(ConfigError, match="TEST_SMTP_SECRET is not set"):
            send(settings)
    assert set(states(settings).values()) == {"approved"} and sink.messages == []


def test_an_unreachable_server_claims_no_message_and_counts_no_attempt(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = outreach_settings(tmp_path, port)
    approved(settings)
    with pytest.raises(NetworkError, match=r"unreachable .*nothing was sent"):
        send(settings)
    assert set(states(settings).values()) == {"approved"}
    assert _attempts(settings) == [0, 0, 0]


def test_a_non_ascii_imap_password_is_refused_without_echoing_it(
    tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_IMAP_SECRET", "p\u00e4ss-\u2603-word")
    settings = inbox_settings(tmp_path, 25, dovecot)
    with pytest.raises(NetworkError, match="not plain ASCII") as caught:
        poll_replies(settings)
    assert "\u00e4" not in str(caught.value) and "\u2603" not in str(caught.value)
