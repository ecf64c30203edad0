"""Search providers behind one interface, the queries campaigns ask, and the search step.

``discover_from_search(settings, campaign, store, run_id)`` is the entry point; the provider is
chosen by ``search.provider`` (``none``, ``searxng`` or ``brave``).
"""

from prospector.discover.search.base import SearchProvider, SearchResult
from prospector.discover.search.footprints import DEFAULT_FOOTPRINTS, Query, queries
from prospector.discover.search.providers import make_provider
from prospector.discover.search.run import QueryFailure, SearchSummary, discover_from_search

__all__ = [
    "DEFAULT_FOOTPRINTS",
    "Query",
    "QueryFailure",
    "SearchProvider",
    "SearchResult",
    "SearchSummary",
    "discover_from_search",
    "make_provider",
    "queries",
]
