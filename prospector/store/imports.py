"""Imported backlink exports."""

from __future__ import annotations

from prospector.store.base import StoreBase


class ImportsStore(StoreBase):
    """Imported backlink exports."""
