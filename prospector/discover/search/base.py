"""The search-provider interface, and the HTTP plumbing the API providers share.

API endpoints are configured by the user and trusted, so they are called with a plain httpx
client (no private-address guard); ``network.resolve`` mappings and ``network.ca_bundle`` still
apply, so staging and test servers can be reached by host name.
"""

from __future__ import annotations

import html
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from prospector.config import Settings
from prospector.discover.search.ratelimit import Interval
from prospector.errors import (
    NameNotResolvedError,
    NetworkError,
    SearchError,
    SearchUnavailableError,
)
from prospector.web.http import GuardedTransport, ssl_context
from prospector.web.netguard import Resolver

_TAG = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True)
class SearchResult:
    """One organic result: where it points, what the engine said about it, its position."""

    url: str
    title: str
    snippet: str
    rank: int

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "snippet": self.snippet, "rank": self.rank}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SearchResult:
        return cls(
            url=str(data.get("url") or ""),
            title=str(data.get("title") or ""),
            snippet=str(data.get("snippet") or ""),
            rank=int(data.get("rank") or 0),
        )


class SearchProvider(ABC):
    """Answers one query page at a time. Raises ``SearchError`` (or a subclass) on failure."""

    name: ClassVar[str]  # the config value and the cache key: "searxng", "brave", "none"
    label: ClassVar[str]  # how messages name it: "SearXNG", "Brave Search"

    @abstractmethod
    async def search(self, query: str, page: int) -> list[SearchResult]:
        """Results of ``query`` on result page ``page`` (1-based); [] when there are no more."""

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> SearchProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def api_client(settings: Settings) -> httpx.AsyncClient:
    """A client for trusted API endpoints: timeouts, our User-Agent, ``network.resolve``."""
    resolver = Resolver(settings.network.resolve, allow_private=True)
    transport = GuardedTransport(
        resolver,
        ssl_context=ssl_context(settings.network.ca_bundle),
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(settings.search.timeout_s),
        follow_redirects=False,  # a redirect would carry the API key elsewhere; report it
        headers={"User-Agent": settings.fetch.user_agent, "Accept": "application/json"},
        trust_env=False,
    )


class ApiProvider(SearchProvider):
    """A provider behind an HTTP JSON API, with a minimum interval between requests."""

    def __init__(self, client: httpx.AsyncClient, min_interval_s: float) -> None:
        self.client = client
        self.interval = Interval(min_interval_s)
        self.requests = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(
        self, url: str, params: Mapping[str, str | int], headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """One GET, after waiting our turn; transport failures become ``SearchError``."""
        try:
            async with self.interval.turn():
                self.requests += 1
                return await self.client.get(url, params=dict(params), headers=dict(headers or {}))
        except httpx.TimeoutException:
            raise SearchError(
                self.name,
                f"{self.label} did not answer within {self.client.timeout.read}s "
                "(search.timeout_s)",
            ) from None
        except httpx.HTTPError as exc:
            detail = str(exc) or type(exc).__name__
            raise SearchError(self.name, f"{self.label} could not be reached: {detail}") from None
        except NameNotResolvedError as exc:
            kind = SearchError if exc.transient else SearchUnavailableError
            raise kind(self.name, f"{self.label} could not be reached: {exc}") from None
        except NetworkError as exc:  # refused by network.resolve rules
            raise SearchUnavailableError(
                self.name, f"{self.label} could not be reached: {exc}"
            ) from None

    def json_body(self, response: httpx.Response) -> Any:
        """The response's JSON, or a ``SearchError`` saying it was not JSON."""
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "unknown type")
            raise SearchError(
                self.name,
                f"{self.label} returned a response that is not JSON "
                f"(HTTP {response.status_code}, {kind})",
            ) from None


def text(value: Any, *, markup: bool = False) -> str:
    """A result field as clean text ('' for missing or non-string values).

    ``markup``: the field may carry highlighting tags and entities (``<strong>kw</strong>``).
    """
    if not isinstance(value, str):
        return ""
    if markup:
        value = html.unescape(_TAG.sub("", value))
    return " ".join(value.split())


def human_duration(seconds: float) -> str:
    """3 -> '3s', 125 -> '2m', 10800 -> '3h', 200000 -> '2d 7h'."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days, rest = divmod(seconds, 86400)
    hours = round(rest / 3600)
    return f"{days}d {hours}h" if hours else f"{days}d"
