"""Search results cached in the database: a query page answered within the TTL is not asked again."""

from __future__ import annotations

from dataclasses import dataclass

from prospector.discover.search.base import SearchProvider, SearchResult
from prospector.store.search import SearchStore


@dataclass(frozen=True)
class Answer:
    results: list[SearchResult]
    cached: bool


class CachedSearch:
    """A provider in front of the ``search_cache`` table (a TTL of 0 turns caching off)."""

    def __init__(self, provider: SearchProvider, store: SearchStore, ttl_s: float) -> None:
        self.provider = provider
        self.store = store
        self.ttl_s = ttl_s

    async def search(self, query: str, page: int) -> Answer:
        name = self.provider.name
        saved = self.store.cached_search(name, query, page, self.ttl_s)
        if saved is not None:
            return Answer([SearchResult.from_json(item) for item in saved], cached=True)
        results = await self.provider.search(query, page)
        self.store.save_search(name, query, page, [r.to_json() for r in results])
        return Answer(results, cached=False)
