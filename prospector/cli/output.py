"""Printing helpers: JSON to stdout, tables and messages through rich.

Much of what is printed comes from the web (titles, anchors, URLs, reasons) or from mail, so
nothing reaches the terminal as a control sequence: the consoles show every control
character (ESC, C1 controls such as the one-byte CSI, DEL, bidi overrides) as a visible
symbol before rich reads the text, so an OSC 8 hyperlink, an OSC 52 clipboard write or a
screen clear in a page title is shown, never obeyed. (Rich markup in data is escaped where
each command prints it.) JSON output escapes the same characters as ``\\uXXXX``.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

# C0 controls but tab and newline, DEL, C1 controls, the Unicode line and paragraph separators
# (shown as line breaks by some terminals), bidi embeddings, overrides and isolates
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _symbol(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␍ for CR...
    return "\u2421" if code == 0x7F else "\ufffd"


def terminal_safe(text: str) -> str:
    """``text`` with every control character a terminal would act on made visible."""
    return _UNSAFE.sub(_symbol, text)


class SafeConsole(Console):
    """A rich console that never writes a control sequence that came in a string: every
    string it renders (printed text, table cells, rules) is made terminal-safe first."""

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(terminal_safe(text), **options)


console = SafeConsole(highlight=False, soft_wrap=True)
err_console = SafeConsole(stderr=True, highlight=False, soft_wrap=True)


def json_text(data: Any) -> str:
    """``data`` as indented JSON whose strings hold no raw control characters (JSON escapes
    C0 itself; C1, line separators and bidi controls are escaped here too)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(data: Any) -> None:
    sys.stdout.write(json_text(data) + "\n")


def progress_bar(*, quiet: bool) -> Progress:
    """The progress bar of long commands, on stderr; off for --json and when not a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=quiet or not err_console.is_terminal,
    )
