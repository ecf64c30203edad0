"""Imported backlink exports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prospector.models import utcnow
from prospector.store.base import StoreBase


@dataclass(frozen=True)
class Backlink:
    """One row of a backlink export: a page (``source_url``) linking to ``target_url``."""

    source_url: str
    target_url: str = ""  # "" when the export does not say (Search Console's links export)
    anchor: str | None = None
    nofollow: bool | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    tool: str = "generic"  # ahrefs | semrush | moz | gsc | generic
    file: str = ""
    line: int = 0


class ImportsStore(StoreBase):
    """Imported backlink exports."""

    def add_backlinks(
        self, campaign: str, backlinks: Iterable[Backlink], run_id: int | None = None
    ) -> int:
        """Add backlinks not yet known for the campaign (by source and target URL); return
        how many were new. Importing the same rows again adds nothing."""
        now = utcnow()
        rows = [
            (
                campaign,
                b.source_url,
                b.target_url,
                b.anchor,
                None if b.nofollow is None else int(b.nofollow),
                b.first_seen,
                b.last_seen,
                json.dumps(dict(b.metrics), ensure_ascii=False, sort_keys=True),
                b.tool,
                b.file,
                b.line,
                now,
            )
            for b in backlinks
        ]
        if not rows:
            return 0
        conn = self.db.conn
        with self.transaction():
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO backlinks (campaign, source_url, target_url, anchor, "
                "nofollow, first_seen, last_seen, metrics, tool, file, line, imported_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return conn.total_changes - before

    def backlinks(self, campaign: str) -> list[dict[str, Any]]:
        """The campaign's imported backlinks in import order, ``metrics`` decoded."""
        out = []
        for row in self.db.table("backlinks").rows_where("campaign = ?", [campaign], order_by="id"):
            item = dict(row)
            item["metrics"] = json.loads(item["metrics"] or "{}")
            out.append(item)
        return out

    def backlink_count(self, campaign: str) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM backlinks WHERE campaign = ?", [campaign]
        ).fetchone()
        return int(row[0]) if row else 0
