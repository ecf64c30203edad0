"""Candidate pages (the resumable discovery frontier) and prospects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from prospector.models import utcnow
from prospector.store.base import StoreBase


@dataclass(frozen=True)
class Candidate:
    """A page discovery should look at, and where it came from."""

    url: str
    source: str  # search | seed | site | sitemap | explore | probe | import
    source_detail: str = ""


class DiscoveryStore(StoreBase):
    """Candidate pages (the resumable discovery frontier) and prospects."""

    def add_candidates(
        self, campaign: str, candidates: Iterable[Candidate], run_id: int | None = None
    ) -> int:
        """Add candidates not yet known for the campaign; return how many were new."""
        now = utcnow()
        rows = [
            {
                "campaign": campaign,
                "url": c.url,
                "source": c.source,
                "source_detail": c.source_detail,
                "found_at": now,
                "state": "new",
                "attempts": 0,
                "run_id": run_id,
            }
            for c in candidates
        ]
        if not rows:
            return 0
        with self.transaction():
            before = self.db.table("candidates").count
            self.db.table("candidates").insert_all(rows, ignore=True)
            return self.db.table("candidates").count - before

    def pending_candidates(self, campaign: str, limit: int | None = None) -> list[dict[str, Any]]:
        return list(
            self.db.table("candidates").rows_where(
                "campaign = ? AND state = 'new'", [campaign], order_by="id", limit=limit
            )
        )

    def pending_count(self, campaign: str) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM candidates WHERE campaign = ? AND state = 'new'", [campaign]
        ).fetchone()
        return int(row[0])

    def finish_candidate(self, candidate_id: int, state: str, detail: str = "") -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE candidates SET state = ?, detail = ?, attempts = attempts + 1 WHERE id = ?",
                [state, detail, candidate_id],
            )

    def candidates(self, campaign: str) -> list[dict[str, Any]]:
        return list(
            self.db.table("candidates").rows_where("campaign = ?", [campaign], order_by="id")
        )

    def topical_hosts(self, campaign: str) -> set[str]:
        """Hosts (after redirects) of the pages the campaign's discovery found on topic."""
        rows = self.db.execute(
            "SELECT DISTINCT p.host FROM candidates c JOIN pages p ON p.url = c.url "
            "WHERE c.campaign = ? AND c.state = 'done' "
            "AND json_extract(c.detail, '$.on_topic') = 1",
            [campaign],
        )
        return {str(row[0]) for row in rows.fetchall()}

    def latest_checks(self, urls: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The most recent check of each URL, if any."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(urls), 500):
            chunk = list(urls[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.query(
                f"SELECT * FROM url_checks WHERE url IN ({marks}) ORDER BY checked_at, id",
                chunk,
            ):
                out[row["url"]] = row
        return out

    def campaign_outbound_links(self, campaign: str) -> list[dict[str, Any]]:
        """External content links on the campaign's on-topic pages (from its crawled frontier)."""
        rows = self.db.query(
            """
            SELECT c.detail AS classification, p.id AS page_id, p.final_url AS page_url,
                   p.title AS page_title, l.href, l.anchor
            FROM candidates c
            JOIN pages p ON p.url = c.url
            JOIN links l ON l.page_id = p.id
            WHERE c.campaign = ? AND c.state = 'done'
              AND json_extract(c.detail, '$.on_topic') = 1
              AND l.placement = 'content' AND l.internal = 0
              AND (l.visible IS NULL OR l.visible = 1)
              AND (l.href LIKE 'http://%' OR l.href LIKE 'https://%')
            ORDER BY p.id, l.id
            """,
            [campaign],
        )
        return list(rows)
