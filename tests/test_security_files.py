"""File permissions: what holds contacts, mail or state is private to its owner — the database
and its -wal/-shm (0600), the outbox and its .eml files, reports, exports, the disavow file,
the agent's lock (0600 files, 0700 folders) — even under a umask of 0, where anything left
to the umask would be world-writable. The disavow file cannot be steered by audit reasons."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from prospector.audit.disavow import DisavowEntry, write_disavow
from prospector.store import open_db

ROOT = Path(__file__).resolve().parent.parent

_DRIVER = r"""
import json, os, stat, sys
from datetime import UTC, datetime
from pathlib import Path
from prospector.audit.disavow import DisavowEntry, write_disavow
from prospector.outreach.review import approve
from prospector.outreach.sender import send
from prospector.report.job import produce, write_daily_report
from prospector.store import open_db
from tests.mailservers import SmtpSink
from tests.outreach_world import outreach_settings
from tests.test_outreach_send import drafted

work = Path(sys.argv[1])
with SmtpSink() as sink:
    settings = outreach_settings(work / "setup", sink.port).model_copy(update={
        "database": work / "data" / "deep" / "prospector.db",
        "outbox_dir": work / "mail" / "deep" / "outbox",
        "reports_dir": work / "out" / "deep" / "reports",
    })
    ids = drafted(settings)
    approve(settings, ids, actor="tester")
    send(settings, dry_run=True)
    send(settings)
with open_db(settings.database) as store:  # held open: its -wal and -shm exist now
    store.add_event("test", "1", "umask", "tester", {})
    lock = store.agent_lock().acquire()
    modes = {str(p.relative_to(work)): stat.S_IMODE(p.stat().st_mode)
             for p in sorted(work.rglob("*")) if "setup" not in p.parts}
    lock.release()
write_daily_report(settings, now=datetime(2026, 5, 4, tzinfo=UTC))
produce(settings, since="30d", html=work / "r.html", csv_prospects=work / "p.csv",
        csv_links=work / "l.csv")
write_disavow(work / "disavow.txt", [DisavowEntry("spam.example", True, "toxic", ())])
for p in sorted(work.rglob("*")):
    if "setup" not in p.parts and str(p.relative_to(work)) not in modes:
        modes[str(p.relative_to(work))] = stat.S_IMODE(p.stat().st_mode)
print(json.dumps(modes))
"""


def test_everything_private_is_created_private_even_under_umask_0(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        umask=0,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    modes = json.loads(done.stdout.splitlines()[-1])
    expected = {
        "data": 0o700, "data/deep": 0o700, "data/deep/prospector.db": 0o600,
        "data/deep/prospector.db-wal": 0o600, "data/deep/prospector.db-shm": 0o600,
        "data/deep/prospector.db.agent.lock": 0o600,
        "mail": 0o700, "mail/deep": 0o700, "mail/deep/outbox": 0o700,
        "out": 0o700, "out/deep": 0o700, "out/deep/reports": 0o700,
        "out/deep/reports/report-2026-05-04.html": 0o600,
        "r.html": 0o600, "p.csv": 0o600, "l.csv": 0o600, "disavow.txt": 0o600,
    }  # fmt: skip
    assert {name: oct(modes.get(name, 0)) for name in expected} == {
        name: oct(mode) for name, mode in expected.items()
    }
    emls = [name for name in modes if name.endswith(".eml")]
    assert len(emls) == 3 and all(modes[name] == 0o600 for name in emls)
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes  # nothing else leaks


def under_umask_0(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``prospector ARGS`` in a fresh process whose umask grants everyone everything."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTOR_")}
    return subprocess.run(
        [sys.executable, "-m", "prospector", *args],
        cwd=cwd,
        env={**clean, **env},
        umask=0,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_creates_a_private_database_under_umask_0(tmp_path: Path) -> None:
    database = tmp_path / "new" / "place" / "prospector.db"
    done = under_umask_0(tmp_path, "prospects", "--json", PROSPECTOR_DATABASE=str(database))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.parent.parent.stat().st_mode) == 0o700


def test_init_under_umask_0_leaves_nothing_others_can_write(tmp_path: Path) -> None:
    done = under_umask_0(tmp_path, "init", str(tmp_path / "work"))
    assert done.returncode == 0, done.stderr
    made = [tmp_path / "work", *(tmp_path / "work").rglob("*")]
    assert len(made) > 5
    writable = [str(p) for p in made if stat.S_IMODE(p.stat().st_mode) & 0o022]
    assert writable == []


def test_an_existing_database_others_could_read_is_closed_to_them(tmp_path: Path) -> None:
    path = tmp_path / "prospector.db"
    open_db(path).close()
    path.chmod(0o666)
    with open_db(path) as store:
        store.add_event("test", "1", "x", "tester", {})
        wal = path.with_name(path.name + "-wal")
        assert stat.S_IMODE(wal.stat().st_mode) & 0o007 == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o660  # the group keeps what it had


def test_an_existing_disavow_file_keeps_its_mode_and_a_new_one_is_private(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared.txt"
    shared.write_text("domain:old.example\n")
    shared.chmod(0o640)
    write_disavow(shared, [DisavowEntry("spam.example", True, "toxic", ())])
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640
    assert "domain:old.example" in shared.read_text()


def test_audit_reasons_cannot_add_lines_to_the_disavow_file(tmp_path: Path) -> None:
    """Reasons come from the linking pages; a line break in one must not become a
    ``domain:`` line of its own (that would disavow a site we never chose)."""
    reasons = (
        "anchor 'x\ndomain:google.com'",
        "x\rdomain:wikipedia.org",
        "x\u2028domain:github.com",
        "x\x85domain:python.org",
        "x\u2029domain:mozilla.org",
    )
    path = tmp_path / "disavow.txt"
    write_disavow(path, [DisavowEntry("spam.example", True, "toxic\ndomain:bbc.co.uk", reasons)])
    lines = path.read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if line.strip() and not line.startswith("#")]
    assert entries == ["domain:spam.example"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
