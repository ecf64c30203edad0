"""Candidate pages (the resumable discovery frontier) and prospects."""

from __future__ import annotations

from prospector.store.base import StoreBase


class DiscoveryStore(StoreBase):
    """Candidate pages (the resumable discovery frontier) and prospects."""
