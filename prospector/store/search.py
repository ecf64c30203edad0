"""The search-results cache."""

from __future__ import annotations

from prospector.store.base import StoreBase


class SearchStore(StoreBase):
    """The search-results cache."""
