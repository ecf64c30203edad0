"""The local web for the link-checking benchmark, in a process of its own.

    python -m bench.linkcheck.serve --port 0 --latency-ms 100 --hosts 500 --pages 20 \\
        [--extra-port 80 --extra-port 443] [--info FILE]

Serves the bundled demo world plus a :class:`BenchFamily` (``h<N>.bench.example``) on one
loopback port (HTTP and HTTPS), and optionally on extra ports (80 and 443, so that peers which
only know ``/etc/hosts`` reach the same server through the URLs' default ports). When ready it
writes a JSON line (port, CA file, resolve map...) to ``--info`` (or stdout), then reads commands
on stdin, one per line, answering each with one JSON line on stdout:

- ``hits``: requests received since the last ``clear`` (total, by method, robots.txt, hosts);
- ``clear``: forget the requests received so far;
- ``quit`` (or end of input): stop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import socket
import ssl
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prospector.demo.family import BenchFamily
from prospector.demo.server import DemoWeb
from prospector.demo.world import World

FAMILY_SUFFIX = "bench.example"
# the random path Prospector asks each host for, to know its answer for a page that does not
# exist (prospector.web.linkstatus.LinkChecker._probe)
PROBE_PATH = re.compile(r"^/[0-9a-f]{12}-[0-9a-f]{8}/[0-9a-f]{10}\.html$")


class BenchWeb(DemoWeb):
    """:class:`DemoWeb` that also accepts connections on extra ports of the same address."""

    def __init__(self, world: World, *, extra_ports: tuple[int, ...] = (), **kwargs: Any) -> None:
        super().__init__(world, **kwargs)
        self.extra_ports = extra_ports
        self._extra: list[socket.socket] = []

    def _bind(self) -> None:
        super()._bind()
        try:
            for port in self.extra_ports:
                sock = socket.create_server((self.host, port), backlog=1024)
                sock.setblocking(False)
                self._extra.append(sock)
        except OSError:
            self._close_extra()
            raise

    def _close_extra(self) -> None:
        for sock in self._extra:
            sock.close()
        self._extra = []

    def _release(self) -> None:
        self._close_extra()
        super()._release()

    async def _accept_loop(self) -> None:
        await asyncio.gather(
            super()._accept_loop(), *(self._accept_extra(sock) for sock in self._extra)
        )

    async def _accept_extra(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, _ = await loop.sock_accept(listener)
            task = loop.create_task(self._connection(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


def bench_world(hosts: int, pages: int) -> tuple[World, BenchFamily]:
    """The demo world plus a family of ``hosts`` synthetic hosts with ``pages`` articles each."""
    world = World.build()
    family = BenchFamily(FAMILY_SUFFIX, size=hosts, pages=pages, links=5)
    world.add_family(family)
    return world, family


def warm_certificates(port: int, hostnames: list[str], ca: Path) -> float:
    """Handshake once per host so that every tool meets certificates already issued."""
    context = ssl.create_default_context(cafile=str(ca))
    started = time.monotonic()

    def shake(host: str) -> None:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            pass

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(shake, hostnames))
    return time.monotonic() - started


def hit_summary(web: DemoWeb) -> dict[str, Any]:
    hits = web.hits
    methods = Counter(h.method for h in hits)
    return {
        "total": len(hits),
        "by_method": dict(sorted(methods.items())),
        "robots": sum(1 for h in hits if h.path == "/robots.txt"),
        "sitemaps": sum(1 for h in hits if h.path.split("?")[0].endswith((".xml", ".xml.gz"))),
        "probes": sum(1 for h in hits if PROBE_PATH.match(h.path)),
        "hosts": len({h.host for h in hits}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--extra-port", type=int, action="append", default=[])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--hosts", type=int, default=500, help="synthetic hosts in the family")
    parser.add_argument("--pages", type=int, default=20, help="articles per synthetic host")
    parser.add_argument("--cert-dir", type=Path, default=None)
    parser.add_argument("--info", type=Path, default=None, help="write the ready line here")
    parser.add_argument("--no-warm", action="store_true", help="skip issuing certificates upfront")
    args = parser.parse_args(argv)

    world, family = bench_world(args.hosts, args.pages)
    web = BenchWeb(
        world,
        port=args.port,
        latency_ms=args.latency_ms,
        cert_dir=args.cert_dir,
        extra_ports=tuple(args.extra_port),
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with web:
        warm = 0.0
        if not args.no_warm:
            warm = warm_certificates(
                web.port, [family.host(n) for n in range(args.hosts)], web.ca_pem_path
            )
        info = {
            "port": web.port,
            "extra_ports": list(args.extra_port),
            "refused_port": web.refused_port,
            "ca": str(web.ca_pem_path),
            "resolve": web.resolve_map(),
            "fixed_hosts": world.hostnames(tls=None),
            "nxdomain_hosts": list(world.nxdomain_hosts),
            "refused_hosts": list(world.refused_hosts),
            "family_hosts": args.hosts,
            "latency_ms": args.latency_ms,
            "warm_s": round(warm, 2),
        }
        line = json.dumps(info)
        if args.info is not None:
            args.info.write_text(line + "\n", encoding="utf-8")
        else:
            print(line, flush=True)
        for command in sys.stdin:
            command = command.strip()
            if command == "hits":
                print(json.dumps(hit_summary(web)), flush=True)
            elif command == "clear":
                web.clear_hits()
                print(json.dumps({"cleared": True}), flush=True)
            elif command == "quit":
                break
            elif command:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
