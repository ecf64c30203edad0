"""The hostile web: a multi-host server on loopback, reached by host name through
``network.resolve``, whose every page attacks the client (catalogue: tests/hostile_pages.py),
plus tripwires on loopback addresses that are *not* mapped, recording every connection and
datagram they receive.

The server speaks raw bytes (no HTTP library) so that a page can lie about its length, never
finish its headers, flood them, or not speak HTTP at all. It runs its own asyncio loop in a
background thread, records every request in :attr:`HostileWeb.hits`, and counts the bytes it
managed to send for each.

Tripwires listen on 127.0.0.1, 127.0.0.2, 127.0.0.3 and ::1 (TCP and UDP), all on one port
(:attr:`HostileWeb.trip_port`): pages redirect and link there directly, through names the
system resolver maps to loopback (``localhost``: /etc/hosts), through ``0.0.0.0`` (which Linux
connects to loopback), through encoded forms of the address, meta refresh and JavaScript.
The hostile server itself counts a request whose ``Host`` is not a mapped hostile name as a
tripped wire too: such a request could only come from a connection the guard should not have
made. :meth:`HostileWeb.tripped` lists them all; every hostile test asserts it is empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

HOST = "hostile.example"  # and every subdomain
LINKS_HOST = "garden-links.example"  # another site, whose resource page links to the hostile one
NXDOMAIN_HOST = "gone.hostile.example"
TRIP_ADDRESSES = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "::1")
METADATA = "169.254.169.254"  # cannot be bound here: the guard must refuse it unasked
HANDLER_LIMIT_S = 60.0  # no hostile answer outlives this, whatever the client does
HEAD_LIMIT = 256 * 1024
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass
class Hit:
    """One request the hostile server received (``sent``: bytes it managed to write)."""

    at: float
    host: str
    method: str
    target: str
    peer: str
    sent: int = 0
    finished: bool = False


@dataclass(frozen=True)
class Trip:
    """A connection, datagram or request that should never have happened."""

    at: float
    where: str  # "127.0.0.2:41234/tcp", "hostile server", ...
    peer: str
    first_bytes: bytes


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    host: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class Conn:
    """What a page's responder writes to: raw bytes, counted."""

    def __init__(self, web: HostileWeb, writer: asyncio.StreamWriter, hit: Hit) -> None:
        self.web = web
        self.writer = writer
        self.hit = hit

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        self.hit.sent += len(data)
        await self.writer.drain()

    async def respond(
        self,
        status: int,
        body: bytes = b"",
        *headers: tuple[str, str],
        content_type: str = "text/html; charset=utf-8",
        reason: str = "OK",
    ) -> None:
        """A well-formed response (Content-Length set, connection closed after it)."""
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        await self.write("\r\n".join(lines).encode("latin-1") + body)

    async def head(self, status: int, *headers: tuple[str, str] | bytes) -> None:
        """Status line and headers only (``bytes`` items are written raw as header lines)."""
        out = [f"HTTP/1.1 {status} X\r\n".encode()]
        for header in headers:
            if isinstance(header, bytes):
                out.append(header + b"\r\n")
            else:
                out.append(f"{header[0]}: {header[1]}\r\n".encode("latin-1"))
        await self.write(b"".join([*out, b"\r\n"]))


Responder = Callable[[Request, Conn], Awaitable[None]]


@dataclass(frozen=True)
class HostilePage:
    """One adversarial page: its test id, where it lives, what it attacks, how it answers."""

    name: str
    attacks: str
    respond: Responder
    host: str = HOST
    slow: bool = False  # answers only by running out the client's timeout
    robots: Responder | None = None  # answers its host's robots.txt (a host of its own)

    @property
    def path(self) -> str:
        return f"/{self.name}"

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"


@dataclass
class HostileWeb:
    """The server and its tripwires (see module docstring). Use as a context manager."""

    pages: list[HostilePage]
    hits: list[Hit] = field(default_factory=list)
    trips: list[Trip] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.port = 0
        self.trip_port = 0
        self._by_path = {page.path: page for page in self.pages}
        self._robots = {page.host: page.robots for page in self.pages if page.robots}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._udp: list[asyncio.DatagramTransport] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> HostileWeb:
        loop = self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start())
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="hostile-web", daemon=True)
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]
        return self

    def __exit__(self, *exc: object) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._stop(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(15)

    async def _start(self) -> None:
        server = await asyncio.start_server(
            self._serve, "127.0.0.1", 0, limit=HEAD_LIMIT, backlog=512
        )
        self._servers.append(server)
        self.port = int(server.sockets[0].getsockname()[1])
        for _ in range(50):  # one port free on every tripwire address
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind(("127.0.0.2", 0))
            port = int(probe.getsockname()[1])
            probe.close()
            try:
                await self._tripwires(port)
            except OSError:
                await self._close_tripwires()
                continue
            self.trip_port = port
            return
        raise RuntimeError("no port free on every tripwire address")

    async def _tripwires(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        for address in TRIP_ADDRESSES:
            where = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"

            async def tripped(
                reader: asyncio.StreamReader, writer: asyncio.StreamWriter, where: str = where
            ) -> None:
                peer = str(writer.get_extra_info("peername"))
                first = b""
                with contextlib.suppress(Exception):
                    first = await asyncio.wait_for(reader.read(200), 0.5)
                self._trip(f"{where}/tcp", peer, first)
                writer.close()

            server = await asyncio.start_server(tripped, address, port)
            self._servers.append(server)
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_Datagrams, self, f"{where}/udp"), local_addr=(address, port)
            )
            self._udp.append(transport)

    async def _close_tripwires(self) -> None:
        for server in self._servers[1:]:
            server.close()
        del self._servers[1:]
        for transport in self._udp:
            transport.close()
        self._udp.clear()

    async def _stop(self) -> None:
        for server in self._servers:
            server.close()
        for transport in self._udp:
            transport.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    # -- what happened -----------------------------------------------------------------------

    def _trip(self, where: str, peer: str, first: bytes) -> None:
        with self.lock:
            self.trips.append(Trip(time.time(), where, peer, first))

    def tripped(self) -> list[Trip]:
        """Every connection, datagram or request that reached a refused destination."""
        with self.lock:
            return list(self.trips)

    def requests(self, path_prefix: str = "") -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.target.startswith(path_prefix)]

    def resolve_map(self) -> dict[str, str]:
        """``network.resolve`` for the hostile hosts (nothing else is mapped)."""
        target = f"127.0.0.1:{self.port}"
        return {HOST: target, f"*.{HOST}": target, LINKS_HOST: target, NXDOMAIN_HOST: "NXDOMAIN"}

    def trip_url(self, address: str, path: str = "/") -> str:
        host = f"[{address}]" if ":" in address and not address.startswith("[") else address
        return f"http://{host}:{self.trip_port}{path}"

    # -- serving -----------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            async with asyncio.timeout(HANDLER_LIMIT_S):
                await self._one(reader, writer)
                writer.close()  # flushes what is still buffered, then closes
                await writer.wait_closed()
        except (Exception, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.transport.abort()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, *_ = [*lines[0].split(" "), "", ""]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        host = headers.get("host", "").lower()
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        peer = str(writer.get_extra_info("peername"))
        hit = Hit(time.time(), host, method, target, peer)
        with self.lock:
            self.hits.append(hit)
        if host not in (HOST, LINKS_HOST) and not host.endswith("." + HOST):
            self._trip("hostile server", peer, head[:200])
            return
        request = Request(method, target, host, headers)
        conn = Conn(self, writer, hit)
        await self.dispatch(request, conn)
        hit.finished = True

    async def dispatch(self, request: Request, conn: Conn) -> None:
        path = request.path
        robots = self._robots.get(request.host)
        if path == "/robots.txt" and robots is not None:
            await robots(request, conn)
            return
        if request.host == HOST and path in ("/", "/robots.txt", "/sitemap.xml"):
            await self._site(path, conn)
            return
        top = "/" + path.lstrip("/").split("/", 1)[0]
        page = self._by_path.get(top)
        if page is not None and request.host in (page.host, f"www.{page.host}"):
            await page.respond(request, conn)
        elif path == "/robots.txt":
            await conn.respond(200, b"User-agent: *\nAllow: /\n", content_type="text/plain")
        else:
            await conn.respond(
                404, b"<title>Not here</title><h1>Not found</h1>", reason="Not Found"
            )

    async def _site(self, path: str, conn: Conn) -> None:
        """The hostile site's own front: an index of every page, robots.txt naming sitemaps
        (one of them on a refused address) and a sitemap listing refused addresses too."""
        if path == "/robots.txt":
            robots = (
                "User-agent: *\nAllow: /\n"
                f"Sitemap: {self.trip_url('127.0.0.2', '/sitemap.xml')}\n"
                f"Sitemap: http://{HOST}/sitemap.xml\n"
            )
            await conn.respond(200, robots.encode(), content_type="text/plain")
        elif path == "/sitemap.xml":
            urls = [p.url for p in self.pages]
            urls += list(forbidden_targets(self).values())
            items = "".join(f"<url><loc>{escape(u)}</loc></url>" for u in urls)
            body = f'<?xml version="1.0"?><urlset xmlns="{SITEMAP_NS}">{items}</urlset>'
            await conn.respond(200, body.encode(), content_type="application/xml")
        else:
            items = "".join(f'<li><a href="{escape(p.url)}">{p.name}</a></li>' for p in self.pages)
            body = (
                "<!DOCTYPE html><title>Hostile pages</title><h1>Hostile pages</h1>"
                f"<p>Every page here attacks its reader.</p><ul>{items}</ul>"
            )
            await conn.respond(200, body.encode())


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, web: HostileWeb, where: str) -> None:
        self.web = web
        self.where = where

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.web._trip(self.where, str(addr), data[:200])


def forbidden_targets(web: HostileWeb) -> dict[str, str]:
    """Every refused destination by every spelling, labelled: the tripwires, this server
    itself by a name or address that is not mapped, and the metadata service."""
    port = web.trip_port
    return {
        "loopback-alias": web.trip_url("127.0.0.2"),
        "loopback-alias-3": web.trip_url("127.0.0.3", "/x"),
        "ipv6-loopback": web.trip_url("::1"),
        "ipv4-mapped-ipv6": web.trip_url("::ffff:127.0.0.2"),
        "localhost-by-name": f"http://localhost:{port}/",
        "vm-by-name": f"http://vm:{port}/",
        "zero-address": f"http://0.0.0.0:{port}/",
        "decimal-ip": f"http://2130706433:{port}/",
        "hex-ip": f"http://0x7f.0.0.1:{port}/",
        "short-ip": f"http://127.1:{port}/",
        "this-server-by-localhost": f"http://localhost:{web.port}/",
        "this-server-by-ip": f"http://127.0.0.1:{web.port}/",
        "metadata": f"http://{METADATA}/latest/meta-data/",
    }


def wait_quiet(web: HostileWeb, seconds: float = 0.3) -> None:
    """Give stray connections a moment to land on a tripwire before asserting."""
    time.sleep(seconds)
