"""The URL sets the tools check: the load set on synthetic hosts, and the tricky cases.

- :func:`load_urls`: ``n`` unique URLs spread evenly over ``hosts`` synthetic hosts of the
  benchmark family (``https://h<N>.bench.example/...``), one in :data:`DEAD_EVERY` of them
  (spread over the hosts) a page that does not exist (404), shuffled with a fixed seed so hosts interleave as they do
  in a real link list.
- :func:`tricky_cases`: every distinct link of the demo web's ground truth whose expected
  status is not ``ok``, plus a seeded sample of ``ok`` ones — the same expectations as
  ``tests/test_linkstatus.py::expected_links`` (links on a site whose robots.txt shuts out
  Prospector are expected ``skipped/robots_disallowed``).
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

FAMILY_SUFFIX = "bench.example"
DEAD_EVERY = 20
SEED = 20240611


@dataclass(frozen=True)
class Case:
    """One URL with what a correct link checker says about it."""

    url: str
    expected_verdict: str
    expected_status: str
    reason: str = ""
    final_url: str = ""

    @property
    def peer_safe(self) -> bool:
        """False when checking it without a network guard would send traffic to a private or
        link-local address (the URL itself, or where it redirects): such a case is never given
        to a peer (this machine must not send traffic there), only to Prospector, which refuses
        it before connecting."""
        return self.expected_status != "forbidden_address" and not any(
            _non_loopback_ip(u) for u in (self.url, self.final_url) if u
        )


def _non_loopback_ip(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not ip.is_loopback


def per_host_pages(n: int, hosts: int) -> int:
    """Articles each synthetic host needs so that ``n`` URLs fit on ``hosts`` hosts."""
    return max(1, -(-n // hosts))


def load_urls(n: int, hosts: int, *, seed: int = SEED) -> list[str]:
    """``n`` unique URLs over ``hosts`` synthetic hosts; one in DEAD_EVERY of them is a 404."""
    if n < 1 or hosts < 1:
        raise ValueError("need at least one URL and one host")
    urls: list[str] = []
    for i in range(n):
        host, slot = i % hosts, i // hosts
        dead = (host + slot) % DEAD_EVERY == DEAD_EVERY - 1  # spread over the hosts
        path = f"/gone/{slot}" if dead else f"/p/{slot}"
        urls.append(f"https://h{host}.{FAMILY_SUFFIX}{path}")
    random.Random(seed).shuffle(urls)
    return urls


def load_expectation(url: str) -> Case:
    """What a correct checker says about a URL of the load set."""
    path = urlsplit(url).path
    if path.startswith("/gone/"):
        return Case(url, "dead", "not_found", "404")
    return Case(url, "live", "ok", "200")


def expected_links(truth: dict[str, Any]) -> dict[str, Case]:
    """Every distinct link of the ground truth with its expected verdict and status."""
    shut_out = {s["host"] for s in truth["sites"] if s["robots"]["policy"] == "block_prospector"}
    links: dict[str, Case] = {}
    for page in truth["pages"]:
        for link in page["links"]:
            href = link["href"]
            if href in links:
                continue
            host = href.split("/")[2] if "://" in href else ""
            verdict, status = link["expected_verdict"], link["expected_status"]
            if host in shut_out:
                verdict, status = "skipped", "robots_disallowed"
            links[href] = Case(href, verdict, status, link["reason"], link["final_url"] or "")
    return links


def tricky_cases(truth: dict[str, Any], *, ok_sample: int, seed: int = SEED) -> list[Case]:
    """Every link whose expected status is not ``ok``, plus ``ok_sample`` ``ok`` ones."""
    links = expected_links(truth)
    tricky = [c for c in links.values() if c.expected_status != "ok"]
    ok = sorted((c for c in links.values() if c.expected_status == "ok"), key=lambda c: c.url)
    sample = random.Random(seed).sample(ok, min(ok_sample, len(ok)))
    return sorted(tricky, key=lambda c: c.url) + sorted(sample, key=lambda c: c.url)


def links_page(urls: list[str], *, title: str = "links") -> str:
    """An HTML page linking to every URL (the peers' input: they check the links of a page)."""
    from html import escape

    items = "\n".join(
        f'<li><a href="{escape(u, quote=True)}">link {i}</a></li>' for i, u in enumerate(urls)
    )
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"</head>\n<body><ul>\n{items}\n</ul></body></html>\n"
    )


def fqdn(url: str) -> str:
    """The URL with its host written fully qualified (``host.example.``), for lychee, which
    skips the reserved ``.example`` TLD by name but checks ``host.example.`` (the same host)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return url
    if not host or host.endswith(".") or _is_ip(host) or "[" in parts.netloc:
        return url
    netloc = parts.netloc
    at = netloc.rfind("@") + 1
    hostport = netloc[at:]
    name, sep, port = hostport.partition(":")
    if name.lower() != host:
        return url
    rebuilt = netloc[:at] + name + "." + sep + port
    return url.replace(parts.netloc, rebuilt, 1)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
