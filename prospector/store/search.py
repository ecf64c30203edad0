"""The search-results cache: one row per (provider, query, page), with when it was fetched."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from prospector.models import utcnow
from prospector.store.base import StoreBase


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class SearchStore(StoreBase):
    """The search-results cache."""

    def cached_search(
        self,
        provider: str,
        query: str,
        page: int,
        max_age_s: float,
        now: datetime | None = None,
    ) -> list[dict[str, Any]] | None:
        """The results saved for this query and page if younger than ``max_age_s``, else None.

        ``max_age_s <= 0`` disables the cache (always None).
        """
        if max_age_s <= 0:
            return None
        row = self.db.execute(
            "SELECT fetched_at, results FROM search_cache "
            "WHERE provider = ? AND query = ? AND page = ?",
            [provider, query, page],
        ).fetchone()
        if row is None:
            return None
        fetched = _parse_time(row[0])
        if fetched is None:
            return None
        age = ((now or datetime.now(UTC)) - fetched).total_seconds()
        if age > max_age_s or age < -60:  # too old, or from a clock far in the future
            return None
        try:
            results = json.loads(row[1] or "[]")
        except json.JSONDecodeError:
            return None
        if not isinstance(results, list):
            return None
        return [dict(item) for item in results if isinstance(item, dict)]

    def save_search(
        self,
        provider: str,
        query: str,
        page: int,
        results: Sequence[Mapping[str, Any]],
        fetched_at: str | None = None,
    ) -> None:
        """Save (replacing) the results of one query page, fetched now unless told otherwise."""
        with self.transaction():
            self.db.table("search_cache").upsert(
                {
                    "provider": provider,
                    "query": query,
                    "page": page,
                    "fetched_at": fetched_at or utcnow(),
                    "results": json.dumps([dict(item) for item in results]),
                },
                pk=("provider", "query", "page"),
            )

    def forget_searches(self, provider: str | None = None) -> int:
        """Drop cached results (of one provider, or all); return how many pages were dropped."""
        with self.transaction():
            if provider is None:
                cursor = self.db.execute("DELETE FROM search_cache")
            else:
                cursor = self.db.execute("DELETE FROM search_cache WHERE provider = ?", [provider])
            return int(cursor.rowcount)
