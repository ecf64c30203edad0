"""The daily report: metrics from the store, inline-SVG charts, HTML, CSV and JSON."""

from __future__ import annotations

from prospector.report.build import Report, build_report
from prospector.report.job import produce, write_daily_report

__all__ = ["Report", "build_report", "produce", "write_daily_report"]
