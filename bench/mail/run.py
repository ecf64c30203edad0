"""Mail classification benchmark: bounces and human replies from ``shared/eval``.

    python -m bench.mail.run [--cli] [--verbose] [--no-write]

Data (read at run time, never copied): 117 real bounces from the GNU Mailman collection with
flufl.bounce's expected failed addresses, and 12 real replies from 12 mail clients with talon's
expected reply text (see ``labels.py`` and ``shared/eval/README.md``). Systems: ours
(``prospector.inbox.classify``), ours with only our own address extraction (no flufl.bounce),
and flufl.bounce itself as the peer. ``--cli`` runs ours through ``prospector inspect email
--json`` instead of in-process (same code, slower). Writes "## Mail classification" into
``bench/RESULTS.md`` through ``bench.results.write_section``: numbers and file names only.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.mail.labels import BounceCase, ReplyCase, eval_dir, load_bounces, load_replies
from bench.results import write_section
from prospector.inbox.bounces import flufl_failures
from prospector.inbox.classify import classify

HEADING = "## Mail classification"
COMMAND = "python -m bench.mail.run"
# Our own reading of the files the labels cannot score (no expected address).
OUR_READING = {
    "bounce_01.txt": "bounce",  # a non-standard notice about a full mailbox
    "dumbass_01.txt": "bounce",  # a delivery failure that names no address
    "simple_42.txt": "bounce",  # a DSN whose recipient address is truncated
    "simple_43.txt": "bounce",  # an invalid-user notice that names no address
    "groupwise_03.txt": "reply",  # a person's forward, not a bounce
    "qmail_08.txt": "auto_reply",  # an auto-responder's acknowledgement
}


@dataclass(frozen=True)
class Verdict:
    kind: str
    bounce_type: str | None
    recipients: frozenset[str]
    reason: str | None = None
    reply_text: str | None = None
    source: str | None = None  # where the failed recipients came from


System = Callable[[Path], Verdict]


def ours_inprocess(use_flufl: bool) -> System:
    def run(path: Path) -> Verdict:
        return _verdict(classify(path.read_bytes(), use_flufl=use_flufl).as_dict())

    return run


def ours_cli(path: Path) -> Verdict:
    done = subprocess.run(
        [sys.executable, "-m", "prospector", "inspect", "email", "--json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return Verdict("error", None, frozenset())
    return _verdict(json.loads(done.stdout))


def _verdict(data: dict[str, object]) -> Verdict:
    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    recipients = data.get("failed_recipients")
    evidence = data.get("evidence")
    evidence = evidence if isinstance(evidence, list) else []
    return Verdict(
        kind=str(data["kind"]),
        bounce_type=text("bounce_type"),
        recipients=frozenset(
            str(a).lower() for a in (recipients if isinstance(recipients, list) else [])
        ),
        reason=text("bounce_reason"),
        reply_text=text("reply_text"),
        source=next(
            (
                str(e).removeprefix("failed recipients from ")
                for e in evidence
                if str(e).startswith("failed recipients from ")
            ),
            None,
        ),
    )


def flufl(path: Path) -> Verdict:
    found = flufl_failures(path.read_bytes())
    if found is None:
        raise RuntimeError("flufl.bounce is not installed")
    temporary, permanent = found
    if not temporary and not permanent:
        return Verdict("not detected", None, frozenset())
    kind = "soft" if temporary and not permanent else "hard"
    return Verdict("bounce", kind, frozenset(a.lower() for a in [*temporary, *permanent]))


@dataclass
class BounceScore:
    name: str
    files: int
    detected: int
    tp: int
    fp: int
    fn: int
    superset: int
    typed: int
    agree: int
    disagreements: Counter[str]
    missed: list[str]
    secs: float
    hard_calls: int = 0  # files we call hard…
    hard_permanent: int = 0  # …that the label calls permanent
    temporary: int = 0  # files labelled temporary…
    temporary_soft: int = 0  # …that we call soft

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


def score_bounces(
    name: str, cases: Sequence[BounceCase], system: System
) -> tuple[BounceScore, dict[str, Verdict]]:
    start = time.perf_counter()
    verdicts = {c.name: system(c.path) for c in cases}
    secs = time.perf_counter() - start
    scored = [c for c in cases if c.expected]
    s = BounceScore(name, len(scored), 0, 0, 0, 0, 0, 0, 0, Counter(), [], secs)
    for case in scored:
        v = verdicts[case.name]
        if v.kind != "bounce":
            s.missed.append(case.name)
            s.fn += len(case.expected)
            continue
        s.detected += 1
        s.tp += len(v.recipients & case.expected)
        s.fp += len(v.recipients - case.expected)
        s.fn += len(case.expected - v.recipients)
        s.superset += case.expected <= v.recipients
        if case.failure_type:
            s.typed += 1
            want = "hard" if case.failure_type == "permanent" else "soft"
            s.hard_calls += v.bounce_type == "hard"
            s.hard_permanent += v.bounce_type == "hard" and case.failure_type == "permanent"
            s.temporary += case.failure_type == "temporary"
            s.temporary_soft += case.failure_type == "temporary" and v.bounce_type == "soft"
            if v.bounce_type == want:
                s.agree += 1
            else:
                s.disagreements[f"{case.failure_type} → {v.bounce_type}: {v.reason or '?'}"] += 1
    return s, verdicts


@dataclass
class ReplyScore:
    files: int
    as_reply: int
    exact: int
    exact_unsigned: int
    clean: int
    failures: list[str]


_QUOTE_RESIDUE = re.compile(
    r"^\s*>|wrote:\s*$|-{3,}\s*original message|^\s*(?:from|sent|subject):\s", re.I | re.M
)


def unsigned(text: str) -> str:
    """A label with its signature removed by a fixed rule, independent of ours: everything from
    a ``-- `` line on, and trailing "Sent from/with …" lines."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip() == "--":
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or re.match(r"\s*sent (?:from|with) ", lines[-1], re.I)):
        lines.pop()
    return "\n".join(lines)


def _norm(text: str) -> str:
    return " ".join(text.split())


def score_replies(cases: Sequence[ReplyCase], system: System) -> ReplyScore:
    s = ReplyScore(len(cases), 0, 0, 0, 0, [])
    for case in cases:
        v = system(case.path)
        got = v.reply_text or ""
        s.as_reply += v.kind == "reply"
        s.exact += _norm(got) == _norm(case.expected_text)
        s.exact_unsigned += _norm(got) == _norm(unsigned(case.expected_text))
        s.clean += not _QUOTE_RESIDUE.search(got)
        if v.kind != "reply" or _norm(got) != _norm(unsigned(case.expected_text)):
            s.failures.append(f"{case.name} ({v.kind})")
    return s


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.1f}%)" if d else "0/0"


def bounce_table(scores: Sequence[BounceScore]) -> str:
    lines = [
        "| system | detected as bounce | recipients P | recipients R | ⊇ expected "
        "| hard/soft = label | hard → permanent | temporary → soft | time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.name} | {_pct(s.detected, s.files)} | {s.precision:.3f} | {s.recall:.3f} | "
            f"{_pct(s.superset, s.files)} | {_pct(s.agree, s.typed)} | "
            f"{_pct(s.hard_permanent, s.hard_calls)} | {_pct(s.temporary_soft, s.temporary)} | "
            f"{s.secs:.1f}s |"
        )
    return "\n".join(lines)


def section(
    scores: Sequence[BounceScore],
    others: dict[str, tuple[str, str]],
    replies: ReplyScore,
    n_files: int,
    label_types: Counter[str],
    source_counts: Counter[str],
    total: float,
) -> str:
    ours = scores[0]
    sources = ", ".join(f"{where} {n}" for where, n in source_counts.most_common())
    disagreements = "\n".join(
        f"- {reason}: {n}"
        for reason, n in sorted(ours.disagreements.items(), key=lambda x: (-x[1], x[0]))
    )
    other_rows = "\n".join(
        f"| `{name}` | {reading} | {kind} |" for name, (reading, kind) in sorted(others.items())
    )
    missed = ", ".join(f"`{m}`" for m in ours.missed) or "none"
    return f"""Does `prospector inspect email` tell a bounce from a reply, name the failed recipients and
call the bounce hard or soft; and does it find the new text of a human reply? Data read at run
time from `shared/eval` (never copied): {n_files} real bounces from the GNU Mailman collection,
labelled with flufl.bounce's expected failed addresses, and 12 real replies from 12 mail
clients, labelled with talon's expected reply text.

**Bounces.** {ours.files} files name expected failed addresses ({label_types["permanent"]}
permanent, {label_types["temporary"]} temporary). *detected*: `kind == "bounce"`;
*recipients P/R*: `failed_recipients` against the expected addresses, pooled, case-insensitive;
*⊇ expected*: files whose `failed_recipients` hold every expected address (the README's
contract); *hard/soft = label*: hard ↔ permanent, soft ↔ temporary, over the detected files;
*hard → permanent*: of the files we call hard (and would suppress), how many the label calls
permanent; *temporary → soft*: of the delay warnings, how many we call soft.
The labels were written for flufl.bounce, so it scores near-perfectly by construction and is
no yardstick for detection or recipients. Ours reads the DSN fields and `X-Failed-Recipients`
first and asks flufl.bounce only when neither names anyone (where ours took its recipients on
the {ours.files} files: {sources}), so ours' recipient figures are largely flufl.bounce's;
"ours, own extraction" leaves flufl.bounce out and shows what our own DSN / header /
notice-text extraction finds. Hard or soft is always our own decision.

{bounce_table(scores)}

Ours missed: {missed}.

Hard/soft disagreements of ours with the labels, by the reason we gave. DESIGN.md §6 calls a
bounce hard only when the address will never work, so policy/spam rejections, full mailboxes,
expiry in a queue and bare 5.x.x codes with no reason are *soft* here, where Mailman's
"permanent" (it stopped retrying) calls them hard; these are deliberate. *unspecified failure*
is a notice that gives no reason at all (a "permanent error" with no detail, a bare 5.0.0);
*temporary failure* covers mail loops and DNS lookups that say to try again:

{disagreements or "- none"}

The {len(others)} files the labels cannot score (no expected address), with our own reading:

| file | our reading | ours |
|---|---|---|
{other_rows}

**Replies.** `kind == "reply"`: {_pct(replies.as_reply, replies.files)}. Reply text equal to
talon's label after whitespace normalisation: {_pct(replies.exact, replies.files)} (talon keeps
"Sent from my iPhone" and `-- ` signatures, which we strip on purpose); equal once the label's
signature is removed by a fixed rule too: {_pct(replies.exact_unsigned, replies.files)}; no
quote residue left
(`>` lines, "wrote:", "Original Message", From:/Sent:/Subject: lines):
{_pct(replies.clean, replies.files)}. Failing: {", ".join(f"`{f}`" for f in replies.failures) or "none"}.

Command (from the repository root; the whole run took {total:.1f}s):

    {COMMAND}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cli", action="store_true", help="run ours through the CLI")
    parser.add_argument("--verbose", action="store_true", help="print every file's verdict")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    base = eval_dir()
    if not (base / "bounces").is_dir() or not (base / "replies").is_dir():
        print(f"no evaluation data at {base} (set PROSPECTOR_EVAL_DIR)", file=sys.stderr)
        return 2
    began = time.perf_counter()
    bounces = load_bounces(base)
    ours: System = ours_cli if args.cli else ours_inprocess(True)
    systems: list[tuple[str, System]] = [
        ("ours", ours),
        ("ours, own extraction (no flufl.bounce)", ours_inprocess(False)),
    ]
    if flufl_failures(b"From: a@b\n\nx") is not None:
        systems.append(("flufl.bounce (peer)", flufl))
    else:
        print("flufl.bounce is not installed: peer skipped", file=sys.stderr)
    scores: list[BounceScore] = []
    ours_verdicts: dict[str, Verdict] = {}
    for name, system in systems:
        s, verdicts = score_bounces(name, bounces, system)
        scores.append(s)
        ours_verdicts = ours_verdicts or verdicts
    others = {
        c.name: (OUR_READING.get(c.name, "?"), ours_verdicts[c.name].kind)
        for c in bounces
        if not c.expected
    }
    replies = score_replies(load_replies(base), ours)
    if args.verbose:
        for case in bounces:
            v = ours_verdicts[case.name]
            print(
                f"{case.name:20} {v.kind:11} {v.bounce_type or '-':5} {case.failure_type or '-':9} "
                f"{v.reason or '':40} {sorted(v.recipients)} want {sorted(case.expected)}"
            )
    label_types = Counter(c.failure_type for c in bounces if c.expected and c.failure_type)
    source_counts = Counter(ours_verdicts[c.name].source or "none" for c in bounces if c.expected)
    body = section(
        scores,
        others,
        replies,
        len(bounces),
        label_types,
        source_counts,
        time.perf_counter() - began,
    )
    print(body)
    if not args.no_write:
        print(f"wrote {write_section(HEADING, body)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
