"""What a hostile mail may make the parser do: how deep and how many MIME parts, and how long
one header may be.

The standard library parses a message's structure cheaply and its header values lazily, each
time one is read; some of that work grows faster than the input (encoded words in a Subject,
parameters in a Content-Type), and classifying reads each part's Content-Type a dozen times.
A mail past these bounds is read the way a mail client shows it: the first MAX_HEADER_CHARS
of a header; a tree too deep or too wide is read as its headers over a plain-text body.
"""

from __future__ import annotations

import re
from email.message import Message

# MIME parts nest this deep at most (real mail: a handful of levels; a forwarded bounce of a
# forwarded message, perhaps ten).
MAX_DEPTH = 50
MAX_PARTS = 500  # a mail with a few hundred attachments is already an oddity
MAX_HEADER_CHARS = 16_384  # a References header of 300 message ids; any Subject
_FIELD = re.compile(rb"[!-9;-~]{1,76}:")
_LINE_END = re.compile(rb"\r?\n\Z")


def clip_raw_fields(data: bytes) -> bytes:
    """Every header field in the raw mail (a ``Name:`` line and the lines starting with a
    space or tab that continue it) cut to MAX_HEADER_CHARS, wherever it stands: at the top
    of the mail or of a MIME part. The parser reads some fields (a part's Content-Type) while
    it parses, before any clipping of the parsed tree could help; this cuts them first."""
    if len(data) <= MAX_HEADER_CHARS:
        return data
    out: list[bytes] = []
    used: int | None = None  # length of the field being read; None outside a field
    for line in data.splitlines(keepends=True):
        if used is not None and line[:1] in (b" ", b"\t"):
            pass  # continues the field
        elif _FIELD.match(line):
            used = 0
        else:
            used = None
        if used is None or used + len(line) <= MAX_HEADER_CHARS:
            out.append(line)
        elif used < MAX_HEADER_CHARS:
            end = _LINE_END.search(line)
            out.append(line[: MAX_HEADER_CHARS - used] + (end.group(0) if end else b""))
        if used is not None:
            used += len(line)
    return b"".join(out)


def within_bounds(msg: Message) -> bool:
    """Whether the MIME tree is at most MAX_DEPTH deep with at most MAX_PARTS parts (counted
    without recursing, so a tree of any depth is measured safely)."""
    count = 0
    stack: list[tuple[Message, int]] = [(msg, 1)]
    while stack:
        part, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_PARTS:
            return False
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((sub, depth + 1) for sub in payload if isinstance(sub, Message))
    return True


def clip_headers(msg: Message) -> Message:
    """Cut every header value of every part to MAX_HEADER_CHARS, as stored (before any value
    is parsed); the tree must be :func:`within_bounds`."""
    for part in msg.walk():
        items = list(part.raw_items())
        if all(len(str(value)) <= MAX_HEADER_CHARS for _, value in items):
            continue
        for name in {name for name, _ in items}:
            del part[name]
        for name, value in items:
            part.set_raw(name, str(value)[:MAX_HEADER_CHARS])
    return msg
