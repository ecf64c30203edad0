"""Bad command-line arguments, and the harness every bad-input test shares.

Every case runs the real ``prospector`` command (``prospector.cli.main.run``, the console
script's entry point and the one error boundary; a subset also as a separate process) in a
copy of a workspace whose database holds real state: prospects with drafts, an approved
pitch, a suppressed domain, an earned link, imported backlinks and a syndicated copy. Each
case must exit non-zero with exactly one line, ``error: ...``, naming what is wrong, print
no traceback, and write nothing: the database's logical dump and every other file in the
workspace are the same afterwards, and no file appears.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from prospector.campaigns import load_campaign
from prospector.cli.main import run
from prospector.config import load_settings
from prospector.discover.imports import import_backlinks
from prospector.outreach import suppression
from prospector.outreach.drafts import draft_campaign
from prospector.outreach.review import approve
from prospector.store import open_db
from prospector.verify.placements import add_link
from prospector.verify.syndication import add_copy
from tests.outreach_world import POSTAL, ROOT, seed

CAMPAIGN = """\
name = "example"
description = "Earn links to our composting guides."
keywords = ["composting", "compost bin"]
opportunity_types = ["broken_link", "resource_page", "guest_post"]

[[targets]]
url = "https://soilsmith.example/guides/hot-composting"
title = "The complete guide to hot composting"
summary = "How to build and turn a hot compost pile."

[[targets]]
url = "https://soilsmith.example/guides/vermicomposting-apartments"
title = "Vermicomposting in a small apartment"
summary = "Keeping a worm bin indoors."

[limits]
max_depth = 2

[[followups]]
after_days = 5
template = "followup_1.j2"
"""
CONFIG = f"""\
[smtp]
host = "127.0.0.1"
port = 9
security = "none"

[sender]
name = "Sam Rivera"
email = "outreach@soilsmith.example"
organisation = "Soilsmith"
postal_address = "{POSTAL}"
timezone = "UTC"

[sending]
window = "00:00-23:59"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
min_gap_s = 0.0
jitter_s = 0.0
"""
GOOD_CSV = (
    b"Referring page URL,Target URL,Anchor\n"
    b"https://gardenhaven.example/links,https://soilsmith.example/guides/hot-composting,compost\n"
    b"https://wormfarm.example/blog,https://soilsmith.example/,worms\n"
)
NEW_CSV = b"Referring page URL,Target URL\nhttps://new.example/page,https://soilsmith.example/\n"


def build_world(work: Path) -> Path:
    """A workspace with a config, a campaign, the shipped templates and a database in use."""
    (work / "campaigns").mkdir(parents=True)
    (work / "campaigns" / "example.toml").write_text(CAMPAIGN)
    shutil.copytree(ROOT / "templates", work / "templates")
    (work / "prospector.toml").write_text(CONFIG)
    settings = load_settings(work / "prospector.toml", env={})
    ids = seed(settings)
    campaign = load_campaign(settings.campaigns_dir / "example.toml", settings.templates_dir)
    with open_db(settings.database) as store:
        draft_campaign(settings, campaign, store)
    approve(settings, ids[:1], actor="rita")
    suppression.add(settings, ["spam.example"], reason="asked", actor="rita")
    add_link(
        settings,
        "https://gardenhaven.example/resources",
        target="https://soilsmith.example/guides/hot-composting",
        campaign="example",
        actor="rita",
    )
    (work / "backlinks.csv").write_bytes(GOOD_CSV)
    import_backlinks(settings, work / "backlinks.csv", "example")
    add_copy(
        settings,
        "https://greennewswire.example/stories/hot-composting",
        original="https://soilsmith.example/guides/hot-composting",
        actor="rita",
    )
    (work / "new.csv").write_bytes(NEW_CSV)
    return work


def logical_dump(database: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def files(work: Path) -> dict[str, str]:
    """Every path in the workspace with its content's hash. The database is compared by its
    logical dump instead; its -wal and -shm files come and go with connections."""
    out = {}
    for path in sorted(work.rglob("*")):
        rel = str(path.relative_to(work))
        if path.is_dir():
            out[rel] = "dir"
        elif path.name in ("prospector.db-wal", "prospector.db-shm"):
            continue
        elif path.name == "prospector.db":
            out[rel] = "database"
        else:
            with contextlib.suppress(PermissionError):  # a chmod 000 file: its presence
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            out.setdefault(rel, "unreadable")
    return out


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return (self.stdout + self.stderr).splitlines()


Setup = Callable[[Path], object]


class Workspace:
    """A fresh copy of the world for one case, and the command run in it."""

    def __init__(self, world: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        shutil.copytree(world, work)
        self.path = work
        self.monkeypatch = monkeypatch

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data)
        else:
            path.write_bytes(data)
        return path

    def replace(self, name: str, old: str, new: str) -> None:
        path = self.path / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1))

    def run(self, argv: list[str], env: dict[str, str] | None = None) -> Outcome:
        """``prospector ARGV`` in this process, as the console script runs it."""
        self.monkeypatch.chdir(self.path)
        for name in [n for n in os.environ if n.startswith("PROSPECTOR_")]:
            self.monkeypatch.delenv(name)
        for name, value in (env or {}).items():
            self.monkeypatch.setenv(name, value)
        out, err = _Capture(), _Capture()
        with self.monkeypatch.context() as patch:
            patch.setattr(sys, "stdout", out)
            patch.setattr(sys, "stderr", err)
            try:
                run(argv)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        return Outcome(code, out.getvalue(), err.getvalue())

    def run_process(
        self, argv: list[str], *, drop_root: bool = False, env: dict[str, str] | None = None
    ) -> Outcome:
        """``python -m prospector ARGV`` as a separate process; ``drop_root`` takes away the
        capabilities that let root read any file, so a mode-000 file is unreadable to it."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTOR_")}
        full_env.update(env or {})
        prefix: list[str] = []
        if drop_root and os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root without setpriv: root reads a mode-000 file")
            caps = "-dac_override,-dac_read_search"
            prefix = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "prospector", *argv],
            cwd=self.path,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)


class _Capture:
    """A text stream that is not a terminal (so rich prints plain text), kept in memory."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.encoding = "utf-8"

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("not a real file")

    def getvalue(self) -> str:
        return "".join(self._parts)


@contextlib.contextmanager
def unchanged(ws: Workspace) -> Iterator[None]:
    """Assert that what runs inside writes nothing: same database, same files, no new ones."""
    database = ws.path / "prospector.db"
    before_db, before_files = logical_dump(database), files(ws.path)
    yield
    assert files(ws.path) == before_files, "files in the workspace changed"
    assert logical_dump(database) == before_db, "the database changed"


def assert_refused(outcome: Outcome, *fragments: str, code: int = 2) -> str:
    """One line, ``error: ...`` with every fragment, no traceback, the expected exit code."""
    assert "Traceback" not in outcome.stdout + outcome.stderr
    assert outcome.code == code, outcome.lines
    assert len(outcome.lines) == 1, outcome.lines
    line = outcome.lines[0]
    assert line.startswith("error: "), line
    assert "internal error" not in line, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("world") / "ws")


@pytest.fixture
def ws(world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    return Workspace(world, tmp_path / "ws", monkeypatch)


# -- bad arguments --------------------------------------------------------------------------

ARGUMENTS: list[tuple[list[str], int, tuple[str, ...]]] = [
    # unknown commands and options, missing and malformed values (click's usage errors)
    (["nosuchcommand"], 2, ("No such command 'nosuchcommand'", "prospector --help")),
    (["doctor", "--no-such-flag"], 2, ("prospector doctor: No such option: --no-such-flag",)),
    (["--config"], 2, ("Option '--config' requires an argument",)),
    (["--config", "campaigns", "prospects"], 2, ("'campaigns' is a directory",)),
    (["--config", "nope.toml", "prospects"], 2, ("nope.toml: config file not found",)),
    (["show"], 2, ("prospector show: Missing argument 'ID'",)),
    (["show", "abc"], 2, ("Invalid value for 'ID'", "valid integer")),
    (["show", "0"], 2, ("Invalid value for 'ID'",)),
    (["show", "-1"], 2, ("No such option: -1",)),
    (["show", "99999999999999999999999"], 2, ("Invalid value for 'ID'",)),
    (["links", "show", "99999999999999999999999"], 2, ("Invalid value for 'ID'",)),
    (["resolve", "99999999999999999999999", "--sent"], 2, ("Invalid value for 'ID'",)),
    (["reject", "2"], 2, ("Missing option '--reason'",)),
    (["send", "--limit", "0"], 2, ("Invalid value for '--limit'",)),
    (["send", "--limit", "-1"], 2, ("Invalid value for '--limit'",)),
    (["audit", "--placements", "--max-pages", "0"], 2, ("Invalid value for '--max-pages'",)),
    (["prospects", "--type", "nope"], 2, ("--type", "broken_link")),
    (["prospects", "--state", "nope"], 2, ("'nope' is not a state", "drafted")),
    (["outbox", "--state", "nope"], 2, ("'nope' is not a state", "needs_review")),
    (["links", "--state", "nope"], 2, ("--state nope: use one of pending",)),
    (["prospects", "--min-score", "nan"], 2, ("--min-score", "not a score")),
    (["approve", "--all-above", "inf"], 2, ("--all-above", "not a score")),
    (["init", "prospector.toml"], 2, ("'prospector.toml' is a file",)),
    (["inspect", "email", "campaigns"], 2, ("campaigns: cannot read: Is a directory",)),
    (["report", "--html", "campaigns"], 2, ("'campaigns' is a directory",)),
    (["inspect", "page", "http://[::1", "--no-render"], 2, ("URL 'http://[::1': malformed URL",)),
    (["init", "/proc/no-such-process/x"], 2, ("cannot set up here",)),
    # unknown ids
    (["show", "999"], 2, ("no prospect #999",)),
    (["edit", "999"], 2, ("no prospect #999",)),
    (["placed", "999", "https://gardenhaven.example/x"], 2, ("no prospect #999",)),
    (["links", "show", "999"], 2, ("no placement #999",)),
    (["resolve", "999", "--sent"], 2, ("no message #999",)),
    # bad dates
    (["prospects", "--since", "yesterday"], 2, ("--since yesterday: use 'today'",)),
    (["prospects", "--since", "2026-13-45"], 2, ("--since 2026-13-45",)),
    (["prospects", "--since", "99999999d"], 2, ("--since 99999999d: too far back",)),
    (["report", "--since", "2026-02-30"], 2, ("--since 2026-02-30",)),
    (["report", "--since", "99999999d"], 2, ("--since 99999999d",)),
    # conflicting or missing options
    (["prospects", "--json", "--csv"], 2, ("choose one of --json and --csv",)),
    (["approve", "1", "--all-above", "50"], 2, ("one of the two",)),
    (["approve"], 2, ("give prospect ids or --all-above",)),
    (["approve", "2", "--campaign", "example"], 2, ("--campaign goes with --all-above",)),
    (["agent", "--once", "send", "--list"], 2, ("--once and --list do not go together",)),
    (["agent", "--once", "nope"], 2, ("no job 'nope'",)),
    (["audit"], 2, ("give a backlink export FILE or --placements",)),
    (["audit", "x.csv", "--placements"], 2, ("one of them",)),
    (["audit", "--placements", "--confirm", "a.example"], 2, ("need --disavow",)),
    (["resolve", "1"], 2, ("say --sent or --not-sent",)),
    (["resolve", "1", "--sent"], 2, ("message #1 is approved, not awaiting a decision",)),
    (["reject", "2", "--reason", " "], 2, ("--reason is required",)),
    (["suppress"], 2, ("give EMAIL or DOMAIN values, or --list",)),
    (["suppress", "--list", "a@b.example"], 2, ("--list takes no addresses",)),
    (["suppress", "not an address!"], 2, ("neither an email address nor a domain",)),
    (["import", "ranks", "x.csv", "--list", " "], 2, ("--list: the list name must not be empty",)),
    # unknown campaigns, wherever a command takes one
    (["run", "nope"], 2, ("no campaign 'nope'", "known: example")),
    (["run", "../prospector"], 2, ("no campaign '../prospector'", "known: example")),
    (["prospects", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    (["prospects", "--campaign", "x\ny"], 2, ("no campaign 'x\\ny'",)),
    (["run", "a\x1b[31mb\rc"], 2, ("no campaign 'a\\x1b[31mb\\rc'",)),
    (["outbox", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    (["send", "--dry-run", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    (["approve", "--all-above", "10", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    (["links", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    (["syndication", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    (["verify", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    (["audit", "--placements", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    (["import", "backlinks", "new.csv", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    (["links", "import", "new.csv", "--campaign", "nope"], 2, ("no campaign 'nope'",)),
    # bad URLs and values for records that would be written
    (["placed", "1", "not a url"], 2, ("URL 'not a url'",)),
    (["placed", "1", "https://a.example:0/x"], 2, ("port 0",)),
    (
        ["links", "add", "https://a..example/", "--target", "https://soilsmith.example/"],
        2,
        ("'a..example' is not a valid host name",),
    ),
    (
        ["links", "add", "https://a.example/", "--target", "javascript:alert(1)"],
        2,
        ("--target 'javascript:alert(1)'",),
    ),
    (["syndication", "add", "https://c.example/", "--original", "x"], 2, ("--original 'x'",)),
    (
        [
            "syndication",
            "add",
            "https://c.example/",
            "--original",
            "https://soilsmith.example/",
            "--require",
            "nope",
        ],
        2,
        ("--require nope",),
    ),
]


@pytest.mark.parametrize(
    ("argv", "code", "fragments"), ARGUMENTS, ids=[" ".join(argv) for argv, _, _ in ARGUMENTS]
)
def test_bad_arguments_are_one_line_and_write_nothing(
    ws: Workspace, argv: list[str], code: int, fragments: tuple[str, ...]
) -> None:
    with unchanged(ws):
        outcome = ws.run(argv)
    assert_refused(outcome, *fragments, code=code)


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        ({"PROSPECTOR_FETCH__TIMEOUT_S": "fast"}, ("PROSPECTOR_FETCH__TIMEOUT_S", "number")),
        ({"PROSPECTOR_FETCH__HEAD_FIRST": "yes"}, ("PROSPECTOR_FETCH__HEAD_FIRST", "true or")),
        ({"PROSPECTOR_NOSUCH": "1"}, ("PROSPECTOR_NOSUCH: unknown setting",)),
        ({"PROSPECTOR_FETCH__": "1"}, ("malformed variable name",)),
        ({"PROSPECTOR_SENDER__TIMEZONE": "Mars/Olympus"}, ("is not a time zone",)),
        ({"PROSPECTOR_CONFIG": "nope.toml"}, ("nope.toml: config file not found",)),
        ({"PROSPECTOR_CONFIG": "templates"}, ("templates: is a directory, not a config file",)),
    ],
)
def test_bad_environment_overrides_are_one_line_and_write_nothing(
    ws: Workspace, env: dict[str, str], fragments: tuple[str, ...]
) -> None:
    with unchanged(ws):
        outcome = ws.run(["suppress", "new@fresh.example"], env=env)
    assert_refused(outcome, *fragments)


def test_the_same_commands_with_good_values_do_write(ws: Workspace) -> None:
    """The control: the harness sees a write when there is one."""
    with pytest.raises(AssertionError, match="the database changed"), unchanged(ws):
        assert ws.run(["suppress", "new@fresh.example"]).code == 0
    with pytest.raises(AssertionError, match="the database changed"), unchanged(ws):
        assert ws.run(["import", "backlinks", "new.csv", "--campaign", "example"]).code == 0
    with pytest.raises(AssertionError, match="files in the workspace changed"), unchanged(ws):
        assert ws.run(["report", "--html", "report.html"]).code == 0


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["doctor", "--no-such-flag"], ("No such option: --no-such-flag",)),
        (["show", "99999999999999999999999"], ("Invalid value for 'ID'",)),
        (["prospects", "--since", "99999999d"], ("too far back",)),
        (["run", "../prospector"], ("no campaign '../prospector'",)),
    ],
)
def test_a_separate_process_gives_the_same_one_line(
    ws: Workspace, argv: list[str], fragments: tuple[str, ...]
) -> None:
    with unchanged(ws):
        outcome = ws.run_process(argv)
    assert_refused(outcome, *fragments)


def test_debug_shows_the_traceback_of_a_bad_argument(ws: Workspace) -> None:
    outcome = ws.run_process(["prospects", "--campaign", "nope"])
    assert_refused(outcome, "no campaign 'nope'")
    debug = ws.run_process(["prospects", "--campaign", "nope"], env={"PROSPECTOR_DEBUG": "1"})
    assert "Traceback" in debug.stderr and "CampaignError" in debug.stderr
