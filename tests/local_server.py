"""A tiny scriptable HTTP server on loopback for fetcher behaviours the demo web lacks:
retry-then-succeed, compression bombs, huge bodies, redirects into refused addresses."""

from __future__ import annotations

import email.utils
import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[["Request"], tuple[int, dict[str, str], bytes]]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    at: float
    count: int  # how many times this path was requested so far, this one included


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up early (the fetcher's caps do) is not an error here."""


@dataclass
class LocalServer:
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                path = self.path.split("?")[0]
                with server.lock:
                    count = sum(1 for h in server.hits if h.path == path) + 1
                    request = Request(
                        self.command, path, dict(self.headers.items()), time.monotonic(), count
                    )
                    server.hits.append(request)
                handler = server.routes.get(path)
                status, headers, body = handler(request) if handler else (404, {}, b"nope")
                self.send_response(status)
                headers.setdefault("Content-Type", "text/html; charset=utf-8")
                headers["Content-Length"] = str(len(body))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = _serve
            do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.lock = threading.Lock()
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.port = int(self.httpd.server_address[1])

    def __enter__(self) -> LocalServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]


def page(title: str, text: str = "A real page with enough words to be a page.") -> bytes:
    return f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{text}</p>".encode()


def retry_once(status: int, after: str) -> Handler:
    def handler(request: Request) -> tuple[int, dict[str, str], bytes]:
        if request.count == 1:
            return status, {"Retry-After": after}, b"slow down"
        return 200, {}, page("Recovered")

    return handler


def http_date(seconds_ahead: float) -> str:
    return email.utils.formatdate(time.time() + seconds_ahead, usegmt=True)


def gzip_bomb(size: int) -> Handler:
    body = gzip.compress(b"<p>" + b"a" * size, compresslevel=9)

    def handler(request: Request) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Encoding": "gzip"}, body

    return handler


def fixed(status: int, body: bytes = b"", **headers: str) -> Handler:
    def handler(request: Request) -> tuple[int, dict[str, str], bytes]:
        return status, {k.replace("_", "-"): v for k, v in headers.items()}, body

    return handler
