"""The expected link status of a URL in the demo world (DESIGN.md §4 taxonomy).

It walks the same ``route()`` the server answers with, so truth and server agree by
construction; the classification rules here are the contract a link checker must meet.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from prospector.demo.model import Reply, Site

MAX_REDIRECTS = 20
TAXONOMY: dict[str, tuple[str, ...]] = {
    "live": ("ok", "redirected"),
    "dead": ("not_found", "dead_domain", "soft_404", "parked", "redirect_loop", "tls_error"),
    "inconclusive": (
        "blocked",
        "auth_required",
        "rate_limited",
        "server_error",
        "timeout",
        "connection_error",
    ),
    "skipped": ("invalid", "forbidden_address"),
}
VERDICT_OF = {status: verdict for verdict, statuses in TAXONOMY.items() for status in statuses}


class WorldView(Protocol):
    nxdomain_hosts: tuple[str, ...]
    refused_hosts: tuple[str, ...]
    slow_delay_s: float

    def site_for(self, host: str) -> Site | None: ...

    def tls_mode(self, host: str) -> str: ...

    def route(self, scheme: str, host: str, method: str, target: str) -> Reply: ...


class UnknownHostError(LookupError):
    """A link in the world points at a host the world does not define."""


@dataclass(frozen=True)
class Expectation:
    verdict: str
    status: str
    reason: str
    final_url: str | None = None
    redirects: int = 0


def _done(status: str, reason: str, final: str | None = None, hops: int = 0) -> Expectation:
    return Expectation(VERDICT_OF[status], status, reason, final, hops)


def _forbidden(host: str) -> bool | None:
    """True for a private/loopback/link-local literal IP, False for a public one, None if a name."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return bool(
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified
    )


def expect(world: WorldView, url: str) -> Expectation:
    try:
        parts = urlsplit(url)
        _ = parts.port
        host = parts.hostname
    except ValueError as exc:
        return _done("invalid", f"unparseable URL ({exc})")
    if parts.scheme not in ("http", "https") or not host or " " in parts.netloc:
        return _done("invalid", "not an http(s) URL with a valid host")
    input_path = parts.path or "/"
    current, hops, seen, went_home = url, 0, {url}, False
    while True:
        parts = urlsplit(current)
        host = (parts.hostname or "").lower()
        via = " after a redirect" if hops else ""
        forbidden = _forbidden(host)
        if forbidden:
            return _done(
                "forbidden_address", f"private/link-local address {host}{via}", current, hops
            )
        if forbidden is False:
            raise UnknownHostError(f"public IP literal in the demo world: {current}")
        if host in world.nxdomain_hosts:
            return _done("dead_domain", f"{host} does not resolve (NXDOMAIN){via}", current, hops)
        if host in world.refused_hosts:
            return _done("connection_error", f"connection to {host} refused{via}", current, hops)
        if world.site_for(host) is None:
            raise UnknownHostError(f"link to a host outside the demo world: {current}")
        if parts.scheme == "https" and world.tls_mode(host) != "valid":
            mode = world.tls_mode(host)
            return _done("tls_error", f"TLS certificate problem: {mode}{via}", current, hops)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        reply = world.route(parts.scheme, host, "GET", target)
        if reply.mode == "hang":
            return _done(
                "timeout", "server accepts the connection and never answers", current, hops
            )
        if reply.mode == "trickle":
            return _done("timeout", "body trickles one byte per second", current, hops)
        status = reply.status
        if reply.nature == "challenge":
            return _done("blocked", f"bot wall ({status} challenge page){via}", current, hops)
        if reply.nature == "login":
            return _done("blocked", f"login wall (redirect to sign-in){via}", current, hops)
        if status == 999:
            return _done("blocked", "999 request denied (LinkedIn-style)", current, hops)
        if status in (401, 407):
            return _done("auth_required", f"{status} authentication required", current, hops)
        if status == 403:
            return _done("blocked", "403 forbidden", current, hops)
        if status == 429:
            return _done("rate_limited", "429 with Retry-After", current, hops)
        if status >= 500:
            return _done("server_error", f"{status} server error{via}", current, hops)
        if 400 <= status < 500:
            return _done("not_found", f"{status}{via}", current, hops)
        if 300 <= status < 400:
            location = reply.header("Location")
            if location is None:
                return _done("server_error", f"{status} without a Location header", current, hops)
            nxt = urljoin(current, location)
        elif reply.nature == "parked":
            return _done("parked", f"parked / for-sale domain{via}", current, hops)
        elif reply.nature == "soft404":
            return _done(
                "soft_404", f"200 answer for a page that does not exist{via}", current, hops
            )
        elif reply.nature in ("meta_refresh", "js_redirect") and reply.redirect_to:
            nxt = urljoin(current, reply.redirect_to)
        elif went_home:
            return _done("soft_404", "deep URL redirected to the home page", current, hops)
        else:
            reason = f"{status} after {hops} redirect(s)" if hops else f"{status}"
            if reply.delay_s:
                reason += f"; answers after {reply.delay_s:g} s (a shorter timeout gives timeout)"
            return _done("redirected" if hops else "ok", reason, current, hops)
        hops += 1
        if nxt in seen:
            return _done("redirect_loop", "redirect loop", nxt, hops)
        if hops > MAX_REDIRECTS:
            return _done("redirect_loop", f"more than {MAX_REDIRECTS} redirects", nxt, hops)
        if (urlsplit(nxt).path or "/") == "/" and input_path != "/":
            went_home = True
        seen.add(nxt)
        current = nxt
