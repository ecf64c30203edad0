"""Choosing the provider that ``search.provider`` names."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from prospector.config import Settings
from prospector.discover.search.base import SearchProvider
from prospector.discover.search.brave import BraveProvider
from prospector.discover.search.none import NoSearch
from prospector.discover.search.searxng import SearxngProvider


def make_provider(
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
) -> SearchProvider:
    """The configured provider, ready to use (close it, or use it with ``async with``).

    Raises ``SearchAuthError`` at once when Brave is chosen and its key variable is unset.
    """
    name = settings.search.provider
    if name == "searxng":
        return SearxngProvider(settings, client)
    if name == "brave":
        return BraveProvider(settings, client, env)
    return NoSearch()
