"""One full prospecting run, in the process being measured.

    python -m bench.e2e.worker --config prospector.toml --out result.json

Runs the real ``prospector.pipeline.prospect(settings, ["e2e"], progress)`` (discover, link
checks, qualify, draft) and writes what happened as JSON: the stage boundaries, the progress
events, the run's summary, what the browser rendered and when, counts from the database, and
this process's peak RSS and CPU time. Timing only *wraps* the pipeline's own functions
(``discover``, ``qualify`` and ``draft_campaign`` as ``prospector.pipeline`` calls them, and
``BrowserSession.settle``); nothing the pipeline does is changed.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from prospector import pipeline
from prospector.config import load_settings
from prospector.web import browser

P = ParamSpec("P")
R = TypeVar("R")
CAMPAIGN = "e2e"


class Timeline:
    """Monotonic timestamps relative to the start of the run."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.spans: dict[str, list[float]] = {}
        self.progress_events: dict[str, dict[str, float]] = {}
        self.progress_times: dict[str, list[float]] = {}
        self.renders: list[tuple[str, float, float, bool]] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def progress(self, campaign: str, stage: str, done: int, total: int) -> None:
        now = self.now()
        seen = self.progress_events.setdefault(stage, {"first": now, "count": 0, "total": 0})
        seen["last"] = now
        seen["count"] += 1
        seen["done"] = done
        seen["total"] = max(seen["total"], total)
        self.progress_times.setdefault(stage, []).append(now)

    def quantiles(self) -> dict[str, dict[str, float]]:
        """When each stage had reported 50, 90 and 99% of its progress events."""
        out = {}
        for stage, times in self.progress_times.items():
            out[stage] = {
                f"p{q}": times[min(len(times) - 1, len(times) * q // 100)] for q in (50, 90, 99)
            }
        return out

    def span_async(self, name: str, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            start = self.now()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.spans[name] = [start, self.now()]

        return timed

    def span_sync(self, name: str, fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            start = self.now()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spans[name] = [start, self.now()]

        return timed

    def instrument(self) -> None:
        """Wrap the pipeline's stages (as ``prospector.pipeline`` calls them) and ``settle``."""
        wrappers: list[tuple[str, str, Callable[[str, Any], Any]]] = [
            ("discover", "discover", self.span_async),
            ("qualify", "qualify", self.span_async),
            ("draft_campaign", "draft", self.span_sync),
        ]
        for attribute, span, wrap in wrappers:
            setattr(pipeline, attribute, wrap(span, getattr(pipeline, attribute)))
        settle = browser.BrowserSession.settle
        timeline = self

        async def timed_settle(
            session: browser.BrowserSession, url: str, settle_ms: int = 2500
        ) -> browser.Rendered | None:
            start = timeline.now()
            rendered = await settle(session, url, settle_ms)
            timeline.renders.append((url, start, timeline.now(), rendered is not None))
            return rendered

        setattr(browser.BrowserSession, "settle", timed_settle)  # noqa: B010


def database_counts(path: Path) -> dict[str, Any]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:

        def grouped(sql: str) -> dict[str, int]:
            return {str(k): int(v) for k, v in db.execute(sql).fetchall()}

        return {
            "pages": db.execute("SELECT COUNT(*) FROM pages").fetchone()[0],
            "pages_rendered": db.execute(
                "SELECT COUNT(*) FROM pages WHERE rendered = 1"
            ).fetchone()[0],
            "links": db.execute("SELECT COUNT(*) FROM links").fetchone()[0],
            "outbound_links": db.execute(
                "SELECT COUNT(*) FROM links WHERE internal = 0 AND placement = 'content' "
                "AND href LIKE 'http%'"
            ).fetchone()[0],
            "checks": db.execute("SELECT COUNT(*) FROM url_checks").fetchone()[0],
            "checks_by_verdict": grouped(
                "SELECT verdict, COUNT(*) FROM url_checks GROUP BY verdict ORDER BY 1"
            ),
            "checks_by_status": grouped(
                "SELECT status, COUNT(*) FROM url_checks GROUP BY status ORDER BY 1"
            ),
            "prospects_by_type_state": grouped(
                "SELECT type || ':' || state, COUNT(*) FROM prospects GROUP BY 1 ORDER BY 1"
            ),
            "messages": db.execute("SELECT COUNT(*) FROM messages").fetchone()[0],
        }
    finally:
        db.close()


def run(config: Path) -> dict[str, Any]:
    settings = load_settings(config, env={})
    timeline = Timeline()
    timeline.instrument()
    summaries = pipeline.prospect(settings, [CAMPAIGN], progress=timeline.progress)
    wall = timeline.now()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    summary = summaries[0]
    return {
        "wall_s": wall,
        "spans": timeline.spans,
        "progress": timeline.progress_events,
        "progress_quantiles": timeline.quantiles(),
        "renders": timeline.renders,
        "summary": {
            "pages": summary.pages,
            "failed": summary.failed,
            "candidates": dict(summary.candidates),
            "page_types": dict(summary.page_types),
            "links_checked": summary.links_checked,
            "links_reused": summary.links_reused,
            "dead_confirmed": summary.dead_confirmed,
            "dead_pending": summary.dead_pending,
            "prospects": dict(summary.prospects),
            "held": dict(summary.held),
            "qualified": summary.qualified,
            "spam_rejected": summary.spam_rejected,
            "drafts": summary.drafts,
            "discovery_elapsed_s": summary.elapsed_s,
            "notes": summary.notes,
        },
        "database": database_counts(settings.database),
        "python_peak_rss_mb": usage.ru_maxrss / 1024.0,
        "python_cpu_s": usage.ru_utime + usage.ru_stime,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = run(args.config)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
