"""Terminal output against hostile page and mail data: rich markup in a page title is shown,
not interpreted, and no escape sequence from the data reaches the terminal (OSC 8 hyperlinks,
OSC 52 clipboard writes, screen clears, C1 controls, carriage returns), in ``prospects``,
``show``, ``outbox``, ``replies`` and ``inspect email`` — with rich forced to colour output,
as on a real terminal."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from prospector.campaigns import load_campaign
from prospector.cli.output import json_text, terminal_safe
from prospector.outreach.drafts import draft_campaign
from prospector.store import open_db
from tests.cli_helpers import prospector
from tests.mailservers import Dovecot, SmtpSink
from tests.outreach_world import PROSPECTS, outreach_settings, seed
from tests.report_world import _breakdown
from tests.test_outreach_send import drafted, parsed
from tests.test_replies import MAILBOX, inbox_settings

MARKUP = "[bold red]LOUD[/] [link=https://evil.example/]click me[/link] [/]"
ESCAPES = (
    "\x1b]8;;https://evil.example/\x1b\\hyperlink\x1b]8;;\x1b\\"
    " \x1b]52;c;ZXZpbA==\x07 \x1b[2J\x1b[H \x9b2J \x1b]0;window title\x07"
    " back\x08\x08 cr\rOVERWRITE \u202eevil\u202c"
)
TITLE = f"Worm tips {MARKUP} {ESCAPES}"
COLOUR = {"FORCE_COLOR": "1", "COLUMNS": "400", "TERM": "xterm-256color"}
# what may reach the terminal: rich's own colour and style codes (SGR), nothing else
SGR = re.compile(r"\x1b\[[0-9;]*m")


def assert_terminal_safe(output: str) -> None:
    rest = SGR.sub("", output)
    bad = re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", rest)
    assert not bad, sorted(set(bad))
    assert "\x1b]" not in output and "\x1b[2J" not in output


@pytest.fixture
def world(tmp_path: Path) -> tuple[Any, Path, int]:
    """A drafted prospect whose page title, contact name and reasons are hostile."""
    settings = outreach_settings(tmp_path)
    [pid] = seed(settings, [{**PROSPECTS[1], "title": TITLE, "name": f"Eve {MARKUP} {ESCAPES}"}])
    campaign = load_campaign(settings.campaigns_dir / "example.toml", settings.templates_dir)
    with open_db(settings.database) as store:
        store.save_score(pid, 71.0, _breakdown(f"matched {TITLE}"), state="qualified")
        assert draft_campaign(settings, campaign, store).drafted == 1
    return settings, _config(settings, tmp_path), pid


def run(config: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = prospector("--config", str(config), *args, env={**COLOUR, **(env or {})})
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_the_sanitiser_shows_controls_as_symbols_and_keeps_text() -> None:
    assert terminal_safe("a\x1b[2Jb\tc\nd\x9be\u202ef\x07") == "a␛[2Jb\tc\nd\ufffde\ufffdf␇"
    assert terminal_safe("plain [bold] text é ✓") == "plain [bold] text é ✓"
    assert json.loads(json_text({"t": TITLE})) == {"t": TITLE}  # escaped, not altered


@pytest.mark.parametrize("command", [["prospects"], ["show", "{pid}"], ["outbox"]])
def test_listing_commands_show_markup_as_text_and_pass_no_escape_sequence(
    world: tuple[Any, Path, int], command: list[str]
) -> None:
    _, config, pid = world
    output = run(config, *[part.format(pid=pid) for part in command])
    assert_terminal_safe(output)
    plain = SGR.sub("", output)
    assert "[bold red]LOUD[/] [link=https://evil.example/]click me[/link]" in plain  # as text
    if command != ["outbox"]:  # (the subject lost its control characters when drafted)
        assert "␛]8;;https://evil.example/␛\\hyperlink" in plain and "␛]52;c;ZXZpbA==␇" in plain


def test_json_output_escapes_every_control_character(world: tuple[Any, Path, int]) -> None:
    _, config, pid = world
    for args in (["prospects", "--json"], ["show", str(pid), "--json"], ["outbox", "--json"]):
        output = run(config, *args)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", output)
        texts = list(_strings(json.loads(output)))
        assert any(TITLE in text for text in texts) or args[0] == "outbox"  # kept exactly
        assert any("[bold red]LOUD[/] [link=https://evil.example/]" in t for t in texts)


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def b_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def hostile_mail(sender: str, in_reply_to: str = "", n: int = 1) -> bytes:
    """Raw bytes, as a hostile sender would write them: control characters hidden in
    RFC 2047 encoded words of the subject and the sender's name, and raw in the body."""
    thread = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    head = (
        f"From: {sender}\r\nTo: Sam Rivera <outreach@soilsmith.example>\r\n"
        f"Subject: {b_word(f'Re: {MARKUP} {ESCAPES}')}\r\n"
        f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <h{n}@stranger.example>\r\n"
        f"{thread}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    body = f"Thanks! {MARKUP} {ESCAPES}\r\n".replace("\r", "").replace("\n", "\r\n")
    return head.encode() + body.encode()


def test_inspect_email_shows_a_hostile_subject_and_body_safely(tmp_path: Path) -> None:
    path = tmp_path / "hostile.eml"
    path.write_bytes(hostile_mail(f"{b_word('Eve ' + ESCAPES)} <eve@site.example>"))
    output = run(tmp_path / "none.toml", "inspect", "email", str(path))
    assert_terminal_safe(output)
    assert "[bold red]LOUD[/]" in SGR.sub("", output)


def test_replies_show_hostile_subjects_and_senders_safely(tmp_path: Path, dovecot: Dovecot) -> None:
    with SmtpSink() as sink:
        settings = inbox_settings(tmp_path, sink.port, dovecot)
        [pid] = drafted(settings, [PROSPECTS[1]])
        done = prospector("--config", str(_config(settings, tmp_path)), "approve", str(pid))
        assert done.returncode == 0, done.stderr
        assert prospector("--config", str(_config(settings, tmp_path)), "send").returncode == 0
        pitch = parsed(sink.messages[0]["data"])
    dovecot.deliver(hostile_mail(PROSPECTS[1]["email"], pitch["Message-ID"]), MAILBOX)
    dovecot.deliver(hostile_mail(f"{b_word(ESCAPES)} <x@stranger.example>", n=2), MAILBOX)
    output = run(_config(settings, tmp_path), "replies", env={"TEST_IMAP_SECRET": Dovecot.password})
    assert_terminal_safe(output)
    assert "2 processed" in SGR.sub("", output) and "[bold red]LOUD[/]" in SGR.sub("", output)


def _config(settings: Any, work: Path) -> Path:
    path = work / "prospector.toml"
    path.write_text(tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True)))
    return path
