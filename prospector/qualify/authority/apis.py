"""Authority from third-party APIs: Open PageRank and Moz (Links API v2, ``url_metrics``).

Keys come only from the environment variables the config names, and go only into a request
header. Endpoints are configured by the user and trusted (see ``api_client``); redirects are
not followed, so a key is never carried elsewhere.

Open PageRank: ``GET {endpoint}?domains[]=a&domains[]=b`` (up to 100) with ``API-OPR: key`` ->
``{"status_code": 200, "response": [{"status_code": 200, "error": "", "page_rank_integer": 5,
"page_rank_decimal": 4.57, "rank": "12345", "domain": "example.com"}]}``; an unknown domain has
``"status_code": 404, "error": "Domain not found"``. Score = ``page_rank_decimal`` x 10.

Moz: ``POST {endpoint}`` with ``{"targets": [...]}`` (up to 50) and ``Authorization: Basic
token`` -> ``{"results": [{"page", "root_domain", "domain_authority", "page_authority",
"spam_score", "root_domains_to_root_domain", ...}]}`` in the order of the targets.
Score = ``domain_authority``.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Mapping
from typing import Any

import httpx

from prospector.errors import (
    AuthorityAuthError,
    AuthorityError,
    AuthorityQuotaError,
    NetworkError,
)
from prospector.qualify.authority.providers import AuthorityProvider, ClientSource, answer
from prospector.qualify.model import Component
from prospector.web.failures import retry_after

OPR_BATCH = 100
MOZ_BATCH = 50


class ApiAuthorityProvider(AuthorityProvider):
    """An authority provider behind an HTTP JSON API with a key from the environment."""

    cached = True
    key_env: str

    def __init__(self, client: ClientSource, endpoint: str, key_env: str, key: str) -> None:
        self.client = client
        self.endpoint = endpoint
        self.key_env = key_env
        self.key = key.strip()
        self.requests = 0

    def unavailable(self) -> str | None:
        if not self.key_env:
            return f"no environment variable is named for the {self.label} key"
        if not self.key:
            return f"${self.key_env} is not set"
        return None

    async def send(self, request: httpx.Request) -> Any:
        """Send one request; return its JSON body or raise the matching ``AuthorityError``."""
        self.requests += 1
        client = self.client()
        try:
            response = await client.send(request)
        except httpx.TimeoutException:
            raise AuthorityError(
                self.name, f"{self.label} did not answer in time ({request.url.host})"
            ) from None
        except httpx.HTTPError as exc:
            detail = str(exc) or type(exc).__name__
            raise AuthorityError(
                self.name, f"{self.label} could not be reached: {detail}"
            ) from None
        except NetworkError as exc:
            raise AuthorityError(self.name, f"{self.label} could not be reached: {exc}") from None
        self.check_status(response)
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "unknown type")
            raise AuthorityError(
                self.name,
                f"{self.label} returned a response that is not JSON "
                f"(HTTP {response.status_code}, {kind})",
            ) from None

    def check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        said = redact(_message(response), self.key)
        said = f": {said}" if said else ""
        if status in (401, 403):
            raise AuthorityAuthError(
                self.name,
                f"{self.label} rejected the key in ${self.key_env} (HTTP {status}{said})",
            )
        if status == 429:
            wait = retry_after(response.headers.get("retry-after"))
            when = f"; retry after {round(wait)}s" if wait is not None else ""
            raise AuthorityQuotaError(
                self.name,
                f"{self.label} quota or rate limit reached (HTTP 429{said}){when}",
                reset_s=wait,
            )
        if 300 <= status < 400:
            where = response.headers.get("location", "nowhere")
            raise AuthorityError(
                self.name,
                f"{self.label} redirected to {where} (HTTP {status}); not followed, "
                "so the key stays with the configured endpoint",
            )
        raise AuthorityError(self.name, f"{self.label} answered HTTP {status}{said}")


class OpenPageRankProvider(ApiAuthorityProvider):
    name = "open_pagerank"
    label = "Open PageRank"
    batch_size = OPR_BATCH

    async def authority(self, domains: list[str]) -> dict[str, Component | None]:
        request = self.client().build_request(
            "GET",
            self.endpoint,
            params=[("domains[]", domain) for domain in domains],
            headers={"API-OPR": self.key},
        )
        body = await self.send(request)
        if not isinstance(body, dict) or not isinstance(body.get("response"), list):
            raise AuthorityError(self.name, f"{self.label} answered without a 'response' list")
        code = body.get("status_code")
        if code in (401, 403, 429):  # an error reported in the body of an HTTP 200
            raise (AuthorityQuotaError if code == 429 else AuthorityAuthError)(
                self.name,
                f"{self.label} refused the request "
                f"({code}: {redact(str(body.get('error', '')), self.key)})",
            )
        items = [item for item in body["response"] if isinstance(item, dict)]
        by_domain = {str(item.get("domain", "")).lower(): item for item in items}
        out: dict[str, Component | None] = {}
        for index, domain in enumerate(domains):
            item = by_domain.get(domain)
            if item is None and len(items) == len(domains):
                item = items[index]
            out[domain] = self._component(item) if item is not None else None
        return out

    def _component(self, item: Mapping[str, Any]) -> Component | None:
        decimal = _number(item.get("page_rank_decimal"))
        if item.get("status_code") not in (200, "200", None) or decimal is None:
            return None
        rank = item.get("rank")
        raw = {
            "page_rank_decimal": decimal,
            "page_rank_integer": item.get("page_rank_integer"),
            "rank": rank,
        }
        where = f", rank {rank}" if rank not in (None, "") else ""
        return answer(
            self.name,
            decimal * 10,
            raw,
            (f"Open PageRank {decimal:g}/10{where}",),
            page_rank_decimal=decimal,
            global_rank=rank,
        )


class MozProvider(ApiAuthorityProvider):
    name = "moz"
    label = "Moz"
    batch_size = MOZ_BATCH

    def _authorization(self) -> str:
        token = self.key
        if ":" in token:  # "access-id:secret" as given by Moz, not yet encoded
            token = base64.b64encode(token.encode()).decode()
        return f"Basic {token}"

    async def authority(self, domains: list[str]) -> dict[str, Component | None]:
        request = self.client().build_request(
            "POST",
            self.endpoint,
            json={"targets": domains},
            headers={"Authorization": self._authorization()},
        )
        body = await self.send(request)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise AuthorityError(self.name, f"{self.label} answered without a 'results' list")
        items = [item if isinstance(item, dict) else {} for item in results]
        by_domain = {_moz_domain(item): item for item in items}
        out: dict[str, Component | None] = {}
        for index, domain in enumerate(domains):
            item = items[index] if len(items) == len(domains) else by_domain.get(domain)
            out[domain] = self._component(item) if item else None
        return out

    def _component(self, item: Mapping[str, Any]) -> Component | None:
        da = _number(item.get("domain_authority"))
        if da is None:
            return None
        raw = {
            key: item.get(key)
            for key in ("domain_authority", "page_authority", "spam_score")
            if key in item
        }
        linking = item.get("root_domains_to_root_domain")
        spam = item.get("spam_score")
        reasons = [f"Moz Domain Authority {da:g}"]
        if linking is not None:
            reasons.append(f"{linking:,} linking root domains (Moz)")
        return answer(
            self.name,
            da,
            raw,
            tuple(reasons),
            domain_authority=da,
            page_authority=item.get("page_authority"),
            spam_score=spam,
            linking_root_domains=linking,
        )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _moz_domain(item: Mapping[str, Any]) -> str:
    name = str(item.get("root_domain") or item.get("page") or "").lower()
    return name.split("/", 1)[0].removeprefix("www.")


def redact(text: str, key: str) -> str:
    """``text`` without the key (nor, for a Basic token, its decoded parts), should an API
    quote it back in an error."""
    secrets = {key}
    with contextlib.suppress(ValueError):  # not base64, or not text
        secrets.update(base64.b64decode(key, validate=True).decode().split(":", 1))
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "[key]")
    return text


def _message(response: httpx.Response) -> str:
    """The error text an API put in its body (JSON ``message``/``error``/``detail``), short."""
    try:
        data = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    if isinstance(data, dict):
        for key in ("message", "error", "detail", "error_message"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:200]
            if isinstance(value, dict):
                inner = value.get("message") or value.get("detail")
                if isinstance(inner, str):
                    return " ".join(inner.split())[:200]
    return ""
