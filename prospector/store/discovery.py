"""Candidate pages (the resumable discovery frontier) and prospects."""

from __future__ import annotations

from collections.abc import Iterable
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
            {"campaign": campaign, "url": c.url, "source": c.source,
             "source_detail": c.source_detail, "found_at": now, "state": "new",
             "attempts": 0, "run_id": run_id}
            for c in candidates
        ]
        if not rows:
            return 0
        with self.transaction():
            before = self.db.table("candidates").count
            self.db.table("candidates").insert_all(rows, ignore=True)
            return self.db.table("candidates").count - before

    def pending_candidates(self, campaign: str, limit: int | None = None) -> list[dict[str, Any]]:
        return list(self.db.table("candidates").rows_where(
            "campaign = ? AND state = 'new'", [campaign], order_by="id", limit=limit))

    def finish_candidate(self, candidate_id: int, state: str, detail: str = "") -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE candidates SET state = ?, detail = ?, attempts = attempts + 1 "
                "WHERE id = ?", [state, detail, candidate_id])

    def candidates(self, campaign: str) -> list[dict[str, Any]]:
        return list(self.db.table("candidates").rows_where(
            "campaign = ?", [campaign], order_by="id"))
