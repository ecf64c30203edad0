"""The synthetic web of the end-to-end benchmark, served in a process of its own.

    python -m bench.e2e.serve --pages 1000 [--seed 2024] [--latency-ms 50 --jitter-ms 50] \\
        [--cert-dir DIR] [--info FILE]

Serves the demo world plus a :class:`bench.e2e.web.SyntheticWeb` on one loopback port (HTTP
and HTTPS, by Host/SNI) with the demo web's server. Every response waits ``latency`` plus a
per-URL share of ``jitter`` (a hash of host and path, so the same URL always waits the same).
Certificates of every host are issued before the ready line, the demo's Wayback archive is
built then too. When ready it writes one JSON line (port, CA file, resolve map, hosts) to
``--info`` (or stdout), then answers commands on stdin, one JSON line each: ``hits`` (requests
so far: total, by method, hosts), ``clear``, ``cpu`` (this process's CPU seconds), ``quit``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import zlib
from pathlib import Path
from typing import Any

from bench.e2e.web import SyntheticWeb, WebSpec
from bench.linkcheck.serve import hit_summary, warm_certificates
from prospector.demo.model import Reply
from prospector.demo.server import DemoWeb
from prospector.demo.world import World


class JitteredWeb(DemoWeb):
    """:class:`DemoWeb` whose replies wait ``latency_ms`` plus 0..``jitter_ms`` per URL."""

    def __init__(self, world: World, *, jitter_ms: float = 0.0, **kwargs: Any) -> None:
        super().__init__(world, **kwargs)
        self.jitter_ms = jitter_ms

    def _reply(self, scheme: str, host: str, method: str, target: str) -> Reply:
        reply = super()._reply(scheme, host, method, target)
        if self.jitter_ms <= 0:
            return reply
        share = zlib.crc32(f"{host}{target}".encode()) % 1000 / 1000
        return dataclasses.replace(reply, delay_s=reply.delay_s + share * self.jitter_ms / 1000)


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def resolve_map(web: DemoWeb, synthetic: SyntheticWeb) -> dict[str, str]:
    """``network.resolve`` for the benchmark: every host to the server, dead hosts NXDOMAIN."""
    mapping = web.resolve_map()
    mapping.update(dict.fromkeys(synthetic.nxdomain_hosts(), "NXDOMAIN"))
    return mapping


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--seed", type=int, default=WebSpec.seed)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--jitter-ms", type=float, default=50.0)
    parser.add_argument("--cert-dir", type=Path, default=None)
    parser.add_argument("--info", type=Path, default=None)
    args = parser.parse_args(argv)

    synthetic = SyntheticWeb(WebSpec(pages=args.pages, seed=args.seed))
    world = World.build()
    world.add_family(synthetic)
    _ = world.archive  # built from the demo's truth now, not during the first dead link
    web = JitteredWeb(
        world,
        port=args.port,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        cert_dir=args.cert_dir,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with web:
        hosts = synthetic.blog_hosts() + synthetic.ref_hosts()
        for host in hosts:
            synthetic.site(host)  # build every page now, not while the clock runs
        warm = warm_certificates(web.port, hosts, web.ca_pem_path)
        info = {
            "port": web.port,
            "ca": str(web.ca_pem_path),
            "resolve": resolve_map(web, synthetic),
            "blog_hosts": synthetic.blog_hosts(),
            "nxdomain_hosts": synthetic.nxdomain_hosts(),
            "latency_ms": args.latency_ms,
            "jitter_ms": args.jitter_ms,
            "warm_s": round(warm, 2),
            "pid": os.getpid(),
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
            elif command == "cpu":
                print(json.dumps({"cpu_s": cpu_seconds()}), flush=True)
            elif command == "quit":
                break
            elif command:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
