"""``bench/RESULTS.md``: each benchmark owns one ``## `` section and replaces only that."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TITLE = "# Benchmark results\n"


def write_section(heading: str, body: str, path: Path = RESULTS) -> Path:
    """Replace (or append) the section that starts with ``heading``; keep every other one."""
    text = path.read_text(encoding="utf-8") if path.exists() else TITLE
    section = heading.rstrip() + "\n\n" + body.strip("\n") + "\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading.rstrip()), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.write_text(new, encoding="utf-8")
    return path
