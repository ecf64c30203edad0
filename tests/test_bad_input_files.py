"""Malformed config, campaign and template files: one line naming the file, the line and the
key, a non-zero exit, and nothing written (see ``tests/test_bad_input.py`` for the harness).

The commands run are ones that write when their input is good (``suppress``, ``import
backlinks``), so "nothing written" is a real test of the refusal coming first.
"""

from __future__ import annotations

import pytest

from tests.test_bad_input import Workspace, assert_refused, unchanged
from tests.test_bad_input import world as world  # the shared workspace fixture
from tests.test_bad_input import ws as ws

SUPPRESS = ["suppress", "new@fresh.example"]
IMPORT = ["import", "backlinks", "new.csv", "--campaign", "example"]
NESTED = b"a = " + b"[" * 50_000 + b"]" * 50_000 + b"\n"
HUGE = b"# a comment line of a file far larger than any config\n" * 200_000

CONFIGS: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("unclosed table", b"[fetch\ntimeout_s = 5\n", ("prospector.toml: invalid TOML", "line 1")),
    ("missing value", b"[fetch]\ntimeout_s = \n", ("prospector.toml: invalid TOML", "line 2")),
    ("table twice", b"[fetch]\n[fetch]\n", ("invalid TOML: Cannot declare ('fetch',) twice",)),
    ("string for a number", b'[fetch]\ntimeout_s = "fast"\n',
     ("prospector.toml:2: fetch.timeout_s: Input should be a valid number", '"fast"')),
    ("quoted number", b'[fetch]\nretries = "2"\n', ("prospector.toml:2: fetch.retries",)),
    ("boolean for a port", b"[smtp]\nport = true\n",
     ("prospector.toml:2: smtp.port: Input should be a valid integer, not a boolean",)),
    ("number for a boolean", b"[browser]\nheadless = 1\n",
     ("prospector.toml:2: browser.headless: Input should be true or false",)),
    ("value for a section", b"fetch = 5\n", ("prospector.toml:1: fetch:",)),
    ("array for a string", b'[sender]\nname = ["Sam"]\n', ("prospector.toml:2: sender.name",)),
    ("unknown key", b'databse = "x.db"\n',
     ("prospector.toml:1: databse: unknown key (did you mean 'database'?)",)),
    ("unknown nested key", b'[fetch]\ntimeout_s = 5\nuser_agnt = "x"\n',
     ("prospector.toml:3: fetch.user_agnt: unknown key (did you mean 'user_agent'?)",)),
    ("unknown section", b"[fecth]\ntimeout_s = 1\n",
     ("prospector.toml:1: fecth: unknown key (did you mean 'fetch'?)",)),
    ("unknown dotted key", b"\nx.y.z = 1\n", ("prospector.toml:2: x: unknown key",)),
    ("unknown table key", b"[authority]\nweights = {nope = 1}\n",
     ("prospector.toml:2: authority.weights.nope: not a valid key",)),
    ("too many redirects", b"[fetch]\nmax_redirects = 99\n",
     ("prospector.toml:2: fetch.max_redirects: Input should be less than or equal to 50",)),
    ("port out of range", b"[smtp]\nport = 70000\n", ("prospector.toml:2: smtp.port",)),
    ("negative retries", b"[fetch]\nretries = -1\n", ("prospector.toml:2: fetch.retries",)),
    ("infinite timeout", b"[fetch]\ntimeout_s = inf\n",
     ("prospector.toml:2: fetch.timeout_s: Input should be a finite number",)),
    ("nan gap", b"[sending]\nmin_gap_s = nan\n", ("prospector.toml:2: sending.min_gap_s",)),
    ("unknown time zone", b'[sender]\ntimezone = "Mars/Olympus"\n',
     ("prospector.toml:2: sender.timezone: 'Mars/Olympus' is not a time zone",)),
    ("path as time zone", b'[schedule]\ntimezone = "../../etc/passwd"\n',
     ("prospector.toml:2: schedule.timezone",)),
    ("cron minute 61", b'[schedule]\nsend = "61 * * * *"\n',
     ("prospector.toml:2: schedule.send: '61 * * * *' is not a cron expression",)),
    ("cron of 4 fields", b'[schedule]\nverify = "* * * *"\n', ("it has 4 fields, not 5",)),
    ("cron weekday number", b'[schedule]\nreport = "0 9 * * 1-5"\n', ("use names (mon-fri",)),
    ("cron weekday typo", b'[schedule]\nreplies = "0 9 * * monday"\n',
     ("prospector.toml:2: schedule.replies",)),
    ("send window", b'[sending]\nwindow = "25:00-26:00"\n',
     ("prospector.toml:2: sending.window: '25:00-26:00' is not a window",)),
    ("no send days", b"[sending]\ndays = []\n", ("prospector.toml:2: sending.days: at least one",)),
    ("unknown weekday", b'[sending]\ndays = ["funday"]\n', ("prospector.toml:2: sending.days",)),
    ("sender address", b'[sender]\nemail = "not-an-email"\n',
     ("prospector.toml:2: sender.email: address 'not-an-email' is not an email address",)),
    ("NUL in a path", b'database = "a\\u0000b.db"\n',
     ("prospector.toml:1: database: a path must not contain control characters",)),
    ("resolve target", b'[network.resolve]\n"a.example" = "not-an-ip"\n',
     ("prospector.toml:1: network.resolve: 'not-an-ip' is not IP, IP:PORT or NXDOMAIN",)),
    ("nested arrays", NESTED, ("prospector.toml: invalid TOML: arrays or tables nested too deeply",)),
    ("Latin-1 bytes", b"[sender]\nname = '\xe9t\xe9'\n", ("prospector.toml: not UTF-8 text",)),
    ("UTF-16", "[fetch]\ntimeout_s = 5\n".encode("utf-16"), ("prospector.toml: not UTF-8 text",)),
    ("PNG", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("prospector.toml: not UTF-8 text",)),
    ("NUL bytes", b"\x00\x01\x02\x03", ("prospector.toml: invalid TOML",)),
    ("huge", HUGE, ("prospector.toml: too large for a TOML file",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "fragments"), [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS]
)
def test_a_malformed_config_is_one_line_naming_file_line_and_key(
    ws: Workspace, data: bytes, fragments: tuple[str, ...]
) -> None:
    ws.write("prospector.toml", data)
    with unchanged(ws):
        outcome = ws.run(SUPPRESS)
    assert_refused(outcome, *fragments)


def test_a_secret_in_the_config_is_refused_without_repeating_it(ws: Workspace) -> None:
    ws.write("prospector.toml", b'[smtp]\nhost = "mail"\npassword = "hunter2"\n')
    with unchanged(ws):
        outcome = ws.run(SUPPRESS)
    line = assert_refused(outcome, "prospector.toml:3: smtp.password: secrets are never read")
    assert "hunter2" not in line


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--config", "missing.toml", *SUPPRESS], ("missing.toml: config file not found",)),
        (["--config", "templates", *SUPPRESS], ("'templates' is a directory",)),
        (SUPPRESS, ("prospector.toml: is a directory, not a config file",)),
    ],
    ids=["missing", "directory given", "directory found"],
)
def test_a_config_that_is_missing_or_a_directory_is_one_line(
    ws: Workspace, argv: list[str], fragments: tuple[str, ...]
) -> None:
    (ws.path / "prospector.toml").unlink()
    (ws.path / "prospector.toml").mkdir()
    with unchanged(ws):
        outcome = ws.run(argv)
    assert_refused(outcome, *fragments)


def test_an_outbox_that_is_a_file_is_one_line_before_anything_is_sent(ws: Workspace) -> None:
    ws.write("outbox", "not a folder")
    with unchanged(ws):
        outcome = ws.run(["send", "--dry-run"])
    assert_refused(outcome, "outbox: outbox_dir is not a folder")


def test_a_utf8_byte_order_mark_in_the_config_is_accepted(ws: Workspace) -> None:
    config = ws.path / "prospector.toml"
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    assert ws.run(["outbox", "--json"]).code == 0


CAMPAIGN = "campaigns/example.toml"
CAMPAIGN_EDITS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("unclosed table", "[limits]", "[limits", ("example.toml: invalid TOML", "line 16")),
    ("string for a number", "max_depth = 2", 'max_depth = "deep"',
     ("example.toml:17: limits.max_depth: Input should be a valid integer",)),
    ("boolean for a number", "max_depth = 2", "max_depth = true",
     ("example.toml:17: limits.max_depth", "not a boolean")),
    ("string for a list", 'keywords = ["composting", "compost bin"]', 'keywords = "composting"',
     ("example.toml:3: keywords: Input should be a valid list",)),
    ("unknown key", "max_depth = 2", "max_dpeth = 2",
     ("example.toml:17: limits.max_dpeth: unknown key (did you mean 'max_depth'?)",)),
    ("out of range", "max_depth = 2", "max_depth = 99",
     ("example.toml:17: limits.max_depth: Input should be less than or equal to 10",)),
    ("zero days", "after_days = 5", "after_days = 0",
     ("example.toml:20: followups[0].after_days",)),
    ("name of another file", 'name = "example"', 'name = "other"',
     ("example.toml:1: name: 'other' must match the file name 'example.toml'",)),
    ("javascript URL", 'url = "https://soilsmith.example/guides/hot-composting"',
     'url = "javascript:alert(1)"',
     ("example.toml:7: targets[0].url: 'javascript:alert(1)' is not an absolute http(s) URL",)),
    ("URL with a space and a bad port", 'url = "https://soilsmith.example/guides/hot-composting"',
     'url = "http://exa mple.com:99999/"', ("example.toml:7: targets[0].url",)),
    ("empty host label", 'url = "https://soilsmith.example/guides/hot-composting"',
     'url = "https://soilsmith..example/x"', ("example.toml:7: targets[0].url", "host name")),
    ("unknown opportunity type", '["broken_link", "resource_page", "guest_post"]',
     '["link_exchange"]', ("example.toml:4: opportunity_types[0]",)),
    ("NUL in a template name", 'template = "followup_1.j2"', 'template = "a\\u0000.j2"',
     ("example.toml:21: followups[0].template: a template file name must not contain",)),
    ("bad regex", "[limits]", '[exclusions]\nurl_patterns = ["(unclosed"]\n[limits]',
     ("example.toml:17: exclusions.url_patterns: '(unclosed' is not a regular expression",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "fragments"), [c[1:] for c in CAMPAIGN_EDITS], ids=[c[0] for c in CAMPAIGN_EDITS]
)
def test_a_malformed_campaign_is_one_line_naming_file_line_and_key(
    ws: Workspace, old: str, new: str, fragments: tuple[str, ...]
) -> None:
    ws.replace(CAMPAIGN, old, new)
    with unchanged(ws):
        outcome = ws.run(IMPORT)
    assert_refused(outcome, *fragments)


CAMPAIGN_FILES: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("empty", b"", ("example.toml: the campaign is empty",)),
    ("only comments", b"# nothing yet\n\n", ("example.toml: the campaign is empty",)),
    ("Latin-1 bytes", b"name = 'caf\xe9'\n", ("example.toml: not UTF-8 text",)),
    ("UTF-16", 'name = "example"\n'.encode("utf-16"), ("example.toml: not UTF-8 text",)),
    ("ELF binary", b"\x7fELF\x02\x01\x01\x00\x00", ("example.toml: invalid TOML",)),
    ("nested arrays", NESTED, ("example.toml: invalid TOML: arrays or tables nested too deeply",)),
    ("huge", HUGE, ("example.toml: too large for a TOML file",)),
]


@pytest.mark.parametrize(
    ("data", "fragments"), [c[1:] for c in CAMPAIGN_FILES], ids=[c[0] for c in CAMPAIGN_FILES]
)
def test_a_campaign_file_that_is_not_a_campaign_is_one_line(
    ws: Workspace, data: bytes, fragments: tuple[str, ...]
) -> None:
    ws.write(CAMPAIGN, data)
    with unchanged(ws):
        outcome = ws.run(IMPORT)
    assert_refused(outcome, *fragments)


def test_a_campaign_that_is_a_directory_is_one_line(ws: Workspace) -> None:
    (ws.path / CAMPAIGN).unlink()
    (ws.path / CAMPAIGN).mkdir()
    with unchanged(ws):
        outcome = ws.run(IMPORT)
    assert_refused(outcome, "example.toml: is a directory, not a campaign file")


TEMPLATE = "templates/resource_page.j2"
TEMPLATES: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("empty", b"", ("resource_page.j2:1: empty; the first line must be 'Subject: ...'",)),
    ("no subject", b"Hello {{ contact.name }}\n", ("resource_page.j2:1: the first line must",)),
    ("syntax error", b"Subject: hi\n\n{{ page.title ", ("resource_page.j2:3: syntax error",)),
    ("misspelt variable", b"Subject: hi\n\n{{ pgae.title }}\n",
     ("resource_page.j2:3: unknown variable 'pgae' (did you mean 'page'?)",)),
    ("unknown filter", b"Subject: hi\n\n{{ page.title|shout }}\n", ("resource_page.j2:3:",)),
    ("leftover placeholder", b"Subject: hi\n\nDear [Name],\n", ("resource_page.j2:3:",)),
    ("Latin-1 bytes", b"Subject: caf\xe9\n\nhi\n", ("resource_page.j2: cannot read",)),
    ("binary", b"\x00\x01\x02\x03binary", ("resource_page.j2:1: the first line must",)),
    ("nested blocks", b"Subject: hi\n\n" + b"{% if 1 %}" * 3000 + b"x" + b"{% endif %}" * 3000,
     ("resource_page.j2: blocks or expressions nested too deeply",)),
    ("nested brackets", b"Subject: hi\n\n{{ " + b"(" * 3000 + b"1" + b")" * 3000 + b" }}",
     ("resource_page.j2",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "fragments"), [c[1:] for c in TEMPLATES], ids=[c[0] for c in TEMPLATES]
)
def test_a_malformed_template_is_refused_when_the_campaign_loads(
    ws: Workspace, data: bytes, fragments: tuple[str, ...]
) -> None:
    ws.write(TEMPLATE, data)
    with unchanged(ws):
        outcome = ws.run(IMPORT)
    assert_refused(outcome, *fragments)


def test_a_missing_template_or_a_directory_in_its_place_is_one_line(ws: Workspace) -> None:
    (ws.path / TEMPLATE).unlink()
    with unchanged(ws):
        outcome = ws.run(IMPORT)
    assert_refused(outcome, "example.toml: templates: not found in", "resource_page.j2")
    (ws.path / TEMPLATE).mkdir()
    with unchanged(ws):
        outcome = ws.run(IMPORT)
    assert_refused(outcome, "resource_page.j2 is a directory, not a template")


@pytest.mark.parametrize(
    ("name", "argv", "fragment"),
    [
        ("prospector.toml", SUPPRESS, "prospector.toml: cannot read: Permission denied"),
        (CAMPAIGN, IMPORT, "example.toml: cannot read: Permission denied"),
        (TEMPLATE, IMPORT, "resource_page.j2: cannot read: [Errno 13] Permission denied"),
    ],
    ids=["config", "campaign", "template"],
)
def test_an_unreadable_file_is_one_line(
    ws: Workspace, name: str, argv: list[str], fragment: str
) -> None:
    """Mode 000. Root reads any file, so as root the command runs without the capabilities
    that allow it (setpriv), as an ordinary user's would."""
    path = ws.path / name
    path.chmod(0)
    try:
        with unchanged(ws):
            outcome = ws.run_process(argv, drop_root=True)
    finally:
        path.chmod(0o644)
    assert_refused(outcome, fragment)


def test_the_control_a_good_campaign_imports(ws: Workspace) -> None:
    """The harness's control for this file: the same command on good files writes."""
    with pytest.raises(AssertionError, match="the database changed"), unchanged(ws):
        assert ws.run(IMPORT).code == 0
