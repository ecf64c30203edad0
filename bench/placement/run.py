"""Placement benchmark: which links of a real page are editorial content?

    python -m bench.placement.run [--no-render] [--no-trafilatura] [--pages a,b] [--no-write]

Data: Readability's test pages in ``shared/eval/placement`` (next to the repository, or
``$PROSPECTOR_EVAL_DIR``); read at run time, never copied. A link is *editorial* when it is in
Readability's expected article (see ``labels.py``). Scored per link, ``placement == "content"``
against editorial: pooled over all links (micro) and averaged over the pages that have at
least one editorial link (macro). Systems: Prospector on the raw HTML and on the DOM rendered
by Chromium (``render_html``, no network), the naive landmark/class rule, and trafilatura
(links of its HTML output, with each of its option presets). Writes the table into
``bench/RESULTS.md`` under "## Placement (bench/placement)".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.placement.labels import FAKE_BASE, Case, load_cases, norm_url
from bench.placement.metrics import Score, count, score
from bench.placement.systems import (
    TRAFILATURA_VARIANTS,
    align,
    naive,
    ours_raw,
    render_all,
    trafilatura_system,
)

REPO = Path(__file__).resolve().parents[2]
HEADING = "## Placement (bench/placement)"
COMMAND = "python -m bench.placement.run"


def eval_dir() -> Path:
    env = os.environ.get("PROSPECTOR_EVAL_DIR")
    base = Path(env) if env else REPO.parent / "shared" / "eval"
    return base / "placement" if (base / "placement").is_dir() else base


Row = tuple[str, Score, float]


def run_system(
    cases: Sequence[Case], fn: Callable[[Case], list[bool]]
) -> tuple[Score, float, dict[str, tuple[Sequence[bool], Sequence[bool]]]]:
    start = time.perf_counter()
    per_page = {c.name: (c.editorial, fn(c)) for c in cases}
    return score(per_page), time.perf_counter() - start, per_page


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| system | micro P | micro R | micro F1 | macro P | macro R | macro F1 | stray | time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s, secs in rows:
        m = s.micro
        lines.append(
            f"| {name} | {m.precision:.3f} | {m.recall:.3f} | {m.f1:.3f} | {s.macro_p:.3f} | "
            f"{s.macro_r:.3f} | {s.macro_f1:.3f} | {s.stray} | {secs:.1f}s |"
        )
    return "\n".join(lines)


def without_in_page(
    cases: Sequence[Case], per_page: dict[str, tuple[Sequence[bool], Sequence[bool]]]
) -> Score:
    """The same score over links to *other* documents (same-page ``#fragment`` links, such as
    Wikipedia's footnote markers, left out: trafilatura drops them by design)."""
    page = norm_url(FAKE_BASE)
    kept: dict[str, tuple[Sequence[bool], Sequence[bool]]] = {}
    for case in cases:
        gold, pred = per_page[case.name]
        keep = [i for i, link in enumerate(case.links) if link.key != page]
        kept[case.name] = ([gold[i] for i in keep], [pred[i] for i in keep])
    return score(kept)


def second_table(rows: Sequence[Row], other: dict[str, Score]) -> str:
    lines = [
        "| system | micro P | micro R | micro F1 | macro F1 |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, _, _ in rows:
        s = other[name]
        lines.append(
            f"| {name} | {s.micro.precision:.3f} | {s.micro.recall:.3f} | {s.micro.f1:.3f} | "
            f"{s.macro_f1:.3f} |"
        )
    return "\n".join(lines)


def worst_pages(per_page: dict[str, tuple[Sequence[bool], Sequence[bool]]], n: int = 6) -> str:
    scored = []
    for page, (gold, pred) in per_page.items():
        if any(gold):
            c = count(gold, pred)
            scored.append((c.f1, page, c))
    scored.sort()
    return ", ".join(
        f"`{page}` {f1:.2f} ({c.tp} TP, {c.fp} FP, {c.fn} FN)" for f1, page, c in scored[:n]
    )


def section(
    rows: Sequence[Row],
    cases: Sequence[Case],
    total_secs: float,
    other: dict[str, Score],
    worst: str,
) -> str:
    links = sum(len(c.links) for c in cases)
    editorial = sum(sum(c.editorial) for c in cases)
    page = norm_url(FAKE_BASE)
    in_page = sum(1 for c in cases for link in c.links if link.key == page)
    in_page_ed = sum(
        1
        for c in cases
        for link, ed in zip(c.links, c.editorial, strict=True)
        if ed and link.key == page
    )
    pages = sum(1 for c in cases if any(c.editorial))
    return f"""{HEADING}

Is a link part of the page's editorial content? {len(cases)} real pages from Readability's test
suite (`shared/eval/placement`, read at run time), {links} http(s) links, {editorial} of them
editorial (present in Readability's expected article after URL normalisation; copies of one
URL told apart by anchor text and surrounding text). Per link, `placement == "content"` against
editorial. *micro* pools all links; *macro* averages per-page P/R/F1 over the {pages} pages with
at least one editorial link; *stray* counts links called content on pages where nothing is
editorial. The labels are Readability.js's output, so they measure agreement with Readability,
not with a human (see `shared/eval/README.md`).

{table(rows)}

The same, leaving out same-page `#fragment` links ({in_page} of the links, {in_page_ed} of them
editorial; mostly Wikipedia's footnote markers, which trafilatura drops by design):

{second_table(rows, other)}

Command (from the repository root; the whole run took {total_secs:.0f}s, rendering included;
*time* is each system's own wall time, browser start-up included for the rendered run;
trafilatura needs `pip install trafilatura lxml_html_clean`):

    {COMMAND}

- *ours (raw)*: `prospector.web.extract.extract(html, "http://fakehost/test/page.html")`.
- *ours (rendered)*: the same extractor over Chromium's DOM (`prospector.web.render.render_html`,
  scripts run, every request but the page itself aborted).
- *naive*: content unless inside `nav`/`header`/`footer`/`aside` or an element whose class/id
  contains nav, menu, footer, sidebar, comment or widget.
- *trafilatura*: {_trafilatura_version()}, `extract(output_format="html", include_links=True,
  include_comments=False, include_tables=True, include_images=True)` with the named preset; its
  output links are its editorial set.

Lowest per-page F1 of ours (raw): {worst}. Front pages, galleries and Wikipedia's
navboxes/thumbnails are where our idea of "the content" and Readability's differ most.
"""


def _trafilatura_version() -> str:
    try:
        from importlib.metadata import version

        return f"trafilatura {version('trafilatura')}"
    except Exception:
        return "trafilatura (not installed)"


def write_results(text: str) -> Path:
    path = REPO / "bench" / "RESULTS.md"
    old = path.read_text("utf-8") if path.exists() else "# Benchmark results\n"
    start = old.find(HEADING)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(HEADING))
        new = old[:start] + text + ("" if nxt < 0 else "\n" + old[nxt + 1 :])
    path.write_text(new.rstrip("\n") + "\n", "utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-render", action="store_true", help="skip the Chromium run")
    parser.add_argument("--no-trafilatura", action="store_true", help="skip trafilatura")
    parser.add_argument("--pages", help="comma-separated case names (default: all)")
    parser.add_argument("--per-page", action="store_true", help="print per-page F1")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    folder = eval_dir()
    if not folder.is_dir():
        print(f"no evaluation data at {folder} (set PROSPECTOR_EVAL_DIR)", file=sys.stderr)
        return 2
    began = time.perf_counter()
    cases = load_cases(folder)
    if args.pages:
        wanted = set(args.pages.split(","))
        cases = [c for c in cases if c.name in wanted]
    rows: list[Row] = []
    details: dict[str, dict[str, tuple[Sequence[bool], Sequence[bool]]]] = {}

    def add(name: str, fn: Callable[[Case], list[bool]]) -> None:
        s, secs, per_page = run_system(cases, fn)
        rows.append((name, s, secs))
        details[name] = per_page
        print(table(rows[-1:]).splitlines()[-1], flush=True)

    print(table([]), flush=True)
    add("ours (raw HTML)", ours_raw)
    if not args.no_render:
        start = time.perf_counter()
        rendered = asyncio.run(render_all(cases))
        secs = time.perf_counter() - start
        s, _, per_page = run_system(cases, lambda c: align(c, rendered[c.name].links))
        rows.append(("ours (rendered DOM)", s, secs))
        details["ours (rendered DOM)"] = per_page
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    add("naive rule", naive)
    if not args.no_trafilatura:
        try:
            import trafilatura  # noqa: F401
        except ImportError as exc:
            print(f"trafilatura skipped ({exc}): pip install trafilatura lxml_html_clean")
        else:
            for preset, options in TRAFILATURA_VARIANTS.items():
                add(f"trafilatura ({preset})", trafilatura_system(options))
    if args.per_page:
        for name, per_page in details.items():
            print(f"\n{name}")
            for page, (gold, pred) in per_page.items():
                if any(gold) or any(pred):
                    c = count(gold, pred)
                    print(f"  {page:32} tp={c.tp:5} fp={c.fp:5} fn={c.fn:5} f1={c.f1:.3f}")
    other = {name: without_in_page(cases, details[name]) for name, _, _ in rows}
    print("\nwithout same-page #fragment links:\n" + second_table(rows, other))
    total = time.perf_counter() - began
    print(f"\n{len(cases)} pages in {total:.1f}s")
    if not args.no_write and not args.pages:
        worst = worst_pages(details["ours (raw HTML)"])
        print(f"wrote {write_results(section(rows, cases, total, other, worst))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
