"""Rank lists and cached authority answers."""

from __future__ import annotations

from prospector.store.base import StoreBase


class AuthorityStore(StoreBase):
    """Rank lists and cached authority answers."""
