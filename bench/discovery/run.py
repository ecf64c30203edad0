"""Discovery on the demo web's ground truth: ``python -m bench.discovery.run``.

Writes the ``## Discovery (bench/discovery)`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

from bench.discovery.evaluate import Evaluation, evaluate, settings_for
from bench.results import write_section
from prospector.demo.server import DemoWeb

HEADING = "## Discovery (bench/discovery)"


def section(ev: Evaluation) -> str:
    rows = [
        f"| {kind} | {s.expected} | {s.found} | {s.correct} | {s.precision:.2f} | {s.recall:.2f} |"
        for kind, s in ev.scores.items()
    ]
    first, second = ev.summaries[0], ev.summaries[-1]
    missed = [f"- {kind}: {item}" for kind, s in ev.scores.items() for item in s.missed]
    wrong = [f"- {kind}: {item}" for kind, s in ev.scores.items() for item in s.wrong]
    return "\n".join(
        [
            "The demo campaign (`prospector/demo/demo.toml`) run against the demo web, searching",
            "its SearXNG-format engine (`search.example`), twice: the second run gives dead links",
            "the confirming second check (`discovery.confirm_dead_after_hours = 0` here, so the",
            "runs may be minutes apart). Expected: the truth's resource and guest-post pages on",
            "sites about the topic, and its broken-link opportunities as (page, dead link) pairs.",
            "A prospect counts in any state (one held back by the one-per-domain rule was found).",
            "",
            "| type | expected | found | correct | precision | recall |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Wall time: first run {ev.run_seconds[0]:.1f}s ({first.pages} pages read, "
            f"{first.failed} not pages (mostly probed paths that 404), {first.links_checked} "
            f"links checked), second run {ev.run_seconds[-1]:.1f}s ({second.links_checked} links "
            f"re-checked). Machine: {platform.machine()}, Python {platform.python_version()}; "
            "demo web in the same process, no added latency.",
            "",
            "Missed:" if missed else "Missed: none.",
            *missed,
            "",
            "Wrongly found:" if wrong else "Wrongly found: none.",
            *wrong,
            "",
            "Command: `python -m bench.discovery.run`",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="prospector-bench-discovery-"))
    with DemoWeb(cert_dir=work) as web:
        ev = evaluate(settings_for(web, work))
    text = section(ev)
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
    return 0 if all(s.precision >= 0.9 and s.recall >= 0.9 for s in ev.scores.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
