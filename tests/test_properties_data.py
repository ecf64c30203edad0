"""Property-based tests of the CSV import parsers and the email classifier (hypothesis).

CSV: any bytes or text give parsed rows (each bad one with a line number in the file) or an
``ImportFormatError`` naming the file, never another exception; rows written by a spreadsheet
(any delimiter, any encoding it uses, any cell text) read back as written.
Mail: any bytes, and generated messages that are nearly valid MIME (nested parts, reports,
wrong charsets, broken transfer encodings), are classified as one of the known kinds or
refused as not mail, never with another exception; failed recipients are addresses; the same
bytes always give the same answer.

Bounded and derandomized, with no example database: CI sees the same examples every run.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospector.discover.import_sniff import DELIMITERS, decode
from prospector.discover.imports import read_backlinks
from prospector.errors import ImportFormatError
from prospector.inbox.classify import KINDS, classify
from prospector.inbox.message import MailParseError
from prospector.verify.imports import read_links
from prospector.web.urls import normalize
from tests.test_properties_config import http_urls

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ADDRESS = re.compile(r"^[^\s@<>(),;:\"\[\]\\]+@[^\s@<>(),;:\"\[\]\\]+\.[^\s@<>(),;:\"\[\]\\]+$")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("props")


def physical_lines(data: bytes) -> int:
    text = decode(data).text
    return max(1, len(re.split(r"\r\n|\r|\n", text)))


# -- CSV ---------------------------------------------------------------------------------------

cells = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
header_names = st.sampled_from(
    ["Referring page URL", "Target URL", "Anchor", "url", "target", "Domain rating", "First seen",
     "Nofollow", "campaign", "Source url", "Linking page", "Type", "x"]
)  # fmt: skip
spreadsheets = st.builds(
    lambda header, rows, delimiter: "".join(delimiter.join(row) + "\n" for row in [header, *rows]),
    st.lists(header_names, min_size=1, max_size=5),
    st.lists(st.lists(cells | http_urls(), max_size=6), max_size=8),
    st.sampled_from(DELIMITERS),
)


def written(header: list[str], rows: list[list[str]], delimiter: str) -> str:
    """As a spreadsheet writes it: cells with delimiters, quotes or line breaks quoted."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([header, *rows])
    return out.getvalue()


quoted_spreadsheets = st.builds(
    written,
    st.lists(header_names, min_size=1, max_size=5),
    st.lists(st.lists(cells | http_urls(), max_size=6), max_size=8),
    st.sampled_from(DELIMITERS),
)
any_files = (
    st.binary(max_size=400)
    | spreadsheets.map(str.encode)
    | quoted_spreadsheets.map(str.encode)
    | st.text().map(str.encode)
)


@BOUNDED
@given(data=any_files)
def test_any_file_is_rows_with_line_numbers_or_one_import_error(folder: Path, data: bytes) -> None:
    path = folder / "in.csv"
    path.write_bytes(data)
    lines = physical_lines(data)
    for read in (read_backlinks, lambda p: read_links(p, {"example"})):
        try:
            parsed = read(path)
        except ImportFormatError as exc:
            message = str(exc)
            assert message.startswith(f"{path}: ") and "\n" not in message, message
            continue
        assert parsed.rows, "a parse without good rows is an ImportFormatError"
        for bad in parsed.bad:
            assert 1 <= bad.line <= lines and bad.reason and "\n" not in bad.reason
        for good in parsed.rows:
            assert 1 <= good.line <= lines


@st.composite
def backlink_rows(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    return draw(st.lists(st.tuples(http_urls(), http_urls(), cells), min_size=1, max_size=8))


ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252")


@BOUNDED
@given(
    rows=backlink_rows(),
    delimiter=st.sampled_from(DELIMITERS),
    encoding=st.sampled_from(ENCODINGS),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_backlink_rows_a_spreadsheet_writes_read_back_as_written(
    folder: Path, rows: list[tuple[str, str, str]], delimiter: str, encoding: str, quoting: int
) -> None:
    if encoding == "cp1252":
        rows = [(s, t, a.encode("cp1252", "ignore").decode("cp1252")) for s, t, a in rows]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(["Referring page URL", "Target URL", "Anchor"])
    writer.writerows(rows)
    path = folder / "in.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    parsed = read_backlinks(path)
    assert parsed.bad == []
    assert parsed.delimiter == delimiter
    got = [(r.source_url, r.target_url, r.anchor) for r in parsed.rows]
    assert got == [(normalize(s), normalize(t), a.strip() or None) for s, t, a in rows]


@BOUNDED
@given(
    rows=st.lists(st.tuples(http_urls(), http_urls(), cells), min_size=1, max_size=8),
    delimiter=st.sampled_from(DELIMITERS),
)
def test_links_rows_a_spreadsheet_writes_read_back_as_written(
    folder: Path, rows: list[tuple[str, str, str]], delimiter: str
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")  # quotes CR and LF
    writer.writerow(["url", "target", "anchor"])
    writer.writerows(rows)
    path = folder / "links.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))
    parsed = read_links(path, set())
    assert parsed.bad == []
    got = [(r.url, r.target, r.anchor) for r in parsed.rows]
    assert got == [(normalize(u), normalize(t), a.strip() or None) for u, t, a in rows]


@BOUNDED
@given(data=st.binary(max_size=600))
def test_decoding_any_bytes_never_fails(data: bytes) -> None:
    decoded = decode(data)
    assert isinstance(decoded.text, str)
    if data.startswith(b"\xef\xbb\xbf"):
        assert decoded.encoding == "utf-8-sig"


# -- mail ----------------------------------------------------------------------------------------

header_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
).map(lambda s: s.replace("\r", " ").replace("\n", " "))
addresses = st.from_regex(r"[a-z0-9.]{1,8}@[a-z0-9]{1,8}\.(example|com)", fullmatch=True)
charsets = st.sampled_from(["utf-8", "iso-8859-1", "utf-16", "x-no-such", "us-ascii", ""])
encodings = st.sampled_from(["", "base64", "quoted-printable", "8bit", "x-bogus"])
statuses = st.sampled_from(["5.1.1", "4.2.2", "5.7.1", "2.0.0", "9.9.9", "", "5.1.10"])
actions = st.sampled_from(["failed", "delayed", "delivered", "relayed", "", "weird"])
texts = st.one_of(
    header_text,
    st.sampled_from(
        ["I'm out of the office until Monday 3 March.", "Please remove me from your list.",
         "Thanks, we added your link!", "User unknown", "550 5.1.1 mailbox unavailable",
         "> quoted\n> history", "On Mon, Jo wrote:\n> hi", "unsubscribe", "Not interested."]
    ),
)  # fmt: skip


def encode_body(text: str, charset: str, cte: str) -> tuple[str, bytes]:
    try:
        raw = text.encode(charset or "utf-8")
    except (LookupError, UnicodeEncodeError):
        raw = text.encode("utf-8", "replace")
    if cte == "base64":
        raw = base64.encodebytes(raw)
    head = f"Content-Type: text/plain; charset={charset}\r\n" if charset else ""
    head += f"Content-Transfer-Encoding: {cte}\r\n" if cte else ""
    return head, raw


@st.composite
def leaves(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["text", "html", "dsn", "arf", "headers", "binary"]))
    if kind == "dsn":
        blocks = draw(
            st.lists(
                st.tuples(addresses | header_text, actions, statuses, texts), min_size=0, max_size=3
            )
        )
        body = "Reporting-MTA: dns; mx.example\r\n\r\n" + "\r\n".join(
            f"Final-Recipient: rfc822; {who}\r\nAction: {act}\r\nStatus: {st_}\r\n"
            f"Diagnostic-Code: smtp; {diag}\r\n"
            for who, act, st_, diag in blocks
        )
        return b"Content-Type: message/delivery-status\r\n\r\n" + body.encode("utf-8", "replace")
    if kind == "arf":
        body = f"Feedback-Type: {draw(st.sampled_from(['abuse', '', 'fraud']))}\r\n"
        body += f"Original-Rcpt-To: {draw(addresses | header_text)}\r\n"
        return b"Content-Type: message/feedback-report\r\n\r\n" + body.encode("utf-8", "replace")
    if kind == "headers":
        body = f"Message-ID: <{draw(header_text)}@x>\r\nTo: {draw(addresses)}\r\n"
        return b"Content-Type: text/rfc822-headers\r\n\r\n" + body.encode("utf-8", "replace")
    if kind == "binary":
        return b"Content-Type: application/octet-stream\r\n\r\n" + draw(st.binary(max_size=60))
    head, raw = encode_body(draw(texts), draw(charsets), draw(encodings))
    if kind == "html":
        head = head.replace("text/plain", "text/html") or "Content-Type: text/html\r\n"
        raw = b"<html><body><p>" + raw + b"</p><blockquote>old</blockquote>"
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]  # truncated
    return head.encode() + b"\r\n" + raw


def multipart(subtype: str, boundary: str, parts: list[bytes], closed: bool) -> bytes:
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return head + body + (b"--" + boundary.encode() + b"--\r\n" if closed else b"")


def attached(inner: bytes) -> bytes:
    return b"Content-Type: message/rfc822\r\n\r\nFrom: a@b.example\r\nSubject: x\r\n" + inner


mime_trees = st.recursive(
    leaves(),
    lambda inner: (
        st.builds(
            multipart,
            st.sampled_from(["mixed", "alternative", "report", "related"]),
            st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True),
            st.lists(inner, max_size=4),
            st.booleans(),
        )
        | st.builds(attached, inner)
    ),
    max_leaves=6,
)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    headers = [
        f"From: {draw(header_text)} <{draw(addresses)}>",
        f"To: {draw(addresses)}",
        f"Subject: {' '.join(draw(texts).split())}",
    ]
    optional = {
        "Date": st.sampled_from(["Mon, 3 Feb 2025 10:00:00 +0000", "garbage", ""]),
        "Message-ID": header_text.map(lambda s: f"<{s}@x>"),
        "In-Reply-To": header_text.map(lambda s: f"<{s}>"),
        "References": header_text,
        "Auto-Submitted": st.sampled_from(["auto-replied", "no", "auto-generated"]),
        "X-Failed-Recipients": addresses | header_text,
        "Return-Path": st.sampled_from(["<>", "<a@b.example>"]),
        "X-Stray": st.sampled_from(["\x00", "\x1b[31m", "\x7f"]),
    }
    for name, values in optional.items():
        if draw(st.booleans()):
            headers.append(f"{name}: {draw(values)}")
    head = "\r\n".join(headers).encode("utf-8", "replace") + b"\r\n"
    return head + draw(mime_trees)


def well_formed(result: dict[str, object]) -> None:
    assert result["kind"] in KINDS
    recipients = result["failed_recipients"]
    assert isinstance(recipients, list)
    for address in recipients:
        assert isinstance(address, str) and ADDRESS.match(address), address
    for key in ("in_reply_to", "message_id"):
        value = result[key]
        assert value is None or (isinstance(value, str) and value.startswith("<")), (key, value)
    assert result["bounce_type"] in (None, "hard", "soft")
    assert result["return_date"] is None or date.fromisoformat(str(result["return_date"]))


@BOUNDED
@given(data=messages())
def test_nearly_valid_mime_is_classified_deterministically_with_real_addresses(
    data: bytes,
) -> None:
    first = classify(data).as_dict()
    well_formed(first)
    assert classify(data).as_dict() == first
    well_formed(classify(data, use_flufl=False).as_dict())


@BOUNDED
@given(data=st.binary(max_size=600) | messages().map(lambda m: m[: len(m) // 2]))
def test_any_bytes_are_a_classification_or_not_mail(data: bytes) -> None:
    try:
        first = classify(data).as_dict()
    except MailParseError as exc:
        assert str(exc).startswith("not an email message: ")
        return
    well_formed(first)
    assert classify(data).as_dict() == first
