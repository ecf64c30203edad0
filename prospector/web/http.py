"""The httpx client every fetch goes through: all connections pass the network guard.

``network.resolve`` and the private-address policy are applied inside httpcore's network
backend, at connection time, so every redirect hop is checked too, while the Host header and
TLS SNI keep the URL's own host name.
"""

from __future__ import annotations

import importlib.util
import ssl
import sys
import time
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import certifi
import httpcore
import httpx

from prospector.config import Settings
from prospector.errors import ConfigError, ForbiddenAddressError
from prospector.web.netguard import Resolver

if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    # httpcore tries ``import sniffio`` on every request to tell asyncio from trio and falls
    # back to asyncio when it is missing. A failed import is not cached, so each attempt walks
    # sys.path on disk (~1 ms, several times per request). Marking the module as absent makes
    # the same ImportError immediate; the outcome ("asyncio") is unchanged.
    sys.modules["sniffio"] = None  # type: ignore[assignment]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only where the resolver allows."""

    def __init__(self, resolver: Resolver, inner: httpcore.AsyncNetworkBackend | None = None):
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        destination = await self.resolver.resolve(host, port, timeout)
        error: Exception | None = None
        for address, target_port in destination.addresses:
            try:
                return await self.inner.connect_tcp(
                    address,
                    target_port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenAddressError(path, path, "unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _Tracked:
    """A response body stream that reports once when it is closed."""

    def __init__(self, stream: AsyncIterable[bytes], done: Callable[[], None]) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                await close()
        finally:
            self._finish()

    def _finish(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            done()


class OriginPools:
    """One small httpcore pool per origin (scheme, host, port), least recently used closed first.

    httpcore's single pool looks at every connection it holds (and polls each socket) for each
    request: fine for a few connections, slow for the hundreds a run over many hosts keeps
    alive. Here each pool holds one origin's few connections; an origin's pool is closed when
    it has been idle longer than ``keepalive_expiry``, or, oldest first, when more than
    ``max_origins`` are open.
    """

    def __init__(
        self,
        make_pool: Callable[[], httpcore.AsyncConnectionPool],
        *,
        max_origins: int,
        keepalive_expiry: float,
    ) -> None:
        self._make_pool = make_pool
        self.max_origins = max(1, max_origins)
        self.keepalive_expiry = keepalive_expiry
        self._pools: OrderedDict[tuple[bytes, bytes, int], httpcore.AsyncConnectionPool] = (
            OrderedDict()
        )
        self._busy: dict[tuple[bytes, bytes, int], int] = {}
        self._last_used: dict[tuple[bytes, bytes, int], float] = {}

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        origin = request.url.origin
        key = (origin.scheme, origin.host, origin.port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = self._make_pool()
        else:
            self._pools.move_to_end(key)
        now = time.monotonic()
        self._last_used[key] = now
        self._busy[key] = self._busy.get(key, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._busy[key] -= 1
                self._last_used[key] = time.monotonic()

        try:
            await self._close_stale(now)
            response = await pool.handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, AsyncIterable)
        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=_Tracked(response.stream, release),
            extensions=response.extensions,
        )

    async def _close_stale(self, now: float) -> None:
        """Close idle pools from the least recently used end: expired ones, and the surplus."""
        while self._pools:
            key = next(iter(self._pools))
            if self._busy.get(key, 0) > 0:
                break
            expired = now - self._last_used.get(key, now) > self.keepalive_expiry
            if not expired and len(self._pools) <= self.max_origins:
                break
            pool = self._pools.pop(key)
            self._busy.pop(key, None)
            self._last_used.pop(key, None)
            await pool.aclose()

    async def aclose(self) -> None:
        pools = list(self._pools.values())
        self._pools.clear()
        for pool in pools:
            await pool.aclose()

    async def __aenter__(self) -> OriginPools:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guarded backend under its connection pool.

    With ``per_origin``, a pool of ``per_origin`` connections per origin (see
    :class:`OriginPools`), at most ``limits.max_connections`` connections in all; otherwise one
    pool for every origin, sized by ``limits``.
    """

    def __init__(
        self,
        resolver: Resolver,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        per_origin: int | None = None,
    ) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        backend = GuardedBackend(resolver)
        if per_origin is None:
            self._pool = httpcore.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                http1=True,
                http2=False,
                network_backend=backend,
            )
            return
        expiry = 5.0 if limits.keepalive_expiry is None else limits.keepalive_expiry

        def make_pool() -> httpcore.AsyncConnectionPool:
            return httpcore.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=per_origin,
                max_keepalive_connections=per_origin,
                keepalive_expiry=expiry,
                http1=True,
                http2=False,
                network_backend=backend,
            )

        total = limits.max_connections or 1024
        self._pool = OriginPools(  # type: ignore[assignment]
            make_pool, max_origins=max(1, total // max(1, per_origin)), keepalive_expiry=expiry
        )


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """Public roots, plus the configured extra CA bundle (a test or corporate CA)."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"network.ca_bundle: cannot load {ca_bundle}: {exc}") from None
    return context


def pool_size(global_concurrency: int) -> int:
    """Connections kept open, busy or idle: enough to keep one to each host recently used.

    Requests in flight are capped by the fetcher (``global_concurrency``), not by the pool. A
    pool only as large as that cap would, on a run over many hosts, close each host's
    connection before its next turn comes (every new host evicts an idle one), so that
    nearly every request paid a new TCP and TLS handshake, on both sides. Bounded by half the
    open-files limit.
    """
    room = 2048
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            room = soft // 2
    except (ImportError, OSError, ValueError):
        room = 512
    return max(global_concurrency, min(1024, room))


def make_client(settings: Settings, resolver: Resolver | None = None) -> httpx.AsyncClient:
    """One client per run; redirects are not followed here (callers check each hop)."""
    resolver = resolver or Resolver.from_settings(settings.network)
    fetch = settings.fetch
    pool = pool_size(fetch.global_concurrency)
    limits = httpx.Limits(
        max_connections=pool,
        max_keepalive_connections=pool,
        keepalive_expiry=max(5.0, 3 * fetch.min_host_gap_s),
    )
    transport = GuardedTransport(
        resolver,
        ssl_context=ssl_context(settings.network.ca_bundle),
        limits=limits,
        per_origin=max(1, fetch.per_host_concurrency),
    )
    timeout = httpx.Timeout(fetch.timeout_s, connect=fetch.connect_timeout_s)
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": fetch.user_agent},
        trust_env=False,
    )
