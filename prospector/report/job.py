"""The report jobs: the daily HTML file the scheduled agent writes, and the command's files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prospector.config import Settings
from prospector.report.build import Report, build_report
from prospector.report.export import (
    LINK_COLUMNS,
    PROSPECT_COLUMNS,
    csv_text,
    private_dir,
    write_private,
)
from prospector.report.html import render_html


@dataclass
class Produced:
    """The report and the files written from it (what -> path)."""

    report: Report
    written: dict[str, Path] = field(default_factory=dict)


def report_path(settings: Settings, now: datetime) -> Path:
    return settings.reports_dir / f"report-{now.astimezone(UTC).date().isoformat()}.html"


def write_daily_report(
    settings: Settings, *, since: str | None = None, now: datetime | None = None
) -> Path:
    """Write today's (UTC) report to ``reports_dir/report-YYYY-MM-DD.html`` (the folder is
    created 0700, the file is 0600 and replaced atomically) and return its path."""
    now = now or datetime.now(UTC)
    report = build_report(settings, since, now=now)
    private_dir(settings.reports_dir)
    return write_private(report_path(settings, now), render_html(report))


def produce(
    settings: Settings,
    *,
    since: str | None = None,
    html: Path | None = None,
    csv_prospects: Path | None = None,
    csv_links: Path | None = None,
) -> Produced:
    """Build the report and write the files asked for: the HTML report, the daily list and
    the links as CSV (every file 0600)."""
    out = Produced(build_report(settings, since))
    if html is not None:
        out.written["html"] = write_private(html, render_html(out.report))
    if csv_prospects is not None:
        text = csv_text(out.report.daily, PROSPECT_COLUMNS)
        out.written["prospects"] = write_private(csv_prospects, text)
    if csv_links is not None:
        text = csv_text(out.report.placements, LINK_COLUMNS)
        out.written["links"] = write_private(csv_links, text)
    return out
