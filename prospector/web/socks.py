"""A loopback SOCKS5 proxy that puts every browser connection through the network guard.

The browser is told to use it for everything (loopback included), with host names resolved on
the proxy side, so ``network.resolve``, NXDOMAIN mappings and the private-address refusal apply
to each connection the page makes: navigations, every redirect hop, meta-refresh and JavaScript
redirects, subresources, fetch/XHR and WebSockets. TLS stays end to end between the browser and
the site; the proxy only relays bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import struct
from collections import deque
from dataclasses import dataclass

from prospector.errors import ForbiddenAddressError, NameNotResolvedError
from prospector.models import utcnow
from prospector.web.netguard import Resolver

_SUCCESS, _FAILURE, _NOT_ALLOWED, _HOST_UNREACHABLE, _REFUSED = 0, 1, 2, 4, 5
_CMD_NOT_SUPPORTED, _ATYP_NOT_SUPPORTED = 7, 8
_CHUNK = 65536
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """A connection the guard did not make, and why."""

    at: str
    host: str
    port: int
    kind: str  # forbidden_address | dead_domain | dns_failure
    reason: str


class GuardProxy:
    """SOCKS5 (no auth, CONNECT only) on 127.0.0.1, one per browser lifecycle."""

    def __init__(self, resolver: Resolver, *, connect_timeout: float = 10.0) -> None:
        self.resolver = resolver
        self.connect_timeout = connect_timeout
        self.refusals: deque[Refusal] = deque(maxlen=10_000)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "proxy not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    async def start(self) -> GuardProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def __aenter__(self) -> GuardProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass
        except Exception:  # one bad client must never take the proxy down
            log.exception("guard proxy: unexpected error")
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await asyncio.wait_for(reader.readexactly(2), 10)
        if version != 5:
            return
        methods = await reader.readexactly(count)
        if 0 not in methods:
            writer.write(b"\x05\xff")
            return
        writer.write(b"\x05\x00")
        _, command, _, atyp = await asyncio.wait_for(reader.readexactly(4), 10)
        if atyp == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif atyp == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        elif atyp == 3:
            length = (await reader.readexactly(1))[0]
            raw = await reader.readexactly(length)
            if not raw.isascii():
                await self._reply(writer, _ATYP_NOT_SUPPORTED)
                return
            host = raw.decode("ascii")
        else:
            await self._reply(writer, _ATYP_NOT_SUPPORTED)
            return
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 1:
            await self._reply(writer, _CMD_NOT_SUPPORTED)
            return
        upstream = await self._connect(host, port, writer)
        if upstream is None:
            return
        up_reader, up_writer = upstream
        await self._reply(writer, _SUCCESS)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()

    async def _connect(
        self, host: str, port: int, writer: asyncio.StreamWriter
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            destination = await self.resolver.resolve(host, port, self.connect_timeout)
        except ForbiddenAddressError as exc:
            self._refuse(host, port, "forbidden_address", exc.reason)
            await self._reply(writer, _NOT_ALLOWED)
            return None
        except NameNotResolvedError as exc:
            kind = "dns_failure" if exc.transient else "dead_domain"
            self._refuse(host, port, kind, str(exc))
            await self._reply(writer, _HOST_UNREACHABLE)
            return None
        code = _FAILURE
        for address, target_port in destination.addresses:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(address, target_port), self.connect_timeout
                )
            except ConnectionRefusedError:
                code = _REFUSED
            except (OSError, TimeoutError):
                code = _HOST_UNREACHABLE
        await self._reply(writer, code)
        return None

    def _refuse(self, host: str, port: int, kind: str, reason: str) -> None:
        self.refusals.append(Refusal(utcnow(), host, port, kind, reason))

    async def _reply(self, writer: asyncio.StreamWriter, code: int) -> None:
        writer.write(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0]))
        await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()
