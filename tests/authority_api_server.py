"""A local HTTP server speaking the Open PageRank API and the Moz Links API v2 (url_metrics).

Open PageRank: ``GET /api/v1.0/getPageRank?domains[]=a&domains[]=b`` with header ``API-OPR``
-> ``{"status_code": 200, "response": [{"status_code": 200, "error": "", "page_rank_integer",
"page_rank_decimal", "rank", "domain"}]}``; a domain it does not know comes back with
``"status_code": 404, "error": "Domain not found"``; a bad key is HTTP 401 with
``{"status_code": 401, "error": "Invalid API key"}``; more than 100 domains is a 400.

Moz: ``POST /v2/url_metrics`` with ``{"targets": [...]}`` and ``Authorization: Basic
base64(access_id:secret)`` -> ``{"results": [{"page", "subdomain", "root_domain", "title",
"last_crawled", "http_code", "domain_authority", "page_authority", "spam_score",
"root_domains_to_root_domain", "external_pages_to_root_domain", ...}]}`` in target order (a
domain it does not know: only ``page`` and ``http_code`` 0); errors as
``{"name": ..., "message": ...}``; more than 50 targets is a 400.

``faults[route]`` makes the next answers on that route fail: "401", "403", "429",
"malformed", "500" (route: "opr" or "moz"); ``fault_count`` limits how many (0 = all).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OPR_PATH = "/api/v1.0/getPageRank"
MOZ_PATH = "/v2/url_metrics"
MOZ_ACCESS = "mozscape-test"
MOZ_SECRET = "s3cret"


def moz_token(access: str = MOZ_ACCESS, secret: str = MOZ_SECRET) -> str:
    return base64.b64encode(f"{access}:{secret}".encode()).decode()


@dataclass
class Hit:
    method: str
    path: str  # the request target as sent
    route: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class AuthorityApiServer:
    opr_key: str = "opr-test-key"
    moz_token: str = field(default_factory=moz_token)
    opr: dict[str, float] = field(default_factory=dict)  # domain -> page_rank_decimal
    moz: dict[str, int] = field(default_factory=dict)  # domain -> domain authority
    faults: dict[str, str] = field(default_factory=dict)
    fault_count: int = 0
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                hit = Hit(
                    self.command,
                    self.path,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with server.lock:
                    server.hits.append(hit)
                    status, headers, payload = server.answer(hit)
                self.send_response(status)
                headers.setdefault("Content-Type", "application/json")
                headers["Content-Length"] = str(len(payload))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.port = int(self.httpd.server_address[1])

    def __enter__(self) -> AuthorityApiServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def routed(self, route: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.route == route]

    # -- answers --------------------------------------------------------------------------------

    def answer(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        if hit.route == OPR_PATH and hit.method == "GET":
            return self.fault("opr") or self.open_pagerank(hit)
        if hit.route == MOZ_PATH and hit.method == "POST":
            return self.fault("moz") or self.moz_metrics(hit)
        return 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"

    def fault(self, route: str) -> tuple[int, dict[str, str], bytes] | None:
        kind = self.faults.get(route)
        if kind is None:
            return None
        if self.fault_count:
            self.fault_count -= 1
            if not self.fault_count:
                del self.faults[route]
        if kind in ("401", "403"):
            if route == "opr":
                return int(kind), {}, _json({"status_code": int(kind), "error": "Invalid API key"})
            return int(kind), {}, _json({"name": "Unauthorized", "message": "Invalid credentials"})
        if kind == "429":
            body = (
                {"status_code": 429, "error": "Too many requests"}
                if route == "opr"
                else {"name": "TooManyRequests", "message": "Monthly row limit exceeded"}
            )
            return 429, {"Retry-After": "120"}, _json(body)
        if kind == "malformed":
            return 200, {}, b'{"response": [{"domain": "cut.example", "page_rank_dec'
        return 500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>"

    def open_pagerank(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        if hit.headers.get("api-opr") != self.opr_key:
            return 401, {}, _json({"status_code": 401, "error": "Invalid API key"})
        domains = hit.query.get("domains[]", [])
        if not domains or len(domains) > 100:
            return 400, {}, _json({"status_code": 400, "error": "Send 1 to 100 domains[]"})
        items = []
        for domain in domains:
            decimal = self.opr.get(domain)
            if decimal is None:
                items.append(
                    {
                        "status_code": 404,
                        "error": "Domain not found",
                        "page_rank_integer": 0,
                        "page_rank_decimal": 0,
                        "rank": None,
                        "domain": domain,
                    }
                )
                continue
            items.append(
                {
                    "status_code": 200,
                    "error": "",
                    "page_rank_integer": round(decimal),
                    "page_rank_decimal": decimal,
                    "rank": str(int(1_000_000 / (1 + decimal**3))),
                    "domain": domain,
                }
            )
        return 200, {}, _json({"status_code": 200, "response": items, "last_updated": "15th Aug"})

    def moz_metrics(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        if hit.headers.get("authorization") != f"Basic {self.moz_token}":
            return 401, {}, _json({"name": "Unauthorized", "message": "Invalid credentials"})
        try:
            targets = json.loads(hit.body)["targets"]
        except (ValueError, KeyError, TypeError):
            return 400, {}, _json({"name": "BadRequest", "message": "targets is required"})
        if not isinstance(targets, list) or not 1 <= len(targets) <= 50:
            return 400, {}, _json({"name": "BadRequest", "message": "1 to 50 targets"})
        results: list[dict[str, Any]] = []
        for target in targets:
            da = self.moz.get(target)
            if da is None:
                results.append({"page": f"{target}/", "http_code": 0})
                continue
            results.append(
                {
                    "page": f"{target}/",
                    "subdomain": target,
                    "root_domain": target,
                    "title": f"{target} home",
                    "last_crawled": "2024-05-01",
                    "http_code": 200,
                    "pages_to_page": da * 40,
                    "root_domains_to_root_domain": da * 7,
                    "external_pages_to_root_domain": da * 120,
                    "domain_authority": da,
                    "page_authority": max(1, da - 7),
                    "spam_score": 3,
                    "link_propensity": 0.012,
                }
            )
        return 200, {}, _json({"results": results})


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()
