"""Stdlib HTTP(S) client for the demo web: connects to 127.0.0.1:PORT, sends Host and SNI."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Resp:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    elapsed: float


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address with the URL's host as SNI and for verification."""

    def __init__(self, host: str, addr: tuple[str, int], ctx: ssl.SSLContext, timeout: float):
        super().__init__(host, addr[1], context=ctx, timeout=timeout)
        self._addr = addr
        self._ctx = ctx

    def connect(self) -> None:
        sock = socket.create_connection(self._addr, self.timeout)
        self.sock = self._ctx.wrap_socket(sock, server_hostname=self.host)


class Client:
    """Keep-alive client; one connection per (scheme, host)."""

    def __init__(self, port: int, cafile: str, *, verify: bool = True, timeout: float = 10.0):
        self.port = port
        self.timeout = timeout
        if verify:
            self.ctx = ssl.create_default_context(cafile=cafile)
        else:
            self.ctx = ssl.create_default_context()
            self.ctx.check_hostname = False
            self.ctx.verify_mode = ssl.CERT_NONE
        self._conns: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def _conn(self, scheme: str, host: str) -> http.client.HTTPConnection:
        key = (scheme, host)
        conn = self._conns.get(key)
        if conn is None:
            if scheme == "https":
                conn = _TLSConnection(host, ("127.0.0.1", self.port), self.ctx, self.timeout)
            else:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self._conns[key] = conn
        return conn

    def request(
        self,
        url: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        read_body: bool = True,
    ) -> Resp:
        parts = urlsplit(url)
        host = parts.hostname or ""
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        hdrs = {"Host": host, "User-Agent": "demo-web-tests", **(headers or {})}
        for attempt in (0, 1):
            conn = self._conn(parts.scheme, host)
            start = time.monotonic()
            try:
                conn.request(method, target, headers=hdrs)
                resp = conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.drop(parts.scheme, host)
                if attempt:
                    raise
                continue
            body = resp.read() if read_body else b""
            result = Resp(
                resp.status,
                {k.lower(): v for k, v in resp.getheaders()},
                body,
                time.monotonic() - start,
            )
            if not read_body or resp.will_close:
                self.drop(parts.scheme, host)
            return result
        raise AssertionError("unreachable")

    def drop(self, scheme: str, host: str) -> None:
        conn = self._conns.pop((scheme, host), None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()
