"""The one place that decides where a connection may go.

``network.resolve`` maps host patterns to ``IP[:PORT]`` or ``NXDOMAIN`` (like curl's
``--resolve``): an exact host entry wins over a pattern, ``*.example`` matches any depth of
subdomain, a mapped port replaces the URL's port. Mapped hosts are trusted. Everything else is
resolved with the system resolver and refused when it lands on a private, loopback, link-local
or otherwise non-global address, unless ``network.allow_private`` is set. A literal IP in a URL
is never "mapped". Callers connect to the addresses returned here, never re-resolving, so a
DNS answer cannot change between the check and the connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from prospector.config import NetworkSettings, parse_target
from prospector.errors import ForbiddenAddressError, NameNotResolvedError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Not globally reachable per the IANA special-purpose registries, whatever this Python's
# ``ipaddress`` knows (3.11 calls some of them global; 192.0.0.192 is a cloud metadata address).
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(net)
    for net in ("192.0.0.0/24", "192.88.99.0/24", "198.18.0.0/15", "fec0::/10", "3fff::/20")
)
_GLOBAL_EXCEPTIONS = frozenset(ipaddress.ip_address(a) for a in ("192.0.0.9", "192.0.0.10"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Destination:
    """Where to connect for one host: addresses to try in order, and whether it was mapped."""

    host: str
    addresses: tuple[tuple[str, int], ...]
    mapped: bool


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why an address may not be contacted by default, or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return forbidden_reason(embedded)
        if ip.sixtofour is not None and forbidden_reason(ip.sixtofour):
            return f"6to4 address of {ip.sixtofour}, which is not public"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address (cloud metadata lives here)"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_private:
        return "private address"
    if ip.is_reserved or not ip.is_global:
        return "reserved or non-global address"
    if ip not in _GLOBAL_EXCEPTIONS and any(ip in net for net in _NOT_GLOBAL):
        return "reserved or non-global address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) address
    stands for: judged as that address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class Resolver:
    """Applies ``network.resolve`` and the private-address policy."""

    def __init__(self, rules: Mapping[str, str] | None = None, allow_private: bool = False):
        self.allow_private = allow_private
        self._exact: dict[str, tuple[str, int | None] | None] = {}
        self._patterns: list[tuple[str, tuple[str, int | None] | None]] = []
        for pattern, target in (rules or {}).items():
            key = pattern.lower().rstrip(".")
            parsed = parse_target(target)
            if key.startswith("*."):
                self._patterns.append((key[1:], parsed))
            else:
                self._exact[key] = parsed
        self._patterns.sort(key=lambda item: len(item[0]), reverse=True)

    @classmethod
    def from_settings(cls, settings: NetworkSettings) -> Resolver:
        return cls(settings.resolve, settings.allow_private)

    @property
    def rules(self) -> list[tuple[str, tuple[str, int | None] | None]]:
        """Mapping rules, most specific first: exact hosts, then patterns by length."""
        exact = list(self._exact.items())
        return exact + [("*" + suffix, target) for suffix, target in self._patterns]

    def lookup(self, host: str) -> tuple[bool, tuple[str, int | None] | None]:
        """(mapped?, target) for a host name; target None with mapped=True means NXDOMAIN."""
        name = host.lower().rstrip(".")
        if name in self._exact:
            return True, self._exact[name]
        for suffix, target in self._patterns:
            if name.endswith(suffix) and len(name) > len(suffix):
                return True, target
        return False, None

    def check_ip(self, host: str, ip: IPAddress) -> None:
        if self.allow_private:
            return
        reason = forbidden_reason(ip)
        if reason:
            raise ForbiddenAddressError(host, str(ip), reason)

    def _literal(self, host: str) -> IPAddress | None:
        """The IP address a host is written as ("[::1]", "127.0.0.1." too), else None."""
        try:
            return ipaddress.ip_address(host.strip("[]").rstrip("."))
        except ValueError:
            return None

    def check_static(self, host: str) -> bool:
        """Refuse what can be refused without DNS: forbidden literal IPs. True if mapped."""
        literal = self._literal(host)
        if literal is not None:
            self.check_ip(host, literal)
            return False
        return self.lookup(host)[0]

    async def resolve(self, host: str, port: int, timeout: float | None = None) -> Destination:
        """Addresses to connect to for ``host:port``; raises when refused or unresolvable."""
        literal = self._literal(host)
        if literal is not None:
            self.check_ip(host, literal)
            return Destination(host, ((str(literal), port),), mapped=False)
        mapped, target = self.lookup(host)
        if mapped:
            if target is None:
                raise NameNotResolvedError(host, detail="mapped to NXDOMAIN by network.resolve")
            ip, mapped_port = target
            return Destination(host, ((ip, mapped_port or port),), mapped=True)
        infos = await _getaddrinfo(host, port, timeout)
        allowed: list[tuple[str, int]] = []
        refusal: ForbiddenAddressError | None = None
        for address in dict.fromkeys(str(info[4][0]) for info in infos):
            try:
                self.check_ip(host, ipaddress.ip_address(address.split("%")[0]))
            except ForbiddenAddressError as exc:
                refusal = refusal or exc
                continue
            allowed.append((address, port))
        if not allowed:
            if refusal is not None:
                raise refusal
            raise NameNotResolvedError(host, detail="no usable address")
        return Destination(host, tuple(allowed), mapped=False)


async def _getaddrinfo(host: str, port: int, timeout: float | None) -> list[tuple]:  # type: ignore[type-arg]
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
    except TimeoutError:
        raise NameNotResolvedError(host, transient=True, detail="DNS lookup timed out") from None
    except socket.gaierror as exc:
        transient = exc.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", -11))
        raise NameNotResolvedError(host, transient=transient, detail=str(exc)) from None
    except UnicodeError:
        raise NameNotResolvedError(host, detail="invalid host name") from None
    return list(infos)
