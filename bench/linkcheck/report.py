"""The ``## Link checking (bench/linkcheck)`` section of ``bench/RESULTS.md``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.linkcheck.peers import Politeness
from bench.linkcheck.verdicts import Score, summarise_wrong
from bench.results import write_section as shared_write_section

HEADING = "## Link checking (bench/linkcheck)"
MAPPING = [
    "Prospector: its own `verdict` (and `status`) from `check --json`.",
    "lychee (`--format json`): `success_map` and `redirect_map` → live; `error_map` (any "
    "rejected status, TLS, DNS or connection failure, unparseable URL) → dead; `timeout_map` "
    "→ inconclusive (lychee counts timeouts apart from errors); `excluded_map` → skipped.",
    "linkinator (`--format json`): OK → live; BROKEN → dead; SKIPPED with an HTTP status "
    "(its bot-protection rule for 999 and Cloudflare 403 challenges: it cannot tell) → "
    "inconclusive; SKIPPED without one → skipped.",
    "LinkChecker (`-o csv`): valid=False → dead; valid=True with 'Access denied by "
    "robots.txt' or 'checked only syntax' → skipped; with its http-rate-limited warning → "
    "inconclusive; otherwise → live.",
    "A URL missing from a tool's output counts as wrong.",
]
NAMES = {
    "prospector": "Prospector",
    "lychee": "lychee",
    "linkinator": "linkinator",
    "linkchecker": "LinkChecker",
}


@dataclass
class ToolResult:
    tool: str
    wall_s: float | None = None
    rss_mb: float | None = None
    cpu_s: float | None = None
    requests: int | None = None
    request_mix: str = ""
    answered: int | None = None
    timed_out: bool = False
    load_score: Score | None = None
    tricky: Score | None = None
    tricky_wall_s: float | None = None
    tricky_requests: int | None = None
    note: str = ""

    def urls_per_s(self, n: int) -> float | None:
        """URLs checked per second (only those answered, when the run was stopped)."""
        done = self.answered if self.timed_out and self.answered is not None else n
        return done / self.wall_s if self.wall_s else None


@dataclass
class Report:
    command: str
    machine: list[str]
    urls: int
    hosts: int
    latency_ms: float
    politeness: Politeness
    tricky_politeness: Politeness
    tricky_cases: int
    tricky_not_ok: int
    ok_sample: int
    results: list[ToolResult]
    resolution: list[str]
    notes: list[str] = field(default_factory=list)
    date: str = ""


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None, ours: float | None) -> str:
    if value is None or not ours:
        return "—"
    return f"{value / ours:.2f}x"


def render_section(report: Report) -> str:
    ours = next((r for r in report.results if r.tool == "prospector"), None)
    n = report.urls
    lines = [HEADING, ""]
    if report.date:
        lines += [f"Run of {report.date}.", ""]
    lines += [
        "Each tool checks the same list of URLs on the local web, one tool at a time, with the",
        "server in a process of its own; wall time (start-up included), URLs/s, CPU time and",
        "peak RSS are the tool process's (`wait4`), requests are what the server received.",
        "Ratios are the tool's figure divided by Prospector's (for URLs/s, above 1x means",
        "faster than Prospector).",
        "",
        "```sh",
        report.command,
        "```",
        "",
        "**Machine:** " + "; ".join(report.machine),
        "",
        f"### Throughput: {n:,} unique URLs over {report.hosts:,} hosts, "
        f"{report.latency_ms:g} ms per response",
        "",
        "| tool | wall s | URLs/s | CPU s | peak RSS MB | requests | wall vs ours "
        "| URLs/s vs ours | RSS vs ours | right verdicts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.results:
        ups = r.urls_per_s(n)
        load = (
            f"{r.load_score.right:,}/{r.load_score.run:,}"
            if r.load_score is not None and r.load_score.run
            else "—"
        )
        lines.append(
            f"| {NAMES[r.tool]} | {_fmt(r.wall_s)} | {_fmt(ups)} | {_fmt(r.cpu_s)} | "
            f"{_fmt(r.rss_mb)} | "
            f"{r.requests if r.requests is not None else '—'} | "
            f"{_ratio(r.wall_s, ours.wall_s if ours else None)} | "
            f"{_ratio(ups, ours.urls_per_s(n) if ours else None)} | "
            f"{_ratio(r.rss_mb, ours.rss_mb if ours else None)} | {load} |"
        )
    mixes = [f"{NAMES[r.tool]}: {r.request_mix}" for r in report.results if r.request_mix]
    if mixes:
        lines += ["", "Requests the server received: " + " · ".join(mixes) + "."]
    lines += ["", *_targets(report), ""]
    lines += [
        f"### Verdict accuracy on the local web's tricky cases ({report.tricky_cases} URLs)",
        "",
        f"Every distinct link of the demo web's ground truth whose expected status is not `ok` "
        f"({report.tricky_not_ok}), plus a seeded sample of {report.ok_sample} `ok` ones; a "
        "verdict is right when it equals the truth's (live, dead, inconclusive, skipped). "
        "Prospector renders pages that need JavaScript (system Chromium); the peers cannot.",
        "",
        "| tool | cases run | right | accuracy | wall s | requests | not run |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in report.results:
        s = r.tricky
        if s is None:
            lines.append(f"| {NAMES[r.tool]} | — | — | — | — | — | not run |")
            continue
        acc = f"{100 * s.accuracy:.1f}%"
        if r.tool == "prospector":
            acc += f" (status: {100 * s.status_accuracy:.1f}%)"
        not_run = f"{len(s.not_run)}: " + ", ".join(s.not_run) if s.not_run else ""
        lines.append(
            f"| {NAMES[r.tool]} | {s.run} | {s.right} | {acc} | {_fmt(r.tricky_wall_s)} | "
            f"{r.tricky_requests if r.tricky_requests is not None else '—'} | {not_run} |"
        )
    lines += ["", "Cases each tool got wrong (expected status (verdict) → what it said):", ""]
    for r in report.results:
        if r.tricky is None:
            continue
        wrong = summarise_wrong(r.tricky.wrong)
        lines.append(
            f"- **{NAMES[r.tool]}**: " + ("none" if not wrong else f"{len(r.tricky.wrong)}")
        )
        lines += [f"  - {w}" for w in wrong]
    lines += [
        "",
        "### Politeness settings (the same for every tool, as far as each can express them)",
        "",
        "| setting | Prospector | lychee | linkinator | LinkChecker |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in report.politeness.rows()]
    if report.tricky_politeness != report.politeness:
        lines += [
            "",
            f"The tricky cases run with a time limit of {report.tricky_politeness.timeout_s:g} s "
            f"and {report.tricky_politeness.retries} retries, for every tool.",
        ]
    lines += ["", "### How each tool's output becomes a verdict", ""]
    lines += [f"- {x}" for x in MAPPING]
    lines += ["", "### How the peers reach the local web", ""]
    lines += [f"- {x}" for x in report.resolution]
    if report.notes:
        lines += ["", "### Notes", ""]
        lines += [f"- {x}" for x in report.notes]
    return "\n".join(lines).rstrip() + "\n"


def _targets(report: Report) -> list[str]:
    by = {r.tool: r for r in report.results}
    ours = by.get("prospector")
    out = []
    if ours is None or not ours.wall_s:
        return out
    mine = ours.urls_per_s(report.urls) or 0.0
    for tool, want in (("lychee", 0.8), ("linkchecker", 10.0)):
        peer = by.get(tool)
        if peer is None or not peer.wall_s:
            out.append(f"- Target vs {NAMES[tool]} ({want:g}x its URLs/s): not measured.")
            continue
        theirs = peer.urls_per_s(report.urls) or 0.0
        got = mine / theirs if theirs else 0.0
        verdict = "met" if got >= want else "**missed**"
        out.append(
            f"- Target: Prospector's URLs/s >= {want:g}x {NAMES[tool]}'s — {got:.2f}x, {verdict}."
        )
    return out


def write_section(results_md: Path, section: str) -> None:
    """Replace (or append) our section, leaving every other section as it is on disk now."""
    body = section.split("\n", 1)[1] if section.startswith(HEADING) else section
    shared_write_section(HEADING, body, results_md)
