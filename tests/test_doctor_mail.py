"""doctor against real mail servers: aiosmtpd for SMTP, a private Dovecot for IMAP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import prospector
from tests.mailservers import Dovecot, SmtpSink, free_port

pytestmark = pytest.mark.integration


def config(tmp_path: Path, smtp_port: int, imap_port: int, user: str) -> Path:
    path = tmp_path / "prospector.toml"
    path.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {imap_port}\nsecurity = "none"\n'
        f'username = "{user}"\npassword_env = "TEST_IMAP_PASSWORD"\n'
    )
    return path


def checks_of(stdout: str) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in json.loads(stdout)["checks"]}


def test_doctor_reaches_smtp_and_logs_in_to_imap(
    tmp_path: Path, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    config(tmp_path, smtp_sink.port, dovecot.port, dovecot.user)
    result = prospector(
        "doctor",
        "--json",
        "--no-browser",
        cwd=tmp_path,
        env={"TEST_IMAP_PASSWORD": dovecot.password},
    )
    checks = checks_of(result.stdout)
    assert result.returncode == 0, result.stdout
    assert checks["smtp"]["status"] == "ok" and "EHLO 250" in checks["smtp"]["detail"]
    assert checks["imap"]["status"] == "ok"
    assert f"logged in as {dovecot.user}" in checks["imap"]["detail"]
    assert smtp_sink.messages == []  # a reachability check sends nothing


def test_doctor_reports_a_wrong_imap_password_and_an_unreachable_smtp(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    config(tmp_path, free_port(), dovecot.port, dovecot.user)
    result = prospector(
        "doctor", "--json", "--no-browser", cwd=tmp_path, env={"TEST_IMAP_PASSWORD": "wrong"}
    )
    checks = checks_of(result.stdout)
    assert result.returncode == 1
    assert checks["smtp"]["status"] == "fail" and "refused" in checks["smtp"]["detail"].lower()
    assert checks["imap"]["status"] == "fail"
    assert "wrong" not in checks["imap"]["detail"]  # the secret is never echoed


def test_doctor_names_an_unset_password_variable(tmp_path: Path, dovecot: Dovecot) -> None:
    config(tmp_path, free_port(), dovecot.port, dovecot.user)
    result = prospector("doctor", "--json", "--no-browser", cwd=tmp_path)
    assert checks_of(result.stdout)["imap"]["detail"] == (
        "TEST_IMAP_PASSWORD is not set (named by password_env)"
    )
