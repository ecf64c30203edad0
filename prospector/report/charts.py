"""Inline SVG charts: no scripts, no external resources, every label HTML-escaped.

Each function returns ``Markup`` (safe to drop into the autoescaping template) because every
piece of text it contains went through ``html.escape`` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

FONT = 'font-family="system-ui, -apple-system, \'Segoe UI\', sans-serif" font-size="12"'
BAR = "#3b6ea8"
NEW = "#2e8b57"
LOST = "#c0392b"
MUTED = "#666666"
LABEL_CHARS = 26


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    head = (
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(label)}" {FONT}>'
        f"<title>{_e(label)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")  # every part was escaped above


def _empty(label: str, width: int = 480) -> Markup:
    text = f'<text x="8" y="24" fill="{MUTED}">nothing yet</text>'
    return _svg(width, 40, label, [text])


def hbars(
    items: Sequence[tuple[str, int]], label: str, *, colour: str = BAR, width: int = 560
) -> Markup:
    """Horizontal bars, one per (label, value), with the value written after each bar."""
    if not items or not any(value for _, value in items):
        return _empty(label, width)
    row, left, right = 24, 190, 60
    top = max(value for _, value in items) or 1
    span = width - left - right
    parts = []
    for i, (name, value) in enumerate(items):
        y = i * row + 4
        length = max(1.0, span * value / top) if value else 0.0
        parts.append(
            f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">'
            f"<title>{_e(name)}</title>{_e(_short(name))}</text>"
            f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{row - 8}" fill="{colour}" '
            'rx="2"/>'
            f'<text x="{left + length + 6:.1f}" y="{y + 13}" class="value">{value}</text>'
        )
    return _svg(width, len(items) * row + 8, label, parts)


def velocity_bars(
    periods: Sequence[tuple[str, int, int]], label: str, *, width: int = 720
) -> Markup:
    """Paired vertical bars per period: new links (green) and lost links (red)."""
    if not periods:
        return _empty(label, width)
    height, bottom, top_pad, left = 220, 44, 26, 36
    plot = height - bottom - top_pad
    top = max(max(new, lost) for _, new, lost in periods) or 1
    slot = (width - left - 8) / len(periods)
    bar = max(2.0, min(18.0, slot / 2 - 2))
    base = height - bottom
    parts = [
        f'<line x1="{left}" y1="{base}" x2="{width - 4}" y2="{base}" stroke="{MUTED}"/>',
        f'<text x="{left}" y="14" fill="{NEW}">■ new</text>',
        f'<text x="{left + 60}" y="14" fill="{LOST}">■ lost</text>',
        f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end" fill="{MUTED}">{top}</text>',
        f'<text x="{left - 6}" y="{base}" text-anchor="end" fill="{MUTED}">0</text>',
    ]
    every = max(1, round(len(periods) / 12))  # at most about a dozen x labels
    for i, (name, new, lost) in enumerate(periods):
        centre = left + slot * i + slot / 2
        for value, colour, x in ((new, NEW, centre - bar - 1), (lost, LOST, centre + 1)):
            size = plot * value / top
            parts.append(
                f'<rect x="{x:.1f}" y="{base - size:.1f}" width="{bar:.1f}" '
                f'height="{size:.1f}" fill="{colour}"><title>{_e(name)}: {value}</title></rect>'
            )
            if value:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{base - size - 3:.1f}" '
                    f'text-anchor="middle" font-size="10">{value}</text>'
                )
        if i % every == 0:
            parts.append(
                f'<text x="{centre:.1f}" y="{base + 16}" text-anchor="middle" '
                f'font-size="10" fill="{MUTED}">{_e(name[-5:] if len(name) == 10 else name)}'
                "</text>"
            )
    return _svg(width, height, label, parts)
