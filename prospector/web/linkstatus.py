"""Link status: live, dead, inconclusive or skipped, with the precise reason (DESIGN.md §4).

A bot wall, a rate limit or a timeout is never "dead"; a soft-404, a parked domain or a deep
URL redirected to the home page is never "live". Soft-404s are caught by content and by
probing a random path on the same host; pages that need JavaScript (single-page-app shells,
script redirects) are rendered in the browser before they are judged.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from prospector.errors import ForbiddenAddressError
from prospector.models import utcnow
from prospector.web import signals
from prospector.web.browser import Rendered
from prospector.web.fetch import Fetched, Fetcher
from prospector.web.urls import dedupe_key, invalid_url

VERDICTS: dict[str, str] = {
    "ok": "live",
    "redirected": "live",
    "not_found": "dead",
    "dead_domain": "dead",
    "soft_404": "dead",
    "parked": "dead",
    "redirect_loop": "dead",
    "tls_error": "dead",
    "blocked": "inconclusive",
    "auth_required": "inconclusive",
    "rate_limited": "inconclusive",
    "server_error": "inconclusive",
    "timeout": "inconclusive",
    "connection_error": "inconclusive",
    "invalid": "skipped",
    "forbidden_address": "skipped",
    "robots_disallowed": "skipped",
}
SOFT_404_SIMILARITY = 0.85
SIMILARITY_CHARS = 300_000  # of each page compared: enough to tell a template from a page
_ERRORS = {
    "invalid": "invalid",
    "forbidden": "forbidden_address",
    "robots": "robots_disallowed",
    "dns": "dead_domain",
    "dns_transient": "connection_error",
    "refused": "connection_error",
    "reset": "connection_error",
    "timeout": "timeout",
    "tls": "tls_error",
    "redirect_loop": "redirect_loop",
    "no_location": "server_error",
    "protocol": "server_error",
}


@dataclass(frozen=True)
class LinkCheck:
    """The answer for one URL: ``url`` exactly as given, ``final_url`` where it ended."""

    url: str
    verdict: str
    status: str
    http_status: int | None
    final_url: str
    detail: str
    checked_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("checked_at")
        return out


def result(
    url: str, status: str, fetched: Fetched | None, detail: str, final_url: str | None = None
) -> LinkCheck:
    return LinkCheck(
        url=url,
        verdict=VERDICTS[status],
        status=status,
        http_status=fetched.status if fetched else None,
        final_url=final_url or (fetched.final_url if fetched else url),
        detail=detail,
        checked_at=utcnow(),
    )


def classify(url: str, fetched: Fetched) -> LinkCheck | None:
    """Judge a fetch from its status, headers and redirects; None = 2xx page to judge by content."""
    if fetched.error is not None:
        status = _ERRORS.get(fetched.error, "connection_error")
        detail = fetched.detail
        if fetched.error == "forbidden" and fetched.hops:
            detail = f"redirect to a refused address: {detail}"
        return result(url, status, fetched, detail)
    code = fetched.status or 0
    body = fetched.text() if fetched.body else ""
    wall = signals.bot_wall(code, fetched.headers, body)
    if wall:
        return result(url, "blocked", fetched, wall)
    first_hop_target = fetched.hops[0].location if fetched.hops else None
    if (
        fetched.hops
        and not signals.login_wall(url)
        and (
            signals.login_wall(fetched.final_url)
            or (first_hop_target is not None and signals.login_wall(first_hop_target))
        )
    ):
        return result(url, "blocked", fetched, f"login wall: redirected to {fetched.final_url}")
    if code in (401, 407):
        return result(url, "auth_required", fetched, f"{code} authentication required")
    if code in (403, 451):
        return result(url, "blocked", fetched, f"{code} access denied")
    if code == 429:
        return result(
            url,
            "rate_limited",
            fetched,
            "429 too many requests"
            + (
                f" (Retry-After: {fetched.headers['retry-after']})"
                if "retry-after" in fetched.headers
                else ""
            ),
        )
    if code in (404, 410):
        return result(url, "not_found", fetched, f"{code}" + _via(fetched))
    if code >= 500:
        return result(url, "server_error", fetched, f"{code} server error")
    if not 200 <= code < 300:
        return result(url, "server_error", fetched, f"unexpected HTTP {code}")
    reason = signals.parked(body, fetched.final_url) if body else None
    if reason:
        return result(url, "parked", fetched, reason + _via(fetched))
    if fetched.hops and _deep_to_root(url, fetched.final_url):
        return result(url, "soft_404", fetched, f"deep URL redirected to {fetched.final_url}")
    if body:
        reason = signals.not_found_page(body)
        if reason:
            return result(url, "soft_404", fetched, f"200 page that {reason}")
    return None


def _via(fetched: Fetched) -> str:
    if not fetched.hops:
        return ""
    return f" after {len(fetched.hops)} redirect(s) to {fetched.final_url}"


def _deep_to_root(url: str, final_url: str) -> bool:
    source, target = urlsplit(url), urlsplit(final_url)
    deep = source.path.strip("/") not in ("", "index.html", "index.php", "home")
    root = target.path.strip("/") in ("", "index.html", "index.php", "home") and not target.query
    return deep and root


class LinkChecker:
    """Checks URLs for one run: each unique URL once, with per-host soft-404 probes."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        render: Callable[[str], Awaitable[Rendered | None]] | None = None,
        on_result: Callable[[LinkCheck], None] | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.render = render
        self.on_result = on_result
        self._checks: dict[str, asyncio.Task[LinkCheck]] = {}
        self._probes: dict[str, asyncio.Task[Fetched | None]] = {}

    async def check_many(self, urls: list[str]) -> list[LinkCheck]:
        return list(await asyncio.gather(*(self.check(url) for url in urls)))

    async def check(self, url: str) -> LinkCheck:
        """The status of ``url``; URLs differing only by fragment or tracking tags share one."""
        key = dedupe_key(url)
        task = self._checks.get(key)
        if task is None:
            task = asyncio.ensure_future(self._check(url))
            self._checks[key] = task
        found = await asyncio.shield(task)
        if found.url != url:
            found = LinkCheck(
                url,
                found.verdict,
                found.status,
                found.http_status,
                found.final_url,
                found.detail,
                found.checked_at,
            )
        return found

    async def _check(self, url: str) -> LinkCheck:
        check = await self._judge(url)
        if self.on_result is not None:
            self.on_result(check)
        return check

    async def _judge(self, url: str, depth: int = 0) -> LinkCheck:
        stripped = url.strip()
        problem = invalid_url(stripped)
        if problem:
            return result(url, "invalid", None, problem)
        try:
            self.fetcher.resolver.check_static(urlsplit(stripped).hostname or "")
        except ForbiddenAddressError as exc:  # refused before any request is made
            return result(url, "forbidden_address", None, str(exc))
        fetched = await self._fetch(stripped)
        verdict = classify(url, fetched)
        if verdict is not None:
            return verdict
        body = fetched.text() if fetched.body else ""
        if self.render is not None and body and depth < 3:
            why = signals.needs_javascript(body)
            if why:
                return await self._judge_rendered(url, fetched, why, depth)
        soft = await self._soft_404_by_probe(fetched, body)
        if soft:
            return result(url, "soft_404", fetched, soft)
        if fetched.hops:
            return result(
                url,
                "redirected",
                fetched,
                f"{fetched.status} after {len(fetched.hops)} redirect(s)",
            )
        return result(url, "ok", fetched, f"{fetched.status}")

    async def _fetch(self, url: str) -> Fetched:
        """GET; or, with ``fetch.head_first``, HEAD and then GET unless HEAD can be trusted."""
        if self.fetcher.conf.head_first:
            head = await self.fetcher.fetch(url, method="HEAD")
            trusted = (
                head.error is None
                and head.status is not None
                and 200 <= head.status < 300
                and not head.is_html
            )
            if trusted or head.error in ("invalid", "forbidden", "robots", "dns", "tls"):
                return head
        return await self.fetcher.fetch(url)

    async def _judge_rendered(self, url: str, fetched: Fetched, why: str, depth: int) -> LinkCheck:
        assert self.render is not None
        landed = await self.render(fetched.final_url)
        if landed is None:  # what its scripts do decides the verdict: unknown, not "ok"
            return result(
                url,
                "timeout",
                fetched,
                f"{fetched.status} ({why}), but the browser could not render it in time",
            )
        if landed.final_url.split("#")[0] != fetched.final_url.split("#")[0]:
            target = await self._judge(landed.final_url, depth + 1)
            status = "redirected" if target.status == "ok" else target.status
            return LinkCheck(
                url,
                VERDICTS[status],
                status,
                target.http_status,
                target.final_url,
                f"script redirect to {landed.final_url}: {target.detail}",
                utcnow(),
            )
        reason = signals.not_found_page(landed.html) or signals.parked(
            landed.html, landed.final_url
        )
        if reason:
            return result(url, "soft_404", fetched, f"rendered page that {reason}")
        status = "redirected" if fetched.hops else "ok"
        return result(url, status, fetched, f"{fetched.status} (rendered: {why})")

    async def _soft_404_by_probe(self, fetched: Fetched, body: str) -> str | None:
        """Compare the page with what the host answers for a path that cannot exist."""
        parts = urlsplit(fetched.final_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        task = self._probes.get(origin)
        if task is None:
            task = asyncio.ensure_future(self._probe(origin))
            self._probes[origin] = task
        probe = await asyncio.shield(task)
        if probe is None or probe.error is not None or probe.status != 200:
            return None
        if probe.hops:
            # the host redirects unknown paths; a URL redirected to the same place is a 404
            same = fetched.final_url.rstrip("/") == probe.final_url.rstrip("/")
            if same and fetched.hops:
                return "redirected where the host sends paths that do not exist"
            return None
        if not body or not probe.body:
            return None
        score = signals.similarity(
            signals.visible_text(body[:SIMILARITY_CHARS]),
            signals.visible_text(probe.text()[:SIMILARITY_CHARS]),
        )
        if score >= SOFT_404_SIMILARITY:
            return f"200 page matching the host's answer for a random path (similarity {score:.2f})"
        return None

    async def _probe(self, origin: str) -> Fetched | None:
        path = f"/{secrets.token_hex(6)}-{secrets.token_hex(4)}/{secrets.token_hex(5)}.html"
        probe = await self.fetcher.fetch(origin + path)
        if probe.error == "robots":
            return None
        return probe
