"""The labels of ``shared/eval/bounces`` and ``shared/eval/replies``, read at run time.

Bounces: ``labels.json`` lists, per file, what flufl.bounce's detectors must return. A file is a
*labelled bounce* when at least one expectation names failed addresses; its expected set is the
union of those, and its failure type is the one of those expectations (``permanent`` or
``temporary``). Files whose expectations are all empty (or that have none) say nothing we can
score: they are reported one by one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def eval_dir() -> Path:
    env = os.environ.get("PROSPECTOR_EVAL_DIR")
    return Path(env) if env else REPO.parent / "shared" / "eval"


@dataclass(frozen=True)
class BounceCase:
    name: str
    path: Path
    expected: frozenset[str]  # lower-cased failed addresses; empty: not scorable
    failure_type: str | None  # "permanent" | "temporary" | None
    note: str


@dataclass(frozen=True)
class ReplyCase:
    name: str
    path: Path
    expected_text: str


def load_bounces(base: Path) -> list[BounceCase]:
    folder = base / "bounces"
    labels = json.loads((folder / "labels.json").read_text("utf-8"))["files"]
    cases: list[BounceCase] = []
    for path in sorted((folder / "data").glob("*.txt")):
        entry = labels.get(path.name, {})
        named = [e for e in entry.get("detector_expectations", []) if e.get("expected_addresses")]
        expected = frozenset(a.lower() for e in named for a in e["expected_addresses"])
        types = {e["failure_type"] for e in named}
        note = entry.get("note", "") if entry else "no label"
        cases.append(
            BounceCase(
                name=path.name,
                path=path,
                expected=expected,
                failure_type=types.pop() if len(types) == 1 else None,
                note=note or ("all expectations empty" if entry else "no label"),
            )
        )
    return cases


def load_replies(base: Path) -> list[ReplyCase]:
    folder = base / "replies"
    labels = json.loads((folder / "labels.json").read_text("utf-8"))
    return [
        ReplyCase(name=name, path=folder / name, expected_text=entry["expected_reply_text"])
        for name, entry in sorted(labels.items())
    ]
