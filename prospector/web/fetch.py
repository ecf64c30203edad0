"""Polite fetching over httpx: per-host caps and gaps, backoff, robots.txt, size caps, and
redirects followed hop by hop (each hop through the network guard).

Failures are values: a ``Fetched`` always comes back, with ``error`` naming what went wrong
(``dns``, ``dns_transient``, ``forbidden``, ``refused``, ``reset``, ``timeout``, ``tls``,
``protocol``, ``invalid``, ``redirect_loop``, ``no_location``, ``robots``) instead of an
exception or ``None``, so a timeout is never confused with a 404 or a robots block.
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from prospector.config import Settings
from prospector.errors import ForbiddenAddressError, NameNotResolvedError
from prospector.web.failures import classify_http_error, retry_after
from prospector.web.http import make_client
from prospector.web.netguard import Resolver
from prospector.web.redirects import join_location, meta_refresh_target
from prospector.web.robots import ROBOTS_MAX_BYTES, RobotsPolicy, robots_url
from prospector.web.urls import invalid_url, normalize

REDIRECTS = {301, 302, 303, 307, 308}
HTML_TYPES = ("text/html", "application/xhtml+xml")
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BodyMode = Literal["html", "all", "none"]


@dataclass(frozen=True)
class Hop:
    url: str
    status: int
    location: str | None
    via: str = "http"  # http | meta


@dataclass(frozen=True)
class Fetched:
    """The outcome of fetching one URL (after redirects)."""

    url: str
    final_url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    hops: tuple[Hop, ...] = ()
    error: str | None = None
    detail: str = ""
    method: str = "GET"
    elapsed_s: float = 0.0
    attempts: int = 1

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES or (not self.content_type and bool(self.body))

    @property
    def redirected(self) -> bool:
        return bool(self.hops)

    def text(self) -> str:
        """The body decoded with the declared charset (or UTF-8), never raising."""
        charset = "utf-8"
        match = re.search(r"charset=([\w-]+)", self.headers.get("content-type", ""), re.I)
        if match:
            charset = match.group(1)
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class _HostGate:
    """At most ``limit`` requests in flight to a host, starts at least ``gap`` seconds apart.

    A request holds one of the host's slots while it waits for its turn and while it runs;
    only one request of a host at a time waits for the host's next start (and then for a
    global slot), so the gap is measured between actual starts.
    """

    def __init__(self, limit: int, gap: float) -> None:
        self.slots = asyncio.Semaphore(limit)
        self.turn = asyncio.Lock()
        self.gap = gap
        self.next_start = 0.0
        self.blocked_until = 0.0

    def wait_s(self) -> float:
        return max(self.next_start, self.blocked_until) - time.monotonic()


class Fetcher:
    """One per run: ``async with Fetcher(settings) as fetcher: await fetcher.fetch(url)``."""

    def __init__(self, settings: Settings, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.conf = settings.fetch
        self.resolver = resolver or Resolver.from_settings(settings.network)
        self.client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(self.conf.global_concurrency)
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, asyncio.Task[RobotsPolicy]] = {}
        self.requests = 0

    async def __aenter__(self) -> Fetcher:
        self.client = make_client(self.settings, self.resolver)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._robots.values():
            task.cancel()
        if self.client is not None:
            await self.client.aclose()

    def _gate(self, url: str) -> _HostGate:
        key = (urlsplit(url).hostname or "").lower()
        gate = self._gates.get(key)
        if gate is None:
            gate = _HostGate(self.conf.per_host_concurrency, self.conf.min_host_gap_s)
            self._gates[key] = gate
        return gate

    # -- robots ------------------------------------------------------------------------------

    async def robots(self, url: str) -> RobotsPolicy:
        """The robots policy of ``url``'s origin, fetched once per run."""
        key = robots_url(url)
        task = self._robots.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load_robots(key))
            self._robots[key] = task
        return await asyncio.shield(task)

    async def _load_robots(self, url: str) -> RobotsPolicy:
        result = await self.fetch(url, body="all", obey_robots=False, max_bytes=ROBOTS_MAX_BYTES)
        if result.status is not None and 200 <= result.status < 300:
            return RobotsPolicy(result.text(), "fetched")
        if result.status is not None and result.status >= 500:
            return RobotsPolicy("", "unreachable")  # RFC 9309: assume complete disallow
        if result.error is not None and not result.hops and result.error != "no_location":
            # the host itself cannot be reached: every URL on it would fail the same way
            return RobotsPolicy("", "failed", error=result.error, detail=result.detail)
        # 4xx, or no usable file (such as a redirect elsewhere that failed, a refused
        # address included: the host itself answered): allow all
        return RobotsPolicy("", "missing")

    # -- fetching ----------------------------------------------------------------------------

    async def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        body: BodyMode = "html",
        obey_robots: bool | None = None,
        max_bytes: int | None = None,
        follow: bool = True,
        meta_refresh: bool = True,
    ) -> Fetched:
        """Fetch ``url`` following redirects (and short meta refreshes) hop by hop."""
        started = time.monotonic()
        obey = self.conf.respect_robots if obey_robots is None else obey_robots
        hops: list[Hop] = []
        seen = {normalize(url)}
        current = url
        attempts = 0
        while True:
            invalid = invalid_url(current)
            if invalid:
                return Fetched(url, current, hops=tuple(hops), error="invalid", detail=invalid)
            if obey:
                policy = await self.robots(current)
                if policy.error is not None:
                    return Fetched(
                        url,
                        current,
                        hops=tuple(hops),
                        error=policy.error,
                        detail=policy.detail,
                        attempts=attempts,
                    )
                if not policy.allowed(current, self.conf.user_agent):
                    return Fetched(
                        url,
                        current,
                        hops=tuple(hops),
                        error="robots",
                        detail=f"disallowed by {robots_url(current)}",
                    )
            result = await self._with_retries(current, method, body, max_bytes)
            attempts += result.attempts
            if result.error is not None or not follow:
                return _finish(result, url, hops, started, attempts)
            assert result.status is not None
            next_url, via = None, "http"
            if result.status in REDIRECTS:
                location = result.headers.get("location")
                if not location:
                    return _finish(
                        _replace(
                            result,
                            error="no_location",
                            detail=f"{result.status} without a Location header",
                        ),
                        url,
                        hops,
                        started,
                        attempts,
                    )
                next_url = join_location(current, location)
                if next_url is None:
                    return _finish(
                        _replace(
                            result,
                            error="invalid",
                            detail=f"{result.status} to an unusable Location: {location[:200]}",
                        ),
                        url,
                        hops,
                        started,
                        attempts,
                    )
            elif meta_refresh and result.status == 200 and result.is_html:
                next_url = meta_refresh_target(result.body, current)
                via = "meta"
            if next_url is None:
                return _finish(result, url, hops, started, attempts)
            hops.append(Hop(current, result.status, next_url, via))
            key = normalize(next_url)
            if key in seen or len(hops) > self.conf.max_redirects:
                kind = "loop" if key in seen else f"more than {self.conf.max_redirects} redirects"
                return _finish(
                    _replace(result, error="redirect_loop", detail=kind),
                    url,
                    hops,
                    started,
                    attempts,
                )
            seen.add(key)
            if result.status == 303:
                method = "GET"
            current = next_url

    async def _with_retries(
        self, url: str, method: str, body: BodyMode, max_bytes: int | None
    ) -> Fetched:
        attempt = 0
        while True:
            attempt += 1
            result = await self._one(url, method, body, max_bytes)
            delay = self._retry_delay(result, attempt)
            if delay is None:
                return _replace(result, attempts=attempt)
            if result.status in (429, 503):
                gate = self._gate(url)
                gate.blocked_until = max(gate.blocked_until, time.monotonic() + delay)
            await asyncio.sleep(delay)

    def _retry_delay(self, result: Fetched, attempt: int) -> float | None:
        if attempt > self.conf.retries:
            return None
        if result.status in (429, 503):
            after = retry_after(result.headers.get("retry-after"))
            if after is None:
                return None if result.status == 503 else min(2.0**attempt, 30.0)
            return after if after <= self.conf.max_retry_after_s else None
        if result.error in ("dns_transient", "refused", "reset"):
            return 0.5 * 2.0 ** (attempt - 1)
        return None

    async def _one(self, url: str, method: str, body: BodyMode, max_bytes: int | None) -> Fetched:
        assert self.client is not None, "use 'async with Fetcher(...)'"
        gate = self._gate(url)
        started = time.monotonic()
        async with gate.slots:
            await self._start_turn(gate)
            try:
                async with asyncio.timeout(self.conf.timeout_s):
                    return await self._exchange(url, method, body, max_bytes, started)
            except TimeoutError:
                return Fetched(
                    url,
                    url,
                    error="timeout",
                    method=method,
                    detail=f"no complete answer within {self.conf.timeout_s:g}s",
                )
            except NameNotResolvedError as exc:
                return Fetched(
                    url,
                    url,
                    error="dns_transient" if exc.transient else "dns",
                    detail=str(exc),
                    method=method,
                )
            except ForbiddenAddressError as exc:
                return Fetched(url, url, error="forbidden", detail=str(exc), method=method)
            except httpx.HTTPError as exc:
                kind, detail = classify_http_error(exc)
                return Fetched(url, url, error=kind, detail=detail, method=method)
            except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
                # a URL httpx cannot send (bad IDNA label, too long): not an httpx.HTTPError
                detail = f"malformed URL: {exc}"[:300]
                return Fetched(url, url, error="invalid", detail=detail, method=method)
            finally:
                self._global.release()

    async def _start_turn(self, gate: _HostGate) -> None:
        """Wait for the host's next start, then for a global slot (held on return).

        Global slots are taken only by requests ready to go, never by requests sleeping out a
        host's gap: otherwise requests to busy hosts pile up on the global slots while other
        hosts sit idle.
        """
        async with gate.turn:
            while True:
                while (delay := gate.wait_s()) > 0:
                    await asyncio.sleep(delay)
                await self._global.acquire()
                if gate.wait_s() <= 0:  # no Retry-After arrived while we queued
                    break
                self._global.release()
            gate.next_start = time.monotonic() + gate.gap
            self.requests += 1

    async def _exchange(
        self, url: str, method: str, body: BodyMode, max_bytes: int | None, started: float
    ) -> Fetched:
        assert self.client is not None
        headers = {"Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
        async with self.client.stream(method, url, headers=headers) as response:
            head = {k.lower(): v for k, v in response.headers.items()}
            content_type = head.get("content-type", "").split(";")[0].strip().lower()
            read = (
                method != "HEAD"
                and response.status_code not in REDIRECTS
                and (
                    body == "all"
                    or (body == "html" and (content_type in HTML_TYPES or not content_type))
                )
            )
            data, truncated = b"", False
            if read:
                data, truncated = await self._read(response, head, max_bytes)
            return Fetched(
                url,
                str(response.url),
                response.status_code,
                head,
                data,
                truncated,
                method=method,
                elapsed_s=time.monotonic() - started,
            )

    async def _read(
        self, response: httpx.Response, headers: Mapping[str, str], max_bytes: int | None
    ) -> tuple[bytes, bool]:
        """Read at most max_body_bytes off the wire and max_decompressed_bytes decoded
        (``max_bytes``, when given, lowers both)."""
        wire_cap = min(max_bytes or self.conf.max_body_bytes, self.conf.max_body_bytes)
        out_cap = min(
            max_bytes or self.conf.max_decompressed_bytes, self.conf.max_decompressed_bytes
        )
        decoder = _decoder(headers.get("content-encoding", ""))
        wire = 0
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_raw():
            wire += len(chunk)
            if decoder is not None:
                try:
                    chunk = decoder.decompress(chunk, out_cap - size + 1)
                except zlib.error:
                    break  # a corrupt stream: keep what decoded
            chunks.append(chunk)
            size += len(chunk)
            if size > out_cap or wire > wire_cap:
                data = b"".join(chunks)
                return data[: min(out_cap, len(data))], True
        return b"".join(chunks), False


def _decoder(encoding: str) -> zlib._Decompress | None:
    value = encoding.strip().lower()
    if value in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if value == "deflate":
        return zlib.decompressobj()
    return None


def _replace(result: Fetched, **changes: Any) -> Fetched:
    return replace(result, **changes)


def _finish(result: Fetched, url: str, hops: list[Hop], started: float, attempts: int) -> Fetched:
    """Report against the URL asked for; ``final_url`` is the last URL requested."""
    return _replace(
        result, url=url, hops=tuple(hops), elapsed_s=time.monotonic() - started, attempts=attempts
    )
