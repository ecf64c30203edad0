"""The httpx client every fetch goes through: all connections pass the network guard.

``network.resolve`` and the private-address policy are applied inside httpcore's network
backend, at connection time, so every redirect hop is checked too, while the Host header and
TLS SNI keep the URL's own host name.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import certifi
import httpcore
import httpx

from prospector.config import Settings
from prospector.errors import ConfigError, ForbiddenAddressError
from prospector.web.netguard import Resolver


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


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guarded backend under its connection pool."""

    def __init__(
        self, resolver: Resolver, *, ssl_context: ssl.SSLContext, limits: httpx.Limits
    ) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(resolver),
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


def make_client(settings: Settings, resolver: Resolver | None = None) -> httpx.AsyncClient:
    """One client per run; redirects are not followed here (callers check each hop)."""
    resolver = resolver or Resolver.from_settings(settings.network)
    fetch = settings.fetch
    limits = httpx.Limits(
        max_connections=fetch.global_concurrency,
        max_keepalive_connections=fetch.global_concurrency,
    )
    transport = GuardedTransport(
        resolver, ssl_context=ssl_context(settings.network.ca_bundle), limits=limits
    )
    timeout = httpx.Timeout(fetch.timeout_s, connect=fetch.connect_timeout_s)
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": fetch.user_agent},
        trust_env=False,
    )
