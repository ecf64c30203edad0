"""Header and envelope injection: names, subjects, page titles, addresses scraped from pages
and the sender's own settings cannot add a header, a recipient or a second message — checked
on the bytes a real SMTP server (aiosmtpd) receives and on its envelopes."""

from __future__ import annotations

import base64
import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from prospector.config import load_settings
from prospector.errors import UserError
from prospector.outreach.compose import checked_address, compose, header_text
from prospector.outreach.sender import send
from prospector.outreach.smtp import SmtpTransport
from prospector.store import open_db
from tests.mailservers import SmtpSink
from tests.outreach_world import PROSPECTS, outreach_settings
from tests.test_outreach_send import approved

VICTIM = "victim@elsewhere.example"
CRLF_BCC = f"\r\nBcc: {VICTIM}"


def b_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


# Every way a line break (or something a parser may take for one) can ride in a value.
BREAKS = [
    CRLF_BCC,
    f"\nBcc: {VICTIM}",
    f"\rBcc: {VICTIM}",
    f"\r\n Bcc: {VICTIM}",  # a folded continuation, then a header
    f"\u2028Bcc: {VICTIM}",
    f"\u2029Bcc: {VICTIM}",
    f"\x85Bcc: {VICTIM}",
    f"\x0bBcc: {VICTIM}",
    f"\x0cBcc: {VICTIM}",
    f"\x1cBcc: {VICTIM}",
    f"\x00\r\nBcc: {VICTIM}",
    " " + b_word(f"x\r\nBcc: {VICTIM}"),  # RFC 2047: decodes to CR LF
    " =?utf-8?q?x=0D=0ABcc:_" + VICTIM + "?=",
    " =?UTF-8?Q?x=0d=0aBcc=3a_" + VICTIM + "?=",
    " " + b_word(b_word(f"x\r\nBcc: {VICTIM}")),  # an encoded word inside an encoded word
    ' "' + b_word(f"x\r\nBcc: {VICTIM}") + '"',  # inside a quoted string
    f' "a\\"\r\nBcc: {VICTIM}"',
    f", {VICTIM}",
    f" <{VICTIM}>",
]


def header_names(raw: bytes) -> list[str]:
    """The names of the header fields of ``raw``, as a strict reader sees the lines."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [
        line.split(b":", 1)[0].decode().lower()
        for line in head.split(b"\r\n")
        if line[:1] not in (b" ", b"\t")
    ]


def sender_settings(tmp_path: Path, **sender: Any) -> Any:
    return outreach_settings(tmp_path, sender=sender).sender


# -- unit: what goes into a header ------------------------------------------------------------


@pytest.mark.parametrize("tail", BREAKS)
def test_header_text_leaves_nothing_that_could_start_a_header(tail: str) -> None:
    text = header_text("Eve" + tail)
    assert not any(ch in text for ch in "\r\n\x00\x0b\x0c\x1c\x85\u2028\u2029")
    assert "=?" not in text  # no encoded word left for any parser to decode


def test_header_text_decodes_honest_encoded_words_and_keeps_ordinary_text() -> None:
    assert header_text(b_word("Jürgen Müller")) == "Jürgen Müller"
    assert header_text('Ann O\'Neil (editor), "Gardens" & co.') == (
        'Ann O\'Neil (editor), "Gardens" & co.'
    )
    assert header_text("a" * 500, 120) == "a" * 120


@pytest.mark.parametrize(
    "address",
    [
        f"a@b.example{CRLF_BCC}",
        "a@b.example\n",
        "a@b.example>",
        "<a@b.example>",
        f"a@b.example>\r\nRCPT TO:<{VICTIM}",
        f"a@b.example, {VICTIM}",
        f"a@b.example {VICTIM}",
        '"a\r\nb"@b.example',
        "ä@b.example",
        "a@bücher.example",
        "a\x9b@b.example",
        "a\u2028@b.example",
        "a@b.example\u2029",
        "a@-b.example",
        "a@b..example",
        "a@[127.0.0.1]",
        "a@localhost",
        "@b.example",
        "a@",
        "a" * 250 + "@b.example",
    ],
)
def test_unusable_addresses_are_refused(address: str) -> None:
    with pytest.raises(UserError, match="is not a usable email address"):
        checked_address(address)


def test_ordinary_addresses_pass_as_they_are() -> None:
    for address in ("a@b.example", "first.last+tag@sub.b-c.example", "o'neil@b.example"):
        assert checked_address(address) == address


@pytest.mark.parametrize("tail", BREAKS)
def test_composed_message_has_only_the_headers_it_sets(tmp_path: Path, tail: str) -> None:
    row = {
        "to_name": "Eve" + tail,
        "to_email": "editor@gardenhaven.example",
        "subject": "Tips" + tail,
        "body_text": "Hello",
        "in_reply_to": "<a@b.example>" + tail,
        "refs": "<a@b.example>" + tail,
        "unsubscribe_token": "tok",
    }
    msg = compose(
        row, sender_settings(tmp_path), message_id="<m1@soilsmith.example>", date=datetime.now(UTC)
    )
    raw = msg.as_bytes()
    assert header_names(raw) == [
        "from", "to", "subject", "date", "message-id", "in-reply-to", "references",
        "list-unsubscribe", "list-unsubscribe-post", "content-type",
        "content-transfer-encoding", "mime-version",
    ]  # fmt: skip
    back = email.message_from_bytes(raw, policy=email.policy.default)  # reads back cleanly
    assert [a.addr_spec for a in back["To"].addresses] == ["editor@gardenhaven.example"]
    assert [a.addr_spec for a in back["From"].addresses] == ["outreach@soilsmith.example"]
    assert back["Bcc"] is None and back["Cc"] is None
    for name in ("Subject", "To", "From", "In-Reply-To"):
        assert "\n" not in str(back[name]) and "\r" not in str(back[name])


def test_the_sender_name_from_the_config_cannot_inject_either(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        env={},
        overrides={"sender": {"name": b_word(f"Sam\r\nBcc: {VICTIM}"), "email": "s@b.example"}},
    )
    row = {"to_email": "a@b.example", "subject": "s", "body_text": "b"}
    raw = compose(row, settings.sender, message_id="<m@b>", date=datetime.now(UTC)).as_bytes()
    assert header_names(raw)[:3] == ["from", "to", "subject"] and "bcc" not in header_names(raw)
    back = email.message_from_bytes(raw, policy=email.policy.default)
    assert [a.addr_spec for a in back["From"].addresses] == ["s@b.example"]
    assert back["From"].addresses[0].display_name == f"Sam Bcc: {VICTIM}"  # text, not a header


# -- end to end: what a real SMTP server receives ---------------------------------------------


def test_hostile_names_and_titles_reach_the_server_as_one_message_to_one_recipient(
    tmp_path: Path,
) -> None:
    hostile = [
        {**PROSPECTS[1], "name": "Eve" + tail, "title": "Tips" + tail, "url": url, "email": mail}
        for n, tail in enumerate(BREAKS)
        for url, mail in [(f"https://site{n}.example/links", f"editor{n}@site{n}.example")]
    ]
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        approved(settings, hostile)
        summary = send(settings)
    assert len(summary.sent) == len(BREAKS) == len(sink.messages)
    for got in sink.messages:
        assert got["from"] == "outreach@soilsmith.example"
        assert len(got["to"]) == 1 and got["to"][0].startswith("editor")  # the envelope
        names = header_names(got["data"])
        assert "bcc" not in names and "cc" not in names and len(names) == len(set(names))
        assert VICTIM not in str(got["to"])


@pytest.mark.parametrize(
    "body",
    [
        f"line\r\n.\r\nMAIL FROM:<x@evil.example>\r\nRCPT TO:<{VICTIM}>\r\nDATA\r\nhi\r\n.\r\n",
        f"line\n.\nMAIL FROM:<x@evil.example>\nRCPT TO:<{VICTIM}>\nDATA\nhi\n.\n",
        f"line\r.\rMAIL FROM:<x@evil.example>\rRCPT TO:<{VICTIM}>\rDATA\rhi\r.\r",
        f"line\n.\r\nRCPT TO:<{VICTIM}>\r\n",
        f"line\r\n.\nRCPT TO:<{VICTIM}>\n",
        f"line\r\n\x00.\r\nRCPT TO:<{VICTIM}>\r\n",
    ],
)
def test_a_body_cannot_smuggle_a_second_message(tmp_path: Path, body: str) -> None:
    """SMTP smuggling: end-of-data look-alikes in a page title that the template puts in the
    body end nothing; the server keeps one message, for the one recipient."""
    sender = sender_settings(tmp_path)
    row = {"to_email": "editor@gardenhaven.example", "subject": "s", "body_text": body}
    data = compose(row, sender, message_id="<m@b>", date=datetime.now(UTC)).as_bytes()
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        with SmtpTransport(settings.smtp) as transport:
            delivery = transport.send("outreach@soilsmith.example", row["to_email"], data)
    assert delivery.outcome == "sent"
    assert [m["to"] for m in sink.messages] == [["editor@gardenhaven.example"]]
    kept = email.message_from_bytes(sink.messages[0]["data"], policy=email.policy.default)
    assert "RCPT TO" in kept.get_content()  # the text arrived, as text


@pytest.mark.parametrize(
    "address",
    [
        f"editor@gardenhaven.example{CRLF_BCC}",
        f"editor@gardenhaven.example>\r\nRCPT TO:<{VICTIM}>",
        "editor@gardenhaven.example\n",
        "editor@gardenhaven.example>",
        "ëditor@gardenhaven.example",
        "editor@gärdenhaven.example",
        "editor\x9b@gardenhaven.example",
        f"editor@gardenhaven.example,{VICTIM}",
    ],
)
def test_a_hostile_scraped_address_is_cancelled_with_a_reason_and_the_batch_goes_on(
    tmp_path: Path, address: str
) -> None:
    specs = [{**PROSPECTS[0], "email": address}, PROSPECTS[1]]
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        ids = approved(settings, specs)
        summary = send(settings)
    assert [m["to"] for m in sink.messages] == [["hello@wormfarm.example"]]
    assert (
        len(summary.cancelled) == 1
        and "is not a usable email address" in (summary.cancelled[0]["reason"])
    )
    with open_db(settings.database) as store:
        states = {m["prospect_id"]: m["state"] for m in store.messages()}
    assert states == {ids[0]: "cancelled", ids[1]: "sent"}  # nothing left 'sending'


@pytest.mark.parametrize(
    ("mail_from", "rcpt", "copy_to"),
    [
        ("outreach@soilsmith.example", f"a@b.example{CRLF_BCC}", ""),
        ("outreach@soilsmith.example", "a@b.example> NOTIFY=NEVER", ""),
        ("outreach@soilsmith.example", "ä@b.example", ""),
        (f"outreach@soilsmith.example>\r\nRCPT TO:<{VICTIM}", "a@b.example", ""),
        (
            "outreach@soilsmith.example",
            "a@b.example",
            f"me@soilsmith.example\r\nRCPT TO:<{VICTIM}>",
        ),
    ],
)
def test_the_transport_refuses_an_envelope_it_cannot_send_cleanly(
    tmp_path: Path, mail_from: str, rcpt: str, copy_to: str
) -> None:
    with SmtpSink() as sink:
        settings = outreach_settings(tmp_path, sink.port)
        with SmtpTransport(settings.smtp) as transport:
            delivery = transport.send(mail_from, rcpt, b"Subject: x\r\n\r\nx\r\n", copy_to)
    assert delivery.outcome == "refused" and not delivery.hard
    assert "is not a usable email address" in delivery.detail
    assert sink.messages == []
