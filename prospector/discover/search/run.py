"""The search step of discovery: run a campaign's queries, keep the result URLs as candidates."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from prospector.campaigns import Campaign
from prospector.config import Settings
from prospector.discover.search.base import SearchProvider
from prospector.discover.search.cache import CachedSearch
from prospector.discover.search.footprints import Query, queries
from prospector.discover.search.providers import make_provider
from prospector.errors import SearchError, SearchUnavailableError
from prospector.store import Store
from prospector.store.discovery import Candidate
from prospector.web.urls import dedupe_key, host_of

MAX_CONSECUTIVE_FAILURES = 5


@dataclass(frozen=True)
class QueryFailure:
    query: str
    page: int
    error: str


@dataclass
class SearchSummary:
    """What one search step did."""

    provider: str
    queries: int = 0  # queries the campaign asks
    pages: int = 0  # result pages read (asked or cached)
    requests: int = 0  # result pages asked of the provider
    cached: int = 0  # result pages answered from the cache
    results: int = 0  # results seen, duplicates included
    urls: int = 0  # distinct usable result URLs
    excluded: int = 0  # distinct result URLs dropped by the campaign's exclusions
    added: int = 0  # candidates that were new for the campaign
    failures: list[QueryFailure] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "queries": self.queries,
            "pages": self.pages,
            "requests": self.requests,
            "cached": self.cached,
            "results": self.results,
            "urls": self.urls,
            "excluded": self.excluded,
            "added": self.added,
            "failed": len(self.failures),
        }

    def __str__(self) -> str:
        text = (
            f"search ({self.provider}): {self.queries} queries, {self.requests} requests, "
            f"{self.cached} cached pages, {self.results} results, {self.urls} URLs, "
            f"{self.added} new candidates"
        )
        if self.failures:
            text += f", {len(self.failures)} failed (first: {self.failures[0].error})"
        return text


async def discover_from_search(
    settings: Settings,
    campaign: Campaign,
    store: Store,
    run_id: int | None = None,
    *,
    provider: SearchProvider | None = None,
) -> SearchSummary:
    """Run every query of the campaign (pages 1..``pages_per_query``) and add the result URLs,
    de-duplicated, as ``search`` candidates whose ``source_detail`` is the query.

    A failure of one query is recorded in the summary and the others go on. A bad key, an
    exhausted quota, an endpoint that refuses the API, or too many failures in a row stop the
    step with that ``SearchError`` (what was found before stays in the store).
    """
    chosen = provider.name if provider else settings.search.provider
    planned = queries(campaign)
    summary = SearchSummary(provider=chosen, queries=len(planned))
    if chosen == "none" or not planned:
        return summary
    async with contextlib.AsyncExitStack() as stack:
        if provider is None:  # ours to close; a caller's provider stays open
            provider = await stack.enter_async_context(make_provider(settings))
        search = CachedSearch(provider, store, settings.search.cache_ttl_hours * 3600)
        runner = _Runner(settings, campaign, store, run_id, search, summary)
        for query in planned:
            await runner.run(query)
    return summary


class _Runner:
    def __init__(
        self,
        settings: Settings,
        campaign: Campaign,
        store: Store,
        run_id: int | None,
        search: CachedSearch,
        summary: SearchSummary,
    ) -> None:
        self.pages = settings.search.pages_per_query
        self.campaign = campaign
        self.store = store
        self.run_id = run_id
        self.search = search
        self.summary = summary
        self.exclude = Exclusions(campaign)
        self.seen: set[str] = set()
        self.failures_in_a_row = 0

    async def run(self, query: Query) -> None:
        found: list[Candidate] = []
        for page in range(1, self.pages + 1):
            try:
                answer = await self.search.search(query.text, page)
            except SearchError as exc:
                if exc.stops_search:
                    raise
                self._failed(query, page, exc)
                break
            self.failures_in_a_row = 0
            self.summary.pages += 1
            self.summary.cached += answer.cached
            self.summary.requests += not answer.cached
            self.summary.results += len(answer.results)
            for result in answer.results:
                url = _usable(result.url)
                if url is None or url in self.seen:
                    continue
                self.seen.add(url)
                if self.exclude.matches(url):
                    self.summary.excluded += 1
                    continue
                self.summary.urls += 1
                found.append(Candidate(url, "search", query.text))
            if not answer.results:
                break  # no more pages
        if found:
            self.summary.added += self.store.add_candidates(self.campaign.name, found, self.run_id)

    def _failed(self, query: Query, page: int, exc: SearchError) -> None:
        self.summary.failures.append(QueryFailure(query.text, page, str(exc)))
        self.failures_in_a_row += 1
        if self.failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
            raise SearchUnavailableError(
                exc.provider,
                f"search stopped after {self.failures_in_a_row} failed queries in a row; "
                f"last: {exc}",
            )


def _usable(url: str) -> str | None:
    """The result URL as stored (normalised, tracking parameters dropped), if http(s)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return dedupe_key(url)


class Exclusions:
    """The campaign's excluded domains and URL patterns, and its own target sites."""

    def __init__(self, campaign: Campaign) -> None:
        self.domains = {d.removeprefix("www.") for d in campaign.exclusions.domains}
        self.domains |= {host_of(t.url).removeprefix("www.") for t in campaign.targets}
        self.patterns = [re.compile(p) for p in campaign.exclusions.url_patterns]

    def matches(self, url: str) -> bool:
        host = host_of(url).removeprefix("www.")
        for domain in self.domains:
            if domain.startswith("*."):
                if host == domain[2:] or host.endswith(domain[1:]):
                    return True
            elif host == domain:
                return True
        return any(p.search(url) for p in self.patterns)
