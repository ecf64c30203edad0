"""Rendering the report as one self-contained HTML file (Jinja with autoescape).

Everything from the web — page titles, URLs, anchors, reasons — is escaped, in text and in
attributes; a link is only made for an http(s) URL, so a ``javascript:`` URL found on a page
is shown as text and never becomes an ``href``. A Content-Security-Policy forbids scripts
and any network access; the charts are inline SVG.
"""

from __future__ import annotations

import functools
import re

from jinja2 import Environment, PackageLoader, StrictUndefined

from prospector.report import charts
from prospector.report.build import Report
from prospector.report.metrics import STAGES

MAX_PLACEMENT_ROWS = 500
MAX_DAILY_ROWS = 300
# An absolute http(s) URL with a host, and no whitespace or control characters anywhere
# (browsers drop some of those, which could turn 'java\tscript:' into a scheme).
_HTTP_URL = re.compile(r"https?://[^\s/?#\\]+[^\s\x00-\x1f\x7f]*", re.IGNORECASE)


# Characters a browser would percent-encode anyway; encoding them keeps an href inert even
# before the template's escaping.
_ENCODE = str.maketrans({'"': "%22", "'": "%27", "<": "%3C", ">": "%3E", "`": "%60"})


def safe_href(url: object) -> str | None:
    """``url`` when it is an absolute http(s) URL fit for an ``href`` (quotes and angle
    brackets percent-encoded); else None, and the URL is shown as text only."""
    if isinstance(url, str) and _HTTP_URL.fullmatch(url):
        return url.translate(_ENCODE)
    return None


def pct(value: object) -> str:
    return f"{value * 100:.1f}%" if isinstance(value, int | float) else "–"


def score(value: object) -> str:
    return f"{value:.0f}" if isinstance(value, int | float) else ""


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("prospector.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
    )
    env.filters.update(safe_href=safe_href, pct=pct, score=score)
    return env


def render_html(report: Report) -> str:
    """The report as an HTML document (a string)."""
    links = report.links
    anchors = [(str(a["anchor"]), int(a["links"])) for a in links["anchors"]]
    rel = [(kind, int(n)) for kind, n in links["rel"].items() if n or kind != "unknown"]
    periods = [
        (str(p["period"]), int(p["new"]), int(p["lost"])) for p in report.velocity["periods"]
    ]
    template = environment().get_template("report.html.j2")
    return template.render(
        report=report,
        stages=STAGES,
        placements=report.placements[:MAX_PLACEMENT_ROWS],
        daily=report.daily[:MAX_DAILY_ROWS],
        funnel_chart=charts.hbars(list(report.funnel.items()), "Funnel: prospects per stage"),
        velocity_chart=charts.velocity_bars(
            periods, f"New and lost links per {report.velocity['bucket']}"
        ),
        anchor_chart=charts.hbars(anchors, "Anchor text of current links", width=520),
        rel_chart=charts.hbars(rel, "Rel of current links", width=420),
    )
