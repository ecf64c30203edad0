"""The ``none`` provider: search is off; no request is ever made."""

from __future__ import annotations

from prospector.discover.search.base import SearchProvider, SearchResult


class NoSearch(SearchProvider):
    name = "none"
    label = "no search provider"

    async def search(self, query: str, page: int) -> list[SearchResult]:
        return []
