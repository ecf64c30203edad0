"""A local HTTP server speaking the SearXNG JSON API and the Brave Web Search API.

SearXNG: ``GET /search?q=&format=json&pageno=N`` -> ``{"query", "number_of_results", "results":
[{"url", "title", "content", "engine", "engines", "positions", "score", "category", ...}],
"answers", "corrections", "infoboxes", "suggestions", "unresponsive_engines"}``; 403 when JSON
output is disabled, 429 from its limiter.

Brave: ``GET /res/v1/web/search?q=&count=&offset=`` with ``X-Subscription-Token`` ->
``{"type": "search", "query": {...}, "web": {"type": "search", "results": [{"title", "url",
"description", "type": "search_result", "meta_url": {...}, ...}]}}``; errors as
``{"type": "ErrorResponse", "error": {"id", "status", "code", "detail", "meta"}, "time"}``;
every answer carries ``X-RateLimit-Limit/-Policy/-Remaining/-Reset`` ("per second, per month").

Results are made up from the query and page: ``RESULTS_PER_PAGE`` pages of distinct URLs per
query, plus ``SHARED_URL`` (with a tracking-parameter twin) and ``OWN_URL`` on every first page.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SEARXNG_PAGE_SIZE = 10
AVAILABLE_PAGES = 3
SHARED_URL = "https://shared.example/resources"
SHARED_TWIN = "https://SHARED.example/resources?utm_source=search#top"
OWN_URL = "https://soilsmith.example/guides/hot-composting"
MONTH_S = 2_592_000


@dataclass
class Hit:
    path: str  # the request target as sent, query string included
    route: str
    params: dict[str, str]
    headers: dict[str, str]
    at: float


@dataclass
class SearchApiServer:
    brave_key: str = "brave-test-key"
    brave_bad_key_status: int = 401
    searxng_mode: str = "ok"  # ok | json_disabled | limited | engines_failed
    faults: dict[str, str] = field(default_factory=dict)  # query -> "500" | "malformed"
    rate_limited_next: int = 0  # the next N Brave requests get a per-second 429
    per_second_limit: int = 50
    quota_limit: int = 2000
    quota_used: int = 0
    quota_reset_s: int = 10_800
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                hit = Hit(
                    self.path, parts.path, params, dict(self.headers.items()), time.monotonic()
                )
                with server.lock:
                    server.hits.append(hit)
                    status, headers, body = server.answer(hit)
                self.send_response(status)
                headers.setdefault("Content-Type", "application/json")
                headers["Content-Length"] = str(len(body))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> SearchApiServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def routed(self, route: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.route == route]

    # -- answers ------------------------------------------------------------------------------

    def answer(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        if hit.route == "/search":
            return self.searxng(hit)
        if hit.route == "/res/v1/web/search":
            return self.brave(hit)
        return 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"

    def fault(self, query: str) -> tuple[int, dict[str, str], bytes] | None:
        kind = self.faults.get(query)
        if kind == "500":
            return 500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>"
        if kind == "malformed":
            return 200, {}, b'{"results": [{"url": "https://cut.example/'
        return None

    def searxng(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        if self.searxng_mode == "json_disabled" or hit.params.get("format") != "json":
            return 403, {"Content-Type": "text/html"}, b"<h1>Forbidden</h1>"
        if self.searxng_mode == "limited":
            return 429, {"Content-Type": "text/plain"}, b"Too Many Requests"
        query = hit.params.get("q", "")
        page = int(hit.params.get("pageno", "1"))
        faulty = self.fault(query)
        if faulty:
            return faulty
        if self.searxng_mode == "engines_failed":
            body = _searxng_body(query, [], [["google", "CAPTCHA"], ["bing", "timeout"]])
            return 200, {}, body
        items = [
            {
                "url": url,
                "title": title,
                "content": snippet,
                "engine": "duckduckgo",
                "engines": ["duckduckgo", "brave"],
                "positions": [rank],
                "score": 1.0 / rank,
                "category": "general",
                "template": "default.html",
                "parsed_url": list(urlsplit(url)),
                "publishedDate": None,
            }
            for rank, (url, title, snippet) in enumerate(results(query, page, SEARXNG_PAGE_SIZE), 1)
        ]
        return 200, {}, _searxng_body(query, items, [])

    def brave(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        token = hit.headers.get("X-Subscription-Token")
        if token != self.brave_key:
            return self.brave_error(
                self.brave_bad_key_status,
                "SUBSCRIPTION_TOKEN_INVALID",
                "The provided subscription token is invalid.",
                {},
                count=False,
            )
        if self.quota_used >= self.quota_limit:
            return self.brave_error(
                429, "RATE_LIMITED", "Request rate limit exceeded for plan", {}, count=False
            )
        if self.rate_limited_next > 0:
            self.rate_limited_next -= 1
            return self.brave_error(
                429,
                "RATE_LIMITED",
                "Request rate limit exceeded for plan",
                {},
                count=False,
                second_left=0,
            )
        query = hit.params.get("q", "")
        faulty = self.fault(query)
        if faulty:
            status, headers, body = faulty
            return status, {**headers, **self.rate_headers(self.per_second_limit - 1)}, body
        count = int(hit.params.get("count", "20"))
        offset = int(hit.params.get("offset", "0"))
        self.quota_used += 1
        found = results(query, offset + 1, count)
        data: dict[str, Any] = {
            "type": "search",
            "query": {
                "original": query,
                "show_strict_warning": False,
                "is_navigational": False,
                "more_results_available": offset + 1 < AVAILABLE_PAGES,
                "country": "us",
                "spellcheck_off": True,
            },
            "mixed": {"type": "mixed", "main": [], "top": [], "side": []},
        }
        if found:
            data["web"] = {
                "type": "search",
                "family_friendly": True,
                "results": [
                    {
                        "title": title,
                        "url": url,
                        "is_source_local": False,
                        "is_source_both": False,
                        "description": snippet.replace("compost", "<strong>compost</strong>"),
                        "language": "en",
                        "family_friendly": True,
                        "type": "search_result",
                        "subtype": "generic",
                        "meta_url": {
                            "scheme": "https",
                            "netloc": urlsplit(url).netloc,
                            "hostname": urlsplit(url).hostname,
                            "path": urlsplit(url).path,
                        },
                    }
                    for url, title, snippet in found
                ],
            }
        headers = self.rate_headers(self.per_second_limit - 1)
        return 200, headers, json.dumps(data).encode()

    def rate_headers(self, second_left: int) -> dict[str, str]:
        month_left = max(0, self.quota_limit - self.quota_used)
        return {
            "X-RateLimit-Limit": f"{self.per_second_limit}, {self.quota_limit}",
            "X-RateLimit-Policy": f"{self.per_second_limit};w=1, {self.quota_limit};w={MONTH_S}",
            "X-RateLimit-Remaining": f"{second_left}, {month_left}",
            "X-RateLimit-Reset": f"1, {self.quota_reset_s}",
        }

    def brave_error(
        self,
        status: int,
        code: str,
        detail: str,
        meta: dict[str, Any],
        *,
        count: bool,
        second_left: int | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        if code == "RATE_LIMITED":
            meta = {
                "plan": "Free",
                "rate_limit": self.per_second_limit,
                "rate_current": self.per_second_limit,
                "quota_limit": self.quota_limit,
                "quota_current": self.quota_used,
                "org_rate_limit": None,
                "org_rate_current": 0,
                "component": "rate_limiter",
            }
        body = {
            "type": "ErrorResponse",
            "error": {
                "id": "0b9a6b1e-8b44-4c55-9d2b-1f7b1b9f7c11",
                "status": status,
                "code": code,
                "detail": detail,
                "meta": meta,
            },
            "time": int(time.time()),
        }
        headers = {}
        if status == 429:
            left = self.per_second_limit - 1 if second_left is None else second_left
            headers = self.rate_headers(left)
        return status, headers, json.dumps(body).encode()


def results(query: str, page: int, size: int) -> list[tuple[str, str, str]]:
    """Made-up results for one query page: (url, title, snippet)."""
    if not 1 <= page <= AVAILABLE_PAGES:
        return []
    slug = hashlib.sha1(query.encode()).hexdigest()[:8]
    out = []
    if page == 1:
        out += [
            (SHARED_URL, "Shared resources", "A compost resource list every query finds."),
            (SHARED_TWIN, "Shared resources (tracked)", "The same page with tracking."),
            (OWN_URL, "Our own guide", "Our own compost guide."),
        ]
    for i in range(size - len(out)):
        url = f"https://site-{slug}.example/p{page}/r{i}"
        out.append((url, f"Result {page}.{i} for {query}", f"About compost and {query}."))
    return out[:size]


def _searxng_body(query: str, items: list[dict[str, Any]], unresponsive: list[list[str]]) -> bytes:
    return json.dumps(
        {
            "query": query,
            "number_of_results": 0,
            "results": items,
            "answers": [],
            "corrections": [],
            "infoboxes": [],
            "suggestions": [],
            "unresponsive_engines": unresponsive,
        }
    ).encode()
