"""The demo web server: one loopback port, HTTP and HTTPS, every world host by Host/SNI.

``DemoWeb`` runs its own asyncio loop in a background thread. Each accepted socket is peeked:
a first byte of 0x16 is a TLS ClientHello, so the socket is wrapped with the SNI-aware server
context; anything else is plain HTTP. Requests are parsed with h11 (keep-alive), answered from
``World.route()``, and recorded in :attr:`DemoWeb.hits`.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import gzip
import http
import shutil
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import h11

from prospector.demo.model import Reply
from prospector.demo.placed import PlacedLink, PlacedLinks
from prospector.demo.tls import DemoTLS
from prospector.demo.world import World, default_world

REASONS = {999: b"Request denied"}


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    time: float
    host: str
    method: str
    path: str  # the request target as sent (path and query)
    scheme: str


@functools.lru_cache(maxsize=1024)
def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=5, mtime=0)


def _reason(status: int) -> bytes:
    if status in REASONS:
        return REASONS[status]
    try:
        return http.HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _host_only(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1]
    return value.rsplit(":", 1)[0] if ":" in value else value


class DemoWeb:
    """The local multi-host web (see module docstring). Use as a context manager."""

    def __init__(
        self,
        world: World | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
        cert_dir: Path | None = None,
        trickle_interval_s: float = 1.0,
    ) -> None:
        self.world = world if world is not None else default_world()
        self.host = host
        self.latency_ms = latency_ms
        self.trickle_interval_s = trickle_interval_s
        self._want_port = port
        self._cert_dir = cert_dir
        self._tmp_dir: Path | None = None
        self._tls: DemoTLS | None = None
        self._sock: socket.socket | None = None
        self._refused: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._hits: list[Hit] = []
        self._hits_lock = threading.Lock()
        self.placed = PlacedLinks()  # links "earned" by the demo (see prospector.demo.placed)
        self.errors: list[str] = []  # unexpected exceptions inside the server (for debugging)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> DemoWeb:
        if self._thread is not None:
            return self
        self._tmp_dir = Path(tempfile.mkdtemp(prefix="prospector-demo-web-"))
        try:
            self._bind()
        except BaseException:
            self._release()
            raise
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name=f"prospector-demo-web-{self.port}", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        return self

    def _bind(self) -> None:
        assert self._tmp_dir is not None
        world = self.world
        special = {h: world.tls_mode(h) for h in world.hostnames(tls=None)}
        self._tls = DemoTLS(
            self._tmp_dir,
            self._cert_dir or self._tmp_dir,
            world.hostnames("valid"),
            {h: m for h, m in special.items() if m != "valid"},
            world.serves,
        )
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, self._want_port), family=family, backlog=1024)
        sock.setblocking(False)
        self._sock = sock
        refused = socket.socket(family, socket.SOCK_STREAM)
        self._refused = refused
        refused.bind((self.host, 0))  # bound, never listening: connections are refused

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lambda: loop.create_task(self._shutdown()))
        thread.join(timeout=5)
        self._loop = self._thread = None
        self._release()

    def _release(self) -> None:
        for sock in (self._sock, self._refused):
            if sock is not None:
                sock.close()
        self._sock = self._refused = None
        if self._tmp_dir is not None:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            self._tmp_dir = None

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- public helpers ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("DemoWeb is not running")
        return int(self._sock.getsockname()[1])

    @property
    def refused_port(self) -> int:
        if self._refused is None:
            raise RuntimeError("DemoWeb is not running")
        return int(self._refused.getsockname()[1])

    @property
    def ca_pem_path(self) -> Path:
        return self._require_tls().ca_pem_path

    def ca_spki_sha256_b64(self) -> str:
        """Base64 SHA-256 of the CA's SubjectPublicKeyInfo (for Chromium's SPKI allowlist)."""
        return self._require_tls().spki_hashes()[0]

    def spki_hashes(self) -> list[str]:
        """CA then default-leaf SPKI hashes; either one works in the Chromium allowlist."""
        return self._require_tls().spki_hashes()

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts the demo CA."""
        return ssl.create_default_context(cafile=str(self.ca_pem_path))

    def resolve_map(self) -> dict[str, str]:
        """What goes into ``network.resolve``: every .example host to this server."""
        ip = f"[{self.host}]" if ":" in self.host else self.host
        mapping = {"*.example": f"{ip}:{self.port}"}
        for host in self.world.nxdomain_hosts:
            mapping[host] = "NXDOMAIN"
        for host in self.world.refused_hosts:
            mapping[host] = f"{ip}:{self.refused_port}"
        return mapping

    def base_url(self, host: str, scheme: str = "https") -> str:
        return f"{scheme}://{host}"

    @property
    def hits(self) -> list[Hit]:
        with self._hits_lock:
            return list(self._hits)

    def clear_hits(self) -> None:
        with self._hits_lock:
            self._hits.clear()

    def place_link(self, url: str, target: str, anchor: str) -> PlacedLink:
        """From now on the page at ``url`` links to ``target`` in its main content."""
        return self.placed.add(url, target, anchor)

    def _require_tls(self) -> DemoTLS:
        if self._tls is None:
            raise RuntimeError("DemoWeb is not started")
        return self._tls

    # --- event loop --------------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        loop.set_exception_handler(self._on_loop_error)
        accept = loop.create_task(self._accept_loop())
        self._tasks.add(accept)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, asyncio.CancelledError)):
            return
        self.errors.append(str(context.get("message")) + (f": {exc!r}" if exc else ""))

    async def _shutdown(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.5)
        asyncio.get_running_loop().stop()

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        while True:
            conn, _ = await loop.sock_accept(self._sock)
            task = loop.create_task(self._connection(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _peek(self, conn: socket.socket) -> bytes:
        loop = asyncio.get_running_loop()
        while True:
            try:
                return conn.recv(1, socket.MSG_PEEK)
            except (BlockingIOError, InterruptedError):
                pass
            ready: asyncio.Future[None] = loop.create_future()
            fd = conn.fileno()
            loop.add_reader(fd, _wake, ready)
            try:
                await ready
            finally:
                loop.remove_reader(fd)

    async def _connection(self, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport: asyncio.Transport | None = None
        try:
            first = await self._peek(conn)
            if not first:
                return
            tls = first[0] == 0x16
            reader = asyncio.StreamReader(limit=2**16)
            protocol = asyncio.StreamReaderProtocol(reader)
            if tls:
                transport, _ = await loop.connect_accepted_socket(
                    lambda: protocol,
                    conn,
                    ssl=self._require_tls().context,
                    ssl_handshake_timeout=10,
                )
            else:
                transport, _ = await loop.connect_accepted_socket(lambda: protocol, conn)
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
            await self._serve(reader, writer, "https" if tls else "http")
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, h11.ProtocolError):
            pass
        except Exception as exc:  # never let one connection kill the server
            self.errors.append(repr(exc))
        finally:
            if transport is not None:
                transport.abort()
            else:
                conn.close()

    async def _next_event(self, conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
                continue
            return event

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scheme: str
    ) -> None:
        conn = h11.Connection(h11.SERVER)
        while True:
            event = await self._next_event(conn, reader)
            if not isinstance(event, h11.Request):
                return
            while not isinstance(end := await self._next_event(conn, reader), h11.EndOfMessage):
                if isinstance(end, h11.ConnectionClosed):
                    return
            headers = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
            method = event.method.decode()
            target = event.target.decode("latin-1")
            host = _host_only(headers.get("host", ""))
            with self._hits_lock:
                self._hits.append(Hit(time.time(), host, method, target, scheme))
            reply = self._reply(scheme, host, method, target)
            if not await self._send(conn, reader, writer, reply, method, headers):
                return
            if conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()

    def _reply(self, scheme: str, host: str, method: str, target: str) -> Reply:
        if method not in ("GET", "HEAD"):
            return Reply(
                405,
                (("Allow", "GET, HEAD"), ("Content-Type", "text/plain")),
                b"Method Not Allowed\n",
                nature="method_not_allowed",
            )
        try:
            return self.placed.apply(host, target, self.world.route(scheme, host, method, target))
        except Exception as exc:
            self.errors.append(f"route({host}{target}): {exc!r}")
            return Reply(
                500, (("Content-Type", "text/plain"),), b"demo web error\n", nature="error"
            )

    async def _send(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        reply: Reply,
        method: str,
        req_headers: dict[str, str],
    ) -> bool:
        delay = self.latency_ms / 1000 + reply.delay_s
        if delay > 0:
            await asyncio.sleep(delay)
        if reply.mode == "hang":
            while await reader.read(65536):  # never answer; wait for the client to give up
                pass
            return False
        body = reply.body
        headers = list(reply.headers)
        if reply.compressible and body and "gzip" in req_headers.get("accept-encoding", ""):
            body = _gzip(body)
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        names = {k.lower() for k, _ in headers}
        if "server" not in names:
            headers.append(("Server", "demo-web"))
        headers += [
            ("Content-Length", str(len(body))),
            ("Date", email.utils.formatdate(usegmt=True)),
        ]
        writer.write(
            conn.send(
                h11.Response(
                    status_code=reply.status, headers=headers, reason=_reason(reply.status)
                )
            )
            or b""
        )
        if method != "HEAD" and body:
            if reply.mode == "trickle":
                await writer.drain()
                for i in range(len(body)):
                    await asyncio.sleep(self.trickle_interval_s)
                    writer.write(conn.send(h11.Data(data=body[i : i + 1])) or b"")
                    await writer.drain()
            else:
                writer.write(conn.send(h11.Data(data=body)) or b"")
        writer.write(conn.send(h11.EndOfMessage()) or b"")
        await writer.drain()
        return True
