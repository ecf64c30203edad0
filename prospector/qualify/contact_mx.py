"""Does an address's domain take mail? A DNS MX lookup (dnspython), cached per domain.

``ok`` is True for a domain with an MX record, or with none but an A/AAAA record (the
implicit MX of RFC 5321); False for NXDOMAIN, a null MX (RFC 7505: "accepts no mail") or no
records at all; None when the lookup failed (timeout, no name server answered) — unknown
answers are never cached. The resolver is injectable: anything with ``resolve(name, rdtype)``
(dnspython's ``dns.asyncresolver.Resolver`` or ``dns.resolver.Resolver``, or a test double
raising dnspython's exceptions); by default a ``dns.asyncresolver.Resolver`` configured from
the system, made only when a check is asked for.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import dns.asyncresolver
import dns.exception
import dns.resolver

DEFAULT_LIFETIME_S = 5.0


class MxCache(Protocol):
    """Where MX answers are kept between runs (the store implements it)."""

    def mx_cached(self, domain: str, max_age_days: float) -> tuple[bool, str] | None: ...

    def put_mx(self, domain: str, ok: bool, detail: str) -> None: ...


@dataclass(frozen=True)
class MxAnswer:
    domain: str
    ok: bool | None
    detail: str
    cached: bool = False


def default_resolver(lifetime_s: float = DEFAULT_LIFETIME_S) -> Any:
    """dnspython's async resolver configured from the system (``/etc/resolv.conf``)."""
    resolver = dns.asyncresolver.Resolver()
    resolver.lifetime = lifetime_s
    return resolver


async def _query(resolver: Any, domain: str, rdtype: str) -> list[Any]:
    method = resolver.resolve
    if inspect.iscoroutinefunction(method):
        answer = await method(domain, rdtype)
    else:  # a blocking resolver: keep it off the event loop
        answer = await asyncio.to_thread(method, domain, rdtype)
        if inspect.isawaitable(answer):
            answer = await answer
    return list(answer)


def _describe_mx(records: Iterable[Any]) -> tuple[bool, str]:
    hosts = sorted(
        (int(getattr(r, "preference", 0)), str(getattr(r, "exchange", "")).rstrip(".") or ".")
        for r in records
    )
    if hosts and all(host == "." for _, host in hosts):
        return False, "null MX: the domain accepts no mail"
    listed = ", ".join(f"{host} ({pref})" for pref, host in hosts if host != ".")
    return True, f"MX {listed}"


async def lookup_mx(domain: str, resolver: Any) -> MxAnswer:
    """One domain's answer, straight from DNS."""
    try:
        records = await _query(resolver, domain, "MX")
    except dns.resolver.NXDOMAIN:
        return MxAnswer(domain, False, "the domain does not exist (NXDOMAIN)")
    except dns.resolver.NoAnswer:
        return await _implicit_mx(domain, resolver)
    except dns.exception.DNSException as exc:
        return MxAnswer(domain, None, f"MX lookup failed: {_first_line(exc)}")
    if not records:
        return await _implicit_mx(domain, resolver)
    ok, detail = _describe_mx(records)
    return MxAnswer(domain, ok, detail)


async def _implicit_mx(domain: str, resolver: Any) -> MxAnswer:
    for rdtype in ("A", "AAAA"):
        try:
            records = await _query(resolver, domain, rdtype)
        except dns.resolver.NXDOMAIN:
            return MxAnswer(domain, False, "the domain does not exist (NXDOMAIN)")
        except dns.resolver.NoAnswer:
            continue
        except dns.exception.DNSException as exc:
            return MxAnswer(domain, None, f"{rdtype} lookup failed: {_first_line(exc)}")
        if records:
            return MxAnswer(domain, True, f"no MX; mail goes to its {rdtype} record")
    return MxAnswer(domain, False, "no MX and no address records")


async def check_domains(
    domains: Iterable[str],
    *,
    resolver: Any = None,
    cache: MxCache | None = None,
    cache_days: float = 7.0,
) -> dict[str, MxAnswer]:
    """Answers for ``domains``: from ``cache`` when younger than ``cache_days`` (0 turns
    the cache off for reading), else from DNS (and then cached when known)."""
    out: dict[str, MxAnswer] = {}
    todo: list[str] = []
    for domain in dict.fromkeys(d.lower().rstrip(".") for d in domains):
        hit = cache.mx_cached(domain, cache_days) if cache is not None and cache_days > 0 else None
        if hit is not None:
            out[domain] = MxAnswer(domain, hit[0], hit[1], cached=True)
        else:
            todo.append(domain)
    if not todo:
        return out
    if resolver is None:
        try:
            resolver = default_resolver()
        except dns.exception.DNSException as exc:
            detail = f"no DNS resolver: {_first_line(exc)}"
            out.update({d: MxAnswer(d, None, detail) for d in todo})
            return out
    answers = await asyncio.gather(*(lookup_mx(d, resolver) for d in todo))
    for answer in answers:
        out[answer.domain] = answer
        if cache is not None and answer.ok is not None:
            cache.put_mx(answer.domain, answer.ok, answer.detail)
    return out


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
