"""Earned links (placements) and their check history; syndicated copies and theirs."""

from __future__ import annotations

from prospector.store.base import StoreBase


class PlacementsStore(StoreBase):
    """Placements, placement checks, syndicated copies and their checks."""
