"""Benchmark Prospector's link checker against lychee, linkinator and LinkChecker.

    python -m bench.linkcheck.run [--urls 10000 --hosts 500 --latency-ms 100] [--quick]

Installs the peers into ``bench/.peers/`` (ignored by git), starts the local web in a process
of its own (``bench.linkcheck.serve``), points the peers' host names at it with a temporary
block in ``/etc/hosts`` (root only; always removed again), runs every tool on the same URLs
with the same politeness settings, and writes the ``## Link checking (bench/linkcheck)``
section of ``bench/RESULTS.md``. Scratch files go to ``bench/.work/linkcheck/``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from bench.linkcheck import peers as P
from bench.linkcheck.hosts import can_edit_hosts, hosts_block
from bench.linkcheck.measure import run_measured
from bench.linkcheck.report import NAMES, Report, ToolResult, render_section, write_section
from bench.linkcheck.urlset import (
    Case,
    fqdn,
    links_page,
    load_expectation,
    load_urls,
    per_host_pages,
    tricky_cases,
)
from bench.linkcheck.verdicts import PARSERS, Answer, score

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"
TOOL_TIMEOUT_S = 3600.0
QUICK_TOOLS = ("prospector", "lychee", "linkinator")


def log(message: str) -> None:
    print(f"[linkcheck {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the server ---------------------------------------------------------------------------------


class Server:
    """``bench.linkcheck.serve`` in a child process, with its stdin/stdout command channel."""

    def __init__(self, proc: subprocess.Popen[str], info: dict[str, Any]) -> None:
        self.proc = proc
        self.info = info

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {}

    @property
    def ca(self) -> Path:
        return Path(self.info["ca"])


@contextlib.contextmanager
def serve(
    work: Path, *, port: int, extra_ports: list[int], latency_ms: float, hosts: int, pages: int
) -> Iterator[Server]:
    info_path = work / "server.json"
    info_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench.linkcheck.serve", "--port", str(port)]
    for extra in extra_ports:
        cmd += ["--extra-port", str(extra)]
    cmd += ["--latency-ms", f"{latency_ms:g}", "--hosts", str(hosts), "--pages", str(pages)]
    cmd += ["--cert-dir", str(work / "ca"), "--info", str(info_path)]
    stderr: IO[bytes] = (work / "server.err").open("wb")
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not info_path.exists():
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the benchmark server exited ({proc.returncode}): "
                    + (work / "server.err").read_text(errors="replace")[-2000:]
                )
            if time.monotonic() > deadline:
                raise RuntimeError("the benchmark server did not start within 120 s")
            time.sleep(0.1)
        time.sleep(0.05)
        yield Server(proc, json.loads(info_path.read_text()))
    finally:
        if proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                assert proc.stdin is not None
                proc.stdin.write("quit\n")
                proc.stdin.flush()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait(10)
        stderr.close()


def hosts_entries(info: dict[str, Any]) -> list[tuple[str, str]]:
    """Every host of the local web -> 127.0.0.1 (refused hosts -> 127.0.0.2, where nothing
    listens); each also in its fully-qualified form (``name.``) for lychee. NXDOMAIN hosts
    are left out, so that the system resolver answers NXDOMAIN for them."""
    entries = [("127.0.0.1", f"{h} {h}.") for h in info["fixed_hosts"]]
    entries += [
        ("127.0.0.1", f"h{n}.bench.example h{n}.bench.example.")
        for n in range(info["family_hosts"])
    ]
    entries += [("127.0.0.2", f"{h} {h}.") for h in info["refused_hosts"]]
    return entries


# --- running one tool ---------------------------------------------------------------------------


def run_tool(
    tool: str,
    *,
    label: str,
    urls: list[str],
    work: Path,
    server: Server,
    politeness: P.Politeness,
    peer_paths: P.PeerPaths | None,
    render: bool,
    timeout_s: float = TOOL_TIMEOUT_S,
) -> tuple[ToolResult, dict[str, Answer]]:
    run_dir = work / f"{label}-{tool}"
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o755)
    ca = run_dir / "ca.pem"
    ca.write_bytes(server.ca.read_bytes())
    ca.chmod(0o644)
    out, err = run_dir / "stdout", run_dir / "stderr"
    output = out
    env = P.peer_env(ca)
    cwd = run_dir
    if tool == "prospector":
        resolve = dict(server.info["resolve"])
        config = P.prospector_config(
            run_dir / "prospector.toml",
            politeness=politeness,
            resolve=resolve,
            ca=ca,
            database=run_dir / "prospector.db",
        )
        cmd = P.prospector_command(config, urls, render=render)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTOR_")}
    else:
        assert peer_paths is not None
        page = run_dir / "links.html"
        listed = [fqdn(u) for u in urls] if tool == "lychee" else urls
        page.write_text(links_page(listed, title=label), encoding="utf-8")
        page.chmod(0o644)
        if tool == "lychee":
            output = run_dir / "lychee.json"
            cmd = P.lychee_command(peer_paths, page, output, politeness)
        elif tool == "linkinator":
            cmd = P.linkinator_command(peer_paths, page, politeness)
        else:
            config = P.linkchecker_config(run_dir / "linkcheckerrc", politeness, ca)
            cmd = P.linkchecker_command(peer_paths, page, config)
    if output != out:
        output.unlink(missing_ok=True)  # never read a previous run's answers
    (run_dir / "command").write_text(shlex.join(cmd[:40]) + (" ..." if len(cmd) > 40 else ""))
    server.ask("clear")
    log(f"{label}: {tool} on {len(urls):,} URLs")
    measured = run_measured(cmd, stdout=out, stderr=err, cwd=cwd, env=env, timeout_s=timeout_s)
    hits = server.ask("hits")
    result = ToolResult(
        tool,
        wall_s=measured.wall_s,
        rss_mb=measured.peak_rss_mb,
        cpu_s=measured.cpu_s,
        requests=hits.get("total"),
        request_mix=_mix(hits),
    )
    answers: dict[str, Answer] = {}
    text = output.read_text(encoding="utf-8", errors="replace") if output.exists() else ""
    try:
        answers = PARSERS[tool](text) if text.strip() else {}
    except (ValueError, KeyError) as exc:
        result.note = f"output not understood: {exc}"
    result.answered = len(answers)
    result.timed_out = measured.timed_out
    if measured.timed_out:
        result.note = (
            f"{NAMES[tool]} ({label}) stopped after {timeout_s:g} s with {len(answers):,} of "
            f"{len(urls):,} URLs answered; its URLs/s counts those"
        )
    elif not answers:
        tail = err.read_text(errors="replace")[-400:].strip().replace("\n", " ")
        result.note = f"no results (exit {measured.returncode}): {tail}"
    log(
        f"{label}: {tool} took {measured.wall_s:.1f} s (CPU {measured.cpu_s:.1f} s), peak RSS {measured.peak_rss_mb:.0f} MB, "
        f"{result.requests} requests, {len(answers):,} answers, exit {measured.returncode}"
    )
    return result, answers


def _mix(hits: dict[str, Any]) -> str:
    """'10,000 GET, 500 HEAD; 500 robots.txt' from the server's hit summary."""
    methods = ", ".join(f"{n:,} {m}" for m, n in sorted(hits.get("by_method", {}).items()))
    extra = [
        f"{hits[key]:,} {label}"
        for key, label in (
            ("robots", "robots.txt"),
            ("probes", "soft-404 probes"),
            ("sitemaps", "sitemap"),
        )
        if hits.get(key)
    ]
    return methods + ("; " + ", ".join(extra) if extra else "")


# --- main ---------------------------------------------------------------------------------------


def machine_notes(peer_versions: dict[str, str]) -> list[str]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    notes = [
        f"{os.cpu_count()} cores" + (f" ({cpu})" if cpu else ""),
        mem,
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}",
        "server and tool in separate processes on the same machine",
    ]
    notes += [v for k, v in peer_versions.items() if k != "node"]
    if "node" in peer_versions:
        notes.append(f"Node {peer_versions['node']}")
    return [n for n in notes if n]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.linkcheck.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--urls", type=int, default=None, help="URLs in the load set (10000)")
    parser.add_argument("--hosts", type=int, default=None, help="hosts they spread over (500)")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1,000 URLs / 50 hosts, 0.1 s gaps, no LinkChecker, tricky cases for "
        "Prospector only; RESULTS.md is left alone",
    )
    parser.add_argument("--ok-sample", type=int, default=None, help="ok links among tricky cases")
    parser.add_argument(
        "--tools", default=None, help="comma-separated subset of " + ",".join(P.TOOLS)
    )
    parser.add_argument("--skip-tricky", action="store_true", help="only the load set")
    parser.add_argument("--skip-load", action="store_true", help="only the tricky cases")
    parser.add_argument("--tool-timeout-s", type=float, default=TOOL_TIMEOUT_S)
    parser.add_argument("--results", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    parser.add_argument("--write", action="store_true", help="write RESULTS.md after --quick too")
    return parser.parse_args(argv)


def load_average() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quick = args.quick
    n_urls = args.urls or (1000 if quick else 10_000)
    n_hosts = args.hosts or (50 if quick else 500)
    ok_sample = args.ok_sample if args.ok_sample is not None else (20 if quick else 40)
    tools = [
        t.strip() for t in (args.tools or ",".join(QUICK_TOOLS if quick else P.TOOLS)).split(",")
    ]
    tools = [t for t in tools if t]
    unknown = [t for t in tools if t not in P.TOOLS]
    if unknown:
        print(f"error: unknown tool(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    politeness = P.Politeness()  # Prospector's defaults
    if quick:
        politeness = replace(politeness, min_host_gap_s=0.1, retries=0)
    # the tricky cases include hosts that never answer or trickle a byte a second: a shorter
    # time limit and no retries, for every tool, keep that run to minutes
    tricky_politeness = replace(politeness, timeout_s=5.0 if quick else 10.0, retries=0)

    work = BENCH / ".work" / "linkcheck"
    work.mkdir(parents=True, exist_ok=True)
    for folder in (BENCH / ".work", work):
        folder.chmod(0o755)  # LinkChecker drops root privileges and must read its input

    peer_tools = [t for t in tools if t != "prospector"]
    why_not = can_edit_hosts() if peer_tools else None
    notes: list[str] = []
    peer_paths: P.PeerPaths | None = None
    peer_versions: dict[str, str] = {}
    if peer_tools and why_not:
        log(f"skipping the peers: {why_not}")
        notes.append(f"Peers skipped: {why_not}.")
        peer_tools = []
    if peer_tools:
        peer_paths = P.install_peers(BENCH / ".peers", log=log)
        peer_versions = P.versions(peer_paths)
    run_tools = (["prospector"] if "prospector" in tools else []) + peer_tools
    tricky_tools = ["prospector"] if quick else run_tools
    tricky_tools = [t for t in tricky_tools if t in run_tools]
    load_before = load_average()

    load = load_urls(n_urls, n_hosts)
    pages = per_host_pages(n_urls, n_hosts)
    results: dict[str, ToolResult] = {t: ToolResult(t) for t in run_tools}
    port, extra = (443, [80]) if peer_tools else (0, [])
    with serve(
        work, port=port, extra_ports=extra, latency_ms=args.latency_ms, hosts=n_hosts, pages=pages
    ) as server:
        from prospector.demo.world import World

        log("building the tricky cases from the ground truth")
        cases: list[Case] = tricky_cases(World.build().truth(), ok_sample=ok_sample)
        log(f"server ready on port {server.info['port']} (certificates: {server.info['warm_s']} s)")
        block = hosts_block(hosts_entries(server.info)) if peer_tools else contextlib.nullcontext()
        with block:
            if not args.skip_load:
                expected = {u: load_expectation(u) for u in load}
                for tool in run_tools:
                    res, answers = run_tool(
                        tool,
                        label="load",
                        urls=load,
                        work=work,
                        server=server,
                        politeness=politeness,
                        peer_paths=peer_paths,
                        render=False,
                        timeout_s=args.tool_timeout_s,
                    )
                    res.load_score = score(expected.values(), answers)
                    results[tool] = res
            if not args.skip_tricky:
                for tool in tricky_tools:
                    guarded = tool == "prospector"
                    urls = [c.url for c in cases if guarded or c.peer_safe]
                    res, answers = run_tool(
                        tool,
                        label="tricky",
                        urls=urls,
                        work=work,
                        server=server,
                        politeness=tricky_politeness,
                        peer_paths=peer_paths,
                        render=True,
                        timeout_s=args.tool_timeout_s,
                    )
                    results[tool].tricky = score(cases, answers, guarded=guarded)
                    results[tool].tricky_wall_s = res.wall_s
                    results[tool].tricky_requests = res.requests
                    if res.note:
                        results[tool].note = "; ".join(
                            x for x in (results[tool].note, res.note) if x
                        )
    if quick:
        skipped = [NAMES[t] for t in run_tools if t not in tricky_tools]
        if skipped:
            notes.append(
                "Quick run: the tricky cases ran for Prospector only ("
                + ", ".join(skipped)
                + " take minutes on them: lychee holds a host for a minute after a 429, "
                "every peer waits out the hosts that never answer)."
            )

    command = "python -m bench.linkcheck.run" + (" --quick" if quick else "")
    if args.urls or args.hosts or args.latency_ms != 100.0:
        command += f" --urls {n_urls} --hosts {n_hosts} --latency-ms {args.latency_ms:g}"
    if args.tools:
        command += f" --tools {args.tools}"
    report = Report(
        command=command,
        machine=[
            *machine_notes(peer_versions),
            f"load average (1/5/15 min) {load_before} before the run, {load_average()} after",
        ],
        urls=n_urls,
        hosts=n_hosts,
        latency_ms=args.latency_ms,
        politeness=politeness,
        tricky_politeness=tricky_politeness,
        tricky_cases=len(cases),
        tricky_not_ok=sum(1 for c in cases if c.expected_status != "ok"),
        ok_sample=sum(1 for c in cases if c.expected_status == "ok"),
        results=[results[t] for t in run_tools],
        resolution=RESOLUTION,
        notes=notes + [r.note for r in results.values() if r.note],
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    section = render_section(report)
    (work / "section.md").write_text(section, encoding="utf-8")
    (work / "results.json").write_text(
        json.dumps(
            {
                t: {
                    "wall_s": r.wall_s,
                    "cpu_s": r.cpu_s,
                    "rss_mb": r.rss_mb,
                    "requests": r.requests,
                    "answered": r.answered,
                    "load_right": r.load_score.right if r.load_score else None,
                    "tricky_right": r.tricky.right if r.tricky else None,
                    "tricky_run": r.tricky.run if r.tricky else None,
                }
                for t, r in results.items()
            },
            indent=2,
        )
    )
    print(section)
    complete = not (args.skip_load or args.skip_tricky or args.tools)
    if not args.no_write and ((complete and not quick) or args.write):
        write_section(args.results, section)
        log(f"wrote the link-checking section of {args.results}")
    else:
        log(f"RESULTS.md left alone; the section is in {work / 'section.md'}")
    return 0


RESOLUTION = [
    "Prospector reaches every host through its own `network.resolve` (`*.example` -> the "
    "server's `127.0.0.1:443`, the dead hosts -> `NXDOMAIN`, the refused host -> a bound port "
    "that does not listen), as a user pointing it at a staging web would.",
    "The peers know nothing of that, so for the run a clearly marked block is added to "
    "`/etc/hosts` (every host of the local web -> `127.0.0.1`, the refused host -> "
    "`127.0.0.2`, where nothing listens) and removed afterwards, also on failure or Ctrl-C. "
    "The server listens on ports 443 and 80 so that the URLs keep their default ports and the "
    "server's own redirects work as on the real web. The NXDOMAIN hosts are left out of the "
    "block: the system resolver answers NXDOMAIN for them. Needs root; without it only "
    "Prospector runs.",
    "Proxies were not used: linkinator (Node's fetch) ignores `http_proxy`, and a proxy would "
    "add a hop that only the peers pay.",
    "lychee skips the reserved `.example` TLD by name (hard-wired, `--include` does not lift "
    "it), so it is given each URL with its host fully qualified (`host.example.`: the same "
    "host; `/etc/hosts` lists both spellings) and its answers are mapped back.",
    "TLS: the peers trust the demo CA through `SSL_CERT_FILE` (lychee), `NODE_EXTRA_CA_CERTS` "
    "(linkinator), `sslverify=` in its config and `REQUESTS_CA_BUNDLE` for its robots.txt "
    "fetch (LinkChecker); Prospector through `network.ca_bundle`.",
    "Input: Prospector gets the URLs as arguments of `prospector check --json --no-history` "
    "(`--no-render` for the load set, where no page needs JavaScript; its default, rendering "
    "in Chromium when a page needs it, for the tricky cases); each peer gets one local HTML "
    "page linking to every URL (what they are built to check) and is not asked to recurse.",
    "Two tricky cases are never given to a peer: `http://10.0.0.5/...` and a redirect to "
    "`169.254.169.254`. Without a network guard a peer would send traffic to a private or "
    "link-local address, which this machine must not do; Prospector refuses both before "
    "connecting (`forbidden_address`).",
]


if __name__ == "__main__":
    raise SystemExit(main())
