"""The command line: command groups, the error boundary, init and doctor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import prospector

GROUPS = [
    "init",
    "demo",
    "run",
    "prospects",
    "show",
    "approve",
    "reject",
    "edit",
    "send",
    "replies",
    "verify",
    "report",
    "agent",
    "check",
    "inspect",
    "import",
    "suppress",
    "doctor",
    "outbox",
    "resolve",
    "placed",
    "links",
    "syndication",
    "audit",
]


def test_help_lists_every_command_group() -> None:
    result = prospector("--help")
    assert result.returncode == 0
    listed = {
        line.split()[1]
        for line in result.stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 1
    }
    assert set(GROUPS) <= listed


def test_misspelt_config_key_fails_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "prospector.toml").write_text('[fetch]\ntimeout_s = 5\nuser_agnt = "x"\n')
    result = prospector("doctor", "--no-browser", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: prospector.toml:3: fetch.user_agnt: unknown key (did you mean 'user_agent'?)"
    ]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "prospector.toml").write_text("databse = 1\n")
    result = prospector("doctor", cwd=tmp_path, env={"PROSPECTOR_DEBUG": "1"})
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    result = prospector("doctor", "--no-such-flag", cwd=tmp_path)
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_init_writes_starter_files_and_database_then_keeps_them(tmp_path: Path) -> None:
    work = tmp_path / "outreach"
    first = prospector("init", str(work))
    assert first.returncode == 0, first.stderr
    for path in (
        "prospector.toml",
        "campaigns/example.toml",
        "templates/broken_link.j2",
        "prospector.db",
    ):
        assert (work / path).is_file(), path
    (work / "campaigns" / "example.toml").write_text(
        "# mine\n" + (work / "campaigns" / "example.toml").read_text()
    )
    second = prospector("init", str(work))
    assert second.returncode == 0
    assert "kept" in second.stdout
    assert (work / "campaigns" / "example.toml").read_text().startswith("# mine")
    doctor = prospector("doctor", "--json", "--no-browser", cwd=work)
    report = json.loads(doctor.stdout)
    assert doctor.returncode == 0, doctor.stdout
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["campaigns"]["status"] == "ok" and "example" in checks["campaigns"]["detail"]
    assert checks["database"]["status"] == "ok"
    assert checks["smtp"]["status"] == checks["imap"]["status"] == "skip"


def test_doctor_reports_an_invalid_campaign_and_fails(tmp_path: Path) -> None:
    assert prospector("init", str(tmp_path)).returncode == 0
    (tmp_path / "campaigns" / "broken.toml").write_text('name = "broken"\n')
    result = prospector("doctor", "--json", "--no-browser", cwd=tmp_path)
    assert result.returncode == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["campaigns"]["status"] == "fail"
    assert "broken.toml" in checks["campaigns"]["detail"]


def test_a_corrupt_database_is_one_line_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "prospector.db").write_bytes(b"garbage" * 500)
    result = prospector("doctor", "--json", "--no-browser", cwd=tmp_path)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert result.returncode == 1
    assert "not a usable Prospector database" in checks["database"]["detail"]
    assert (tmp_path / "prospector.db").read_bytes() == b"garbage" * 500


@pytest.mark.browser
def test_doctor_json_reports_the_browser_working(tmp_path: Path) -> None:
    result = prospector("doctor", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["browser"]["status"] == "ok"
    assert "probe page loaded" in checks["browser"]["detail"]


@pytest.mark.browser
def test_doctor_reports_a_missing_browser_binary(tmp_path: Path) -> None:
    (tmp_path / "prospector.toml").write_text(
        '[browser]\nexecutable_path = "/nonexistent/chrome"\n'
    )
    result = prospector("doctor", "--json", cwd=tmp_path)
    assert result.returncode == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["browser"]["status"] == "fail"
    assert "/nonexistent/chrome not found" in checks["browser"]["detail"]
