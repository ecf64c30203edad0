"""A tiny authoritative DNS server on loopback UDP for the MX check: a zone given as a dict,
every query counted. Names missing from the zone are NXDOMAIN; names in ``silent`` get no
answer at all (the resolver times out)."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


@dataclass
class LocalDns:
    # name -> {rdtype: [rdata text, ...]}; a name with {} exists but has no records
    zone: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    silent: set[str] = field(default_factory=set)
    queries: Counter[tuple[str, str]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.lock = threading.Lock()

    def __enter__(self) -> LocalDns:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()

    def resolver(self, lifetime: float = 2.0) -> Any:
        import dns.asyncresolver

        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.lifetime = lifetime
        resolver.timeout = lifetime
        return resolver

    def count(self, name: str) -> int:
        with self.lock:
            return sum(n for (qname, _), n in self.queries.items() if qname == name)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:  # a garbled packet is ignored
                continue
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).lower()
            rdtype = dns.rdatatype.to_text(question.rdtype)
            with self.lock:
                self.queries[(name, rdtype)] += 1
            if name in self.silent:
                continue
            self.sock.sendto(self._answer(query, name, rdtype).to_wire(), peer)

    def _answer(self, query: dns.message.Message, name: str, rdtype: str) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        records = self.zone.get(name)
        if records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        texts = records.get(rdtype, [])
        if texts:
            rrset = dns.rrset.from_text_list(
                dns.name.from_text(name), 300, dns.rdataclass.IN, rdtype, texts
            )
            response.answer.append(rrset)
        return response
