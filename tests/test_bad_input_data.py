"""Malformed CSV imports and email files: one line naming the file (and the line where one is
to blame), a non-zero exit, nothing written. Mail that is damaged but still mail is classified
anyway, without a traceback. The harness is in ``tests/test_bad_input.py``.
"""

from __future__ import annotations

import json

import pytest

from prospector.inbox.classify import KINDS
from tests.test_bad_input import Workspace, assert_refused, unchanged
from tests.test_bad_input import world as world  # the shared workspace fixture
from tests.test_bad_input import ws as ws

BACKLINKS = ["import", "backlinks", "in.csv", "--campaign", "example"]
LINKS = ["links", "import", "in.csv"]
HEAD = b"Referring page URL,Target URL,Anchor\n"
TARGET = b"https://soilsmith.example/guides/hot-composting"


def row(source: bytes, extra: bytes = b"") -> bytes:
    return HEAD + source + b"," + TARGET + b",compost" + extra + b"\n"


EXPORTS: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("empty", b"", ("in.csv: the file is empty",)),
    ("blank lines", b"  \r\n\n\t\n", ("in.csv: the file is empty",)),
    ("header only", HEAD, ("in.csv: ahrefs header on line 1 but no data rows",)),
    ("no URL column", b"Foo,Bar\n1,2\n", ("in.csv: no recognisable header",)),
    ("rows split by another delimiter", HEAD + b"https://a.example/x;" + TARGET + b";a\n",
     ("in.csv: no usable rows, 1 bad: line 2: the row is semicolon-separated, the header comma",)),
    ("ragged rows", row(b"https://a.example/x", b",EXTRA,MORE"),
     ("in.csv: no usable rows", "line 2: 5 fields where the header has 3",)),
    ("formula cell", row(b'"=HYPERLINK(""http://evil.example"")"'),
     ("line 2: source URL '=HYPERLINK(\"http://evil.example\")': not an absolute http(s) URL",)),
    ("NUL in a URL", row(b"https://a.example/\x00x"), ("line 2: source URL", "control character")),
    ("not a URL", row(b"not a url"), ("line 2: source URL 'not a url'",)),
    ("ftp URL", row(b"ftp://a.example/"), ("line 2:", "scheme 'ftp'")),
    ("empty host label", row(b"https://a..example/"), ("line 2:", "not a valid host name")),
    ("bad port", row(b"https://a.example:99999/"), ("line 2:", "Port out of range")),
    ("unterminated quote", HEAD + b'"https://a.example/x,' + TARGET + b",a\n",
     ("line 2: unreadable CSV: a quoted field runs to the end of the file",)),
    ("overlong field", HEAD + b"x" * 200_000 + b"\n", ("line 2: unreadable CSV",)),
    ("many bad rows", HEAD + b"".join(b"nope%d,%s,a\n" % (i, TARGET) for i in range(50)),
     ("in.csv: no usable rows, 50 bad: line 2:", "(and 47 more)")),
    ("binary", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, ("in.csv: no recognisable header",)),
    ("xlsx", b"PK\x03\x04" + b"\x00" * 64, ("in.csv: this is a spreadsheet workbook (.xlsx)",)),
    ("UTF-16 header only", "\ufeffReferring page URL\n".encode("utf-16-le"),
     ("in.csv: ahrefs header on line 1 but no data rows",)),
    ("huge without a header", b"lorem ipsum dolor sit amet\n" * 500_000,
     ("in.csv: no recognisable header",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "fragments"), [c[1:] for c in EXPORTS], ids=[c[0] for c in EXPORTS]
)
def test_an_unusable_backlink_export_is_one_line_and_writes_nothing(
    ws: Workspace, data: bytes, fragments: tuple[str, ...]
) -> None:
    ws.write("in.csv", data)
    with unchanged(ws):
        outcome = ws.run(BACKLINKS)
    assert_refused(outcome, *fragments)


def test_an_audit_of_an_unusable_export_is_one_line(ws: Workspace) -> None:
    ws.write("in.csv", row(b"javascript:alert(1)"))
    with unchanged(ws):
        outcome = ws.run(["audit", "in.csv", "--max-pages", "1"])
    assert_refused(outcome, "in.csv: no usable rows", "line 2:")


LINK_FILES: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("empty", b"", ("in.csv: the file is empty",)),
    ("header only", b"url,target\n", ("in.csv: header on line 1 but no rows",)),
    ("no target column", b"url\nhttps://a.example/\n", ("in.csv: no recognisable header",)),
    ("extra fields", b"url,target\nhttps://a.example/,https://b.example/,x\n",
     ("line 2: 3 fields where the header has 2",)),
    ("unknown campaign", b"url,target,campaign\nhttps://a.example/,https://b.example/,nope\n",
     ("line 2: unknown campaign 'nope' (known: example)",)),
    ("port 0", b"url,target\nhttp://a.example:0/,https://b.example/\n", ("line 2:", "port 0")),
    ("NUL", b"url,target\nhttps://a.example/\x00,https://b.example/\n", ("control character",)),
    ("formula", b"url,target\n=cmd|' /C calc'!A0,https://b.example/\n", ("line 2: url '=cmd",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "fragments"), [c[1:] for c in LINK_FILES], ids=[c[0] for c in LINK_FILES]
)
def test_an_unusable_links_file_is_one_line_and_writes_nothing(
    ws: Workspace, data: bytes, fragments: tuple[str, ...]
) -> None:
    ws.write("in.csv", data)
    with unchanged(ws):
        outcome = ws.run(LINKS)
    assert_refused(outcome, *fragments)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "in.csv: the file is empty"),
        (b"\x00\x01garbage", "in.csv: not a rank list"),
        (b"PK\x03\x04garbage", "in.csv: cannot read: File is not a zip file"),
    ],
    ids=["empty", "binary", "broken zip"],
)
def test_an_unusable_rank_list_is_one_line_and_writes_nothing(
    ws: Workspace, data: bytes, fragment: str
) -> None:
    ws.write("in.csv", data)
    with unchanged(ws):
        outcome = ws.run(["import", "ranks", "in.csv"])
    assert_refused(outcome, fragment)


@pytest.mark.parametrize(
    "argv",
    [BACKLINKS, LINKS, ["audit", "in.csv"], ["import", "ranks", "in.csv"]],
    ids=["backlinks", "links", "audit", "ranks"],
)
def test_a_missing_import_file_is_one_line(ws: Workspace, argv: list[str]) -> None:
    with unchanged(ws):
        outcome = ws.run(argv)
    assert_refused(outcome, "in.csv: cannot read: No such file or directory")


@pytest.mark.parametrize("argv", [BACKLINKS, LINKS], ids=["backlinks", "links"])
def test_a_directory_given_as_the_import_file_is_one_line(ws: Workspace, argv: list[str]) -> None:
    (ws.path / "in.csv").mkdir()
    with unchanged(ws):
        outcome = ws.run(argv)
    assert_refused(outcome, "'in.csv' is a directory")


MAIL = b"From: Jo <jo@gardenhaven.example>\r\nTo: outreach@soilsmith.example\r\nSubject: Re: hi\r\n"
NOT_MAIL: list[tuple[str, bytes, str]] = [
    ("empty", b"", "m.eml: not an email message: the file is empty"),
    ("blank lines", b"\r\n\r\n  \n", "m.eml: not an email message: the file is empty"),
    ("NUL bytes", b"\x00\x01\x02\x03binary\x00", "m.eml: not an email message: the file is binary"),
    ("PNG", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "m.eml: not an email message: the file is binary"),
    ("prose", b"just some text\nno headers\n", "m.eml: not an email message: it does not start"),
    ("only odd headers", b"X-Foo: 1\r\n\r\nbody", "m.eml: not an email message: no From, To"),
]


@pytest.mark.parametrize(
    ("data", "fragment"), [c[1:] for c in NOT_MAIL], ids=[c[0] for c in NOT_MAIL]
)
def test_a_file_that_is_not_mail_is_one_line(ws: Workspace, data: bytes, fragment: str) -> None:
    ws.write("m.eml", data)
    with unchanged(ws):
        outcome = ws.run(["inspect", "email", "m.eml"])
    assert_refused(outcome, fragment)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["inspect", "email", "/dev/zero"], "/dev/zero: too large for a mail message"),
        (
            ["inspect", "robots", "/dev/zero", "--url", "https://a.example/", "--user-agent", "x"],
            "/dev/zero: too large for a robots.txt",
        ),
        (["--config", "/dev/zero", "prospects"], "/dev/zero: too large for a TOML file"),
    ],
    ids=["mail", "robots", "config"],
)
def test_a_file_that_never_ends_is_refused_in_one_line_not_read_forever(
    ws: Workspace, argv: list[str], fragment: str
) -> None:
    with unchanged(ws):
        outcome = ws.run(argv)
    assert_refused(outcome, fragment)


def test_a_missing_mail_file_is_one_line(ws: Workspace) -> None:
    with unchanged(ws):
        outcome = ws.run(["inspect", "email", "m.eml"])
    assert_refused(outcome, "m.eml: cannot read: No such file or directory")


def nested_messages(depth: int) -> bytes:
    mail = b"From: a@b.example\r\nSubject: innermost\r\n\r\nbody\r\n"
    for _ in range(depth):
        mail = b"From: x@y.example\r\nSubject: n\r\nContent-Type: message/rfc822\r\n\r\n" + mail
    return mail


def nested_multiparts(depth: int) -> bytes:
    body = b"text"
    for i in range(depth):
        head = b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        body = head + body + b"\r\n--b%d--\r\n" % i
    return MAIL + body


def dsn(recipient: bytes) -> bytes:
    return MAIL + (
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Final-Recipient: rfc822; " + recipient + b"\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"\r\n--B--\r\n"
    )


DAMAGED: list[tuple[str, bytes]] = [
    ("truncated MIME", MAIL + b'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\n'
     b"Content-Type: text/plain\r\n\r\nthanks, we will add your guide"),
    ("unknown charset", MAIL + b"Content-Type: text/plain; charset=x-no-such\r\n\r\nhi \xff\xfe"),
    ("wrong charset", MAIL + b"Content-Type: text/plain; charset=utf-16\r\n\r\nplain ascii"),
    ("broken base64", MAIL + b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64@@@\r\n"),
    ("multipart without boundary", MAIL + b"Content-Type: multipart/mixed\r\n\r\nno boundary"),
    ("unclosed HTML", MAIL + b"Content-Type: text/html\r\n\r\n<div>" * 1 + b"<b>" * 5000),
    ("message/rfc822 nested 2000 deep", nested_messages(2000)),
    ("multipart nested 2000 deep", nested_multiparts(2000)),
    ("broken encoded words and date", b"From: =?utf-8?b?!!!?= <a@b.example>\r\n"
     b"Subject: =?x-bad?q?hi?=\r\nDate: Mon, 99 Foo 2024 99:99:99 +9999\r\n\r\nhi"),
    ("two-megabyte header", b"From: a@b.example\r\nX-A: " + b"b" * 2_000_000 + b"\r\n\r\nhi"),
    ("garbage DSN recipient", dsn(b"\xff@@")),
    ("deep quotes", MAIL + b"\r\n" + b"> " * 100_000 + b"\n"),
]  # fmt: skip


@pytest.mark.parametrize("data", [c[1] for c in DAMAGED], ids=[c[0] for c in DAMAGED])
def test_damaged_mail_is_still_classified_without_a_traceback(ws: Workspace, data: bytes) -> None:
    ws.write("m.eml", data)
    with unchanged(ws):
        outcome = ws.run(["inspect", "email", "m.eml", "--json"])
    assert outcome.code == 0, outcome.lines[-3:]
    assert outcome.stderr == ""
    result = json.loads(outcome.stdout)
    assert result["kind"] in KINDS
    assert all("@" in address and " " not in address for address in result["failed_recipients"])
    assert "" not in result["failed_recipients"]


@pytest.mark.parametrize(
    ("name", "argv", "fragment"),
    [
        ("in.csv", BACKLINKS, "Invalid value for 'file': file 'in.csv' is not readable"),
        ("in.csv", LINKS, "Invalid value for 'file': file 'in.csv' is not readable"),
        ("m.eml", ["inspect", "email", "m.eml"], "Invalid value for 'file': path 'm.eml' is not"),
    ],
    ids=["backlinks", "links", "mail"],
)
def test_an_unreadable_input_file_is_one_line(
    ws: Workspace, name: str, argv: list[str], fragment: str
) -> None:
    """Mode 000; as root without the capabilities that let root read it (see the files test)."""
    path = ws.write(name, row(b"https://a.example/x") if name.endswith(".csv") else MAIL)
    path.chmod(0)
    try:
        with unchanged(ws):
            outcome = ws.run_process(argv, drop_root=True)
    finally:
        path.chmod(0o644)
    assert_refused(outcome, fragment)


def test_the_control_a_good_export_and_links_file_are_imported(ws: Workspace) -> None:
    ws.write("in.csv", row(b"https://fresh.example/links"))
    with pytest.raises(AssertionError, match="the database changed"), unchanged(ws):
        assert ws.run(BACKLINKS).code == 0
    ws.write("in.csv", b"url,target\nhttps://fresh.example/links,https://soilsmith.example/\n")
    with pytest.raises(AssertionError, match="the database changed"), unchanged(ws):
        assert ws.run(LINKS).code == 0
