"""Placement of one link, and the page's editorial text, from a :class:`Layout`."""

from __future__ import annotations

from prospector.web.extract.layout import Layout
from prospector.web.extract.links import is_share_url


def placement(layout: Layout, i: int, url: str) -> str:
    """content | navigation | header | footer | sidebar | comments | other."""
    if layout.in_comments[i]:
        return "comments"
    if is_share_url(url):
        return "other"
    zone, at = layout.zone[i], layout.zone_at[i]
    if layout.in_container(i):
        if zone is not None and layout.contains(layout.container, at):
            return zone
        return "content"
    return zone or "other"


def main_text(layout: Layout) -> str:
    """Text of the content container's blocks outside zones and hidden parts."""
    lines: list[str] = []
    for b in range(layout.container, layout.end[layout.container]):
        texts = layout.blocks.get(b)
        if not texts or layout.hidden[b] or layout.in_comments[b]:
            continue
        at = layout.zone_at[b]
        if at >= 0 and layout.contains(layout.container, at):
            continue
        line = " ".join(texts).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)
