"""SearXNG: a self-hosted metasearch engine, through its JSON API.

``GET {searxng_url}/search?q=...&format=json&pageno=N`` answers ``{"results": [{"url",
"title", "content", ...}], "unresponsive_engines": [[engine, reason], ...], ...}``. An instance
answers 403 when JSON output is not enabled (``search.formats`` in its settings.yml) and 429 when
its limiter (bot detection) blocks us.
"""

from __future__ import annotations

from typing import Any

import httpx

from prospector.config import Settings
from prospector.discover.search.base import ApiProvider, SearchResult, api_client, text
from prospector.errors import SearchError, SearchQuotaError, SearchUnavailableError


class SearxngProvider(ApiProvider):
    name = "searxng"
    label = "SearXNG"

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        super().__init__(client or api_client(settings), settings.search.min_interval_s)
        self.base_url = settings.search.searxng_url
        self.per_page = settings.search.results_per_query

    async def search(self, query: str, page: int) -> list[SearchResult]:
        url = f"{self.base_url}/search"
        response = await self.get(url, {"q": query, "format": "json", "pageno": page})
        if response.status_code != 200:
            raise self._error(response)
        data = self.json_body(response)
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise SearchError(self.name, f"{self.label} at {self.base_url}: no 'results' list")
        raw = [item for item in data["results"] if isinstance(item, dict)]
        if not raw and data.get("unresponsive_engines"):
            engines = _engines(data["unresponsive_engines"])
            raise SearchError(
                self.name,
                f"{self.label} at {self.base_url} found nothing because its engines failed: "
                f"{engines}",
            )
        results = []
        for position, item in enumerate(raw[: self.per_page], start=1):
            link = text(item.get("url"))
            if link:
                rank = (page - 1) * len(raw) + position
                results.append(
                    SearchResult(link, text(item.get("title")), text(item.get("content")), rank)
                )
        return results

    def _error(self, response: httpx.Response) -> SearchError:
        status = response.status_code
        where = f"{self.label} at {self.base_url}"
        if status == 403:
            return SearchUnavailableError(
                self.name,
                f"{where} refused format=json (HTTP 403): JSON output is disabled on the "
                "instance; add 'json' to search.formats in its settings.yml",
            )
        if status == 429:
            return SearchQuotaError(
                self.name,
                f"{where} is rate-limiting us (HTTP 429, its limiter): raise "
                "search.min_interval_s, or let this client through the instance's limiter "
                "(botdetection pass_ip in limiter.toml)",
            )
        if status == 404:
            return SearchUnavailableError(
                self.name, f"{where} has no /search endpoint (HTTP 404): check search.searxng_url"
            )
        if 300 <= status < 400:
            target = response.headers.get("location", "elsewhere")
            return SearchUnavailableError(
                self.name,
                f"{where} redirected to {target} (HTTP {status}): set search.searxng_url to "
                "the instance's real address",
            )
        if status in (401, 407):
            return SearchUnavailableError(
                self.name, f"{where} requires authentication (HTTP {status})"
            )
        return SearchError(self.name, f"{where} failed (HTTP {status})")


def _engines(value: Any) -> str:
    """[["google", "CAPTCHA"], ["bing", "timeout"]] -> 'google (CAPTCHA), bing (timeout)'."""
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, list | tuple) and item:
            name = str(item[0])
            out.append(f"{name} ({item[1]})" if len(item) > 1 and item[1] else name)
        elif isinstance(item, str):
            out.append(item)
    return ", ".join(out) or "unknown"
