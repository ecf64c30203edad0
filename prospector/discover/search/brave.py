"""Brave Search: the Web Search API (``/res/v1/web/search``), with a subscription key.

The key is read from the environment variable ``search.brave_api_key_env`` names and sent only
as the ``X-Subscription-Token`` header. ``count`` results per page (at most 20) and ``offset`` =
page - 1 (at most 9). Results are ``web.results[]`` with ``url``, ``title``, ``description``.

Errors are JSON ``{"type": "ErrorResponse", "error": {"code", "detail", "status", "meta"}}``.
Every response carries ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset``: comma-separated
values, one per window (per second, then per month; a monthly limit of 0 means unlimited).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from prospector.config import Settings
from prospector.discover.search.base import (
    ApiProvider,
    SearchResult,
    api_client,
    human_duration,
    text,
)
from prospector.errors import (
    SearchAuthError,
    SearchError,
    SearchQuotaError,
    SearchUnavailableError,
)

KEYS_PAGE = "https://api-dashboard.search.brave.com/app/keys"
PLANS_PAGE = "https://api-dashboard.search.brave.com/app/plans"
RATE_LIMIT_RETRIES = 2
MAX_RATE_WAIT_S = 60.0
_AUTH_CODES = {"SUBSCRIPTION_TOKEN_INVALID", "SUBSCRIPTION_TOKEN_MISSING", "UNAUTHORIZED"}


@dataclass(frozen=True)
class RateLimits:
    """The X-RateLimit-* headers, one value per window: [per second, per month]."""

    limit: tuple[int, ...] = ()
    remaining: tuple[int, ...] = ()
    reset: tuple[int, ...] = ()

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimits:
        return cls(
            _ints(headers.get("x-ratelimit-limit")),
            _ints(headers.get("x-ratelimit-remaining")),
            _ints(headers.get("x-ratelimit-reset")),
        )

    def _window(self, values: tuple[int, ...], index: int) -> int | None:
        return values[index] if len(values) > index else None

    @property
    def monthly_exhausted(self) -> bool:
        """No request left this month (a monthly limit of 0 means unlimited)."""
        remaining = self._window(self.remaining, 1)
        return remaining is not None and remaining <= 0 and self._window(self.limit, 1) != 0

    @property
    def second_exhausted(self) -> bool:
        remaining = self._window(self.remaining, 0)
        return remaining is not None and remaining <= 0

    def reset_s(self, index: int) -> int | None:
        return self._window(self.reset, index)


def _ints(value: str | None) -> tuple[int, ...]:
    out = []
    for part in (value or "").split(","):
        try:
            out.append(int(float(part.strip())))
        except ValueError:
            return tuple(out)
    return tuple(out)


class BraveProvider(ApiProvider):
    name = "brave"
    label = "Brave Search"

    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        search = settings.search
        self.key_env = search.brave_api_key_env
        key = (os.environ if env is None else env).get(self.key_env, "").strip()
        if not key:
            raise SearchAuthError(
                self.name,
                f"{self.label} needs an API key: set ${self.key_env} (named by "
                f"search.brave_api_key_env); get one at {KEYS_PAGE}",
            )
        super().__init__(client or api_client(settings), search.min_interval_s)
        self._key = key
        self.url = f"{search.brave_endpoint}/res/v1/web/search"
        self.count = min(search.results_per_query, 20)

    async def search(self, query: str, page: int) -> list[SearchResult]:
        if not 1 <= page <= 10:
            return []  # Brave serves at most ten pages (offset 0-9)
        params: dict[str, str | int] = {"q": query, "count": self.count, "offset": page - 1}
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            response = await self.get(self.url, params, {"X-Subscription-Token": self._key})
            limits = RateLimits.from_headers(response.headers)
            if limits.second_exhausted:
                self.interval.defer(min(limits.reset_s(0) or 1, MAX_RATE_WAIT_S))
            if response.status_code == 200:
                return self._results(response, page)
            error = self._error(response, limits)
            if not isinstance(error, _PerSecondLimit):
                raise error
            if attempt == RATE_LIMIT_RETRIES:
                raise SearchError(
                    self.name,
                    f"{self.label} kept rate-limiting requests (HTTP 429) after "
                    f"{RATE_LIMIT_RETRIES} retries: raise search.min_interval_s",
                )
            self.interval.defer(min(max(limits.reset_s(0) or 1, 1), MAX_RATE_WAIT_S))
        raise AssertionError("unreachable")

    def _results(self, response: httpx.Response, page: int) -> list[SearchResult]:
        data = self.json_body(response)
        if not isinstance(data, dict):
            raise SearchError(self.name, f"{self.label} returned JSON that is not an object")
        web = data.get("web")
        raw = web.get("results") if isinstance(web, dict) else None
        if not isinstance(raw, list):
            return []  # no web results for this query (Brave leaves "web" out)
        results = []
        for position, item in enumerate((i for i in raw if isinstance(i, dict)), start=1):
            link = text(item.get("url"))
            if link:
                rank = (page - 1) * self.count + position
                results.append(
                    SearchResult(
                        link,
                        text(item.get("title"), markup=True),
                        text(item.get("description"), markup=True),
                        rank,
                    )
                )
        return results

    def _error(self, response: httpx.Response, limits: RateLimits) -> SearchError:
        status = response.status_code
        error = _error_body(response)
        code = str(error.get("code") or "")
        detail = str(error.get("detail") or "").strip()
        said = f"HTTP {status}" + (f" {code}" if code else "") + (f": {detail}" if detail else "")
        said = said.replace(self._key, "[key]")  # an API may quote the key back
        if code in _AUTH_CODES or (status in (401, 403) and code != "RATE_LIMITED"):
            return SearchAuthError(
                self.name,
                f"{self.label} rejected the API key in ${self.key_env} ({said}); check the key "
                f"and its subscription at {KEYS_PAGE}",
            )
        if status == 429 or code in ("RATE_LIMITED", "QUOTA_LIMITED"):
            return self._limited(error, limits, said)
        if 300 <= status < 400:
            target = response.headers.get("location", "elsewhere")
            return SearchUnavailableError(
                self.name,
                f"{self.label} endpoint redirected to {target} ({said}): check "
                "search.brave_endpoint",
            )
        if status == 404:
            return SearchUnavailableError(
                self.name,
                f"{self.label} has no web search API at {self.url} ({said}): check "
                "search.brave_endpoint",
            )
        if status == 402 or code == "OPTION_NOT_IN_PLAN":
            return SearchUnavailableError(
                self.name, f"{self.label} refused the request for this plan ({said})"
            )
        return SearchError(self.name, f"{self.label} failed ({said})")

    def _limited(self, error: Mapping[str, Any], limits: RateLimits, said: str) -> SearchError:
        meta = error.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        quota_limit = meta.get("quota_limit")
        quota_current = meta.get("quota_current")
        over_quota = (
            isinstance(quota_limit, int)
            and isinstance(quota_current, int)
            and quota_limit > 0
            and quota_current >= quota_limit
        )
        if limits.monthly_exhausted or over_quota or error.get("code") == "QUOTA_LIMITED":
            reset = limits.reset_s(1)
            limit = limits.limit[1] if len(limits.limit) > 1 else quota_limit
            plan = f" ({limit} requests a month)" if limit else ""
            when = (
                f"; resets in {human_duration(reset)} (X-RateLimit-Reset)"
                if reset is not None
                else ""
            )
            return SearchQuotaError(
                self.name,
                f"{self.label} quota exhausted{plan}{when}: wait, or raise the plan's limit "
                f"at {PLANS_PAGE} ({said})",
                reset_s=reset,
            )
        return _PerSecondLimit(self.name, said)


class _PerSecondLimit(SearchError):
    """A 429 for the per-second window: wait for the reset and try again."""


def _error_body(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of an ErrorResponse, or {} when the body is something else."""
    try:
        data = response.json()
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}
