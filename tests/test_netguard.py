"""network.resolve semantics and the private-address policy, without any network."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from prospector.errors import ForbiddenAddressError, NameNotResolvedError
from prospector.web.netguard import Resolver, forbidden_reason

RULES = {
    "*.example": "127.0.0.1:8080",
    "*.deep.example": "127.0.0.2",
    "exact.example": "127.0.0.3:9000",
    "gone.example": "NXDOMAIN",
    "v6.example": "[::1]:8443",
}


def resolve(resolver: Resolver, host: str, port: int = 443) -> tuple[tuple[str, int], ...]:
    return asyncio.run(resolver.resolve(host, port)).addresses


def test_exact_host_wins_over_a_pattern() -> None:
    assert resolve(Resolver(RULES), "exact.example") == (("127.0.0.3", 9000),)


def test_pattern_matches_any_depth_but_not_the_bare_domain() -> None:
    resolver = Resolver(RULES)
    assert resolve(resolver, "a.example") == (("127.0.0.1", 8080),)
    assert resolve(resolver, "a.b.c.example") == (("127.0.0.1", 8080),)
    assert resolver.lookup("example") == (False, None)


def test_the_most_specific_pattern_wins_and_an_unported_mapping_keeps_the_port() -> None:
    assert resolve(Resolver(RULES), "x.deep.example", 8443) == (("127.0.0.2", 8443),)


def test_a_mapped_port_replaces_the_urls_port() -> None:
    assert resolve(Resolver(RULES), "www.example", 80) == (("127.0.0.1", 8080),)
    assert resolve(Resolver(RULES), "v6.example", 80) == (("::1", 8443),)


def test_nxdomain_mapping_fails_like_a_real_nxdomain() -> None:
    with pytest.raises(NameNotResolvedError) as caught:
        resolve(Resolver(RULES), "gone.example")
    assert not caught.value.transient


def test_host_matching_ignores_case_and_trailing_dot() -> None:
    assert resolve(Resolver(RULES), "EXACT.Example.") == (("127.0.0.3", 9000),)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
        "fd00::1",
    ],
)
def test_literal_private_addresses_are_refused_even_if_a_pattern_could_match(address: str) -> None:
    resolver = Resolver({"*": "127.0.0.1"} | RULES)
    with pytest.raises(ForbiddenAddressError):
        resolve(resolver, address)


def test_allow_private_lets_literal_private_addresses_through() -> None:
    assert resolve(Resolver(RULES, allow_private=True), "10.0.0.1", 80) == (("10.0.0.1", 80),)


def test_names_resolving_to_loopback_are_refused() -> None:
    with pytest.raises(ForbiddenAddressError, match="loopback"):
        resolve(Resolver({}), "localhost", 80)


def test_public_addresses_are_allowed() -> None:
    assert forbidden_reason(ipaddress.ip_address("93.184.216.34")) is None
    assert resolve(Resolver({}), "93.184.216.34", 80) == (("93.184.216.34", 80),)
