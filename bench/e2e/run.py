"""End-to-end benchmark: a full prospecting run on a synthetic local web, at three sizes.

    python -m bench.e2e.run [--quick] [--sizes 250,1000,4000] [--no-write]

For each size: starts the synthetic web (``bench.e2e.serve``) in a process of its own, writes
the campaign and the config, runs ``prospector.pipeline.prospect`` in a child process
(``bench.e2e.worker``) while sampling the Chromium below it, then loads a sample of the pages
it rendered with raw Chromium (``bench.e2e.raw``) for comparison. Writes the
``## End to end`` section of ``bench/RESULTS.md`` (not after ``--quick`` unless ``--write``)
and the raw results to ``bench/.work/e2e/results.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bench.e2e import report
from bench.e2e.campaign import CHANGED, write_run_files
from bench.e2e.procs import run_sampled
from bench.e2e.web import SyntheticWeb, WebSpec
from bench.results import RESULTS, write_section
from prospector.config import BrowserSettings

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "bench" / ".work" / "e2e"
SIZES = (250, 1000, 4000)
QUICK_SIZES = (250,)
RAW_SAMPLE = 50


def log(message: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Server:
    """``bench.e2e.serve`` in a child process, with its stdin/stdout command channel."""

    def __init__(self, proc: subprocess.Popen[str], info: dict[str, Any]) -> None:
        self.proc = proc
        self.info = info

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        return dict(json.loads(line)) if line else {}


@contextlib.contextmanager
def serve(work: Path, spec: WebSpec, *, latency_ms: float, jitter_ms: float) -> Iterator[Server]:
    info_path = work / "server.json"
    info_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench.e2e.serve", "--pages", str(spec.pages)]
    cmd += ["--seed", str(spec.seed), "--latency-ms", f"{latency_ms:g}"]
    cmd += ["--jitter-ms", f"{jitter_ms:g}", "--cert-dir", str(work / "ca")]
    cmd += ["--info", str(info_path)]
    stderr: IO[bytes] = (work / "server.err").open("wb")
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True
    )
    try:
        deadline = time.monotonic() + 300
        while not info_path.exists() or not info_path.read_text().endswith("\n"):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the benchmark server exited ({proc.returncode}): "
                    + (work / "server.err").read_text(errors="replace")[-2000:]
                )
            if time.monotonic() > deadline:
                raise RuntimeError("the benchmark server did not start within 300 s")
            time.sleep(0.1)
        yield Server(proc, json.loads(info_path.read_text()))
    finally:
        if proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                assert proc.stdin is not None
                proc.stdin.write("quit\n")
                proc.stdin.flush()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait(10)
        stderr.close()


def child_env() -> dict[str, str]:
    """This environment without Prospector's own variables or proxies."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PROSPECTOR_")
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }


def sample(urls: list[str], limit: int) -> list[str]:
    """Up to ``limit`` URLs, evenly spaced, in their order."""
    if len(urls) <= limit:
        return list(urls)
    return [urls[i * len(urls) // limit] for i in range(limit)]


def measure_size(
    spec: WebSpec, work: Path, *, latency_ms: float, jitter_ms: float, raw_sample: int
) -> dict[str, Any]:
    """One size: the pipeline's run and the raw-Chromium comparison (see module docstring)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    stats = SyntheticWeb(spec).stats()
    log(
        f"{spec.pages:,} pages: {stats.sites} blogs, {stats.outbound_links:,} outbound links "
        f"({stats.unique_outbound:,} distinct); starting the local web"
    )
    contexts = BrowserSettings().contexts
    result: dict[str, Any] = {"pages": spec.pages, "web": stats.as_dict(), "contexts": contexts}
    with serve(work, spec, latency_ms=latency_ms, jitter_ms=jitter_ms) as server:
        log(
            f"local web ready on port {server.info['port']} (certificates {server.info['warm_s']} s)"
        )
        config = write_run_files(spec, server.info, work)
        server.ask("clear")
        cpu_before = server.ask("cpu").get("cpu_s", 0.0)
        out = work / "worker.json"
        run = run_sampled(
            [sys.executable, "-m", "bench.e2e.worker", "--config", str(config), "--out", str(out)],
            stdout=work / "worker.out",
            stderr=work / "worker.err",
            cwd=REPO,
            env=child_env(),
        )
        hits = server.ask("hits")
        cpu_after = server.ask("cpu").get("cpu_s", 0.0)
        if run.returncode != 0 or not out.exists():
            tail = (work / "worker.err").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the pipeline's run failed (exit {run.returncode}):\n{tail}")
        worker = json.loads(out.read_text())
        result["worker"] = worker
        result["child"] = {
            "wall_s": run.wall_s,
            "chromium_rss_mb": run.sampler.chromium_rss_mb,
            "chromium_pss_mb": run.sampler.chromium_pss_mb,
            "chromium_processes": run.sampler.chromium_processes,
            "driver_rss_mb": max(
                (v for k, v in run.sampler.other_rss_mb.items() if k.startswith("node")),
                default=None,
            ),
            "samples": run.sampler.samples,
            "sampled_via": run.sampler.via,
        }
        result["server"] = {
            "requests": hits.get("total"),
            "by_method": hits.get("by_method"),
            "hosts": hits.get("hosts"),
            "cpu_s": cpu_after - cpu_before,
            "latency_ms": latency_ms,
            "jitter_ms": jitter_ms,
        }
        log(
            f"{spec.pages:,} pages: prospect took {worker['wall_s']:.1f} s, "
            f"{len(worker['renders'])} renders, {worker['summary']['links_checked']:,} URLs "
            f"checked; Python {worker['python_peak_rss_mb']:.0f} MB, Chromium "
            f"{run.sampler.chromium_rss_mb:.0f} MB"
        )
        urls = sample([str(r[0]) for r in worker["renders"]], raw_sample)
        result["raw_sample"] = len(urls)
        result["raw"] = {}
        if urls:
            (work / "rendered.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
            for wait in ("load", "networkidle"):
                raw_out = work / f"raw-{wait}.json"
                cmd = [sys.executable, "-m", "bench.e2e.raw", "--urls", str(work / "rendered.txt")]
                cmd += ["--contexts", str(contexts), "--port", str(server.info["port"])]
                cmd += ["--ca", str(server.info["ca"]), "--wait", wait, "--out", str(raw_out)]
                raw_run = run_sampled(
                    cmd,
                    stdout=work / f"raw-{wait}.out",
                    stderr=work / f"raw-{wait}.err",
                    cwd=REPO,
                    env=child_env(),
                )
                if raw_run.returncode == 0 and raw_out.exists():
                    entry = json.loads(raw_out.read_text())
                    entry["chromium_rss_mb"] = raw_run.sampler.chromium_rss_mb
                    result["raw"][wait] = entry
                    log(f"raw Chromium ({wait}): {entry['pages_per_s']:.2f} pages/s")
                else:
                    log(f"raw Chromium ({wait}) failed: exit {raw_run.returncode}")
    return result


def machine() -> list[str]:
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
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    items = [
        f"{os.cpu_count()} cores" + (f" ({cpu})" if cpu else ""),
        mem,
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}",
        f"load average before: {load}",
    ]
    return [i for i in items if i]


def run_all(
    sizes: list[int],
    *,
    work: Path = WORK,
    seed: int = WebSpec.seed,
    latency_ms: float = 50.0,
    jitter_ms: float = 50.0,
    raw_sample: int = RAW_SAMPLE,
) -> list[dict[str, Any]]:
    results = []
    for pages in sizes:
        spec = WebSpec(pages=pages, seed=seed)
        results.append(
            measure_size(
                spec,
                work / f"size-{pages}",
                latency_ms=latency_ms,
                jitter_ms=jitter_ms,
                raw_sample=raw_sample,
            )
        )
    return results


def section(
    results: list[dict[str, Any]], *, command: str, machine_notes: list[str], latency: str
) -> str:
    sizes = [report.figures(r) for r in results]
    browser = next(
        (r["raw"][w]["browser"] for r in results for w in ("load",) if w in r.get("raw", {})),
        "",
    )
    notes = [
        f"Browser: {browser}." if browser else "",
        "Chromium's memory is sampled every 0.2 s (via "
        + (results[0]["child"]["sampled_via"] if results else "/proc")
        + "): the sum of the resident sets of its processes, which counts shared pages once "
        "per process; PSS splits them and is the fairer figure.",
        "The local web runs on the same 2 cores as the pipeline and Chromium; its CPU time is "
        "shown per size. Compare figures within one run, not across runs.",
        "Only NXDOMAIN and 410 links are confirmed dead in one run; 404s wait for a second "
        "check hours later (`discovery.confirm_dead_after_hours`), as in production.",
    ]
    return report.render_section(
        sizes,
        command=command,
        machine=machine_notes,
        settings_rows=CHANGED,
        latency=latency,
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        notes=[n for n in notes if n],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.e2e.run", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="only the 250-page size")
    parser.add_argument("--sizes", default=None, help="comma-separated page counts")
    parser.add_argument("--seed", type=int, default=WebSpec.seed)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--jitter-ms", type=float, default=50.0)
    parser.add_argument("--raw-sample", type=int, default=RAW_SAMPLE)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    parser.add_argument("--write", action="store_true", help="write RESULTS.md after --quick")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help=f"no run: lay out the section again from {WORK.relative_to(REPO)}/results.json",
    )
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    else:
        sizes = list(QUICK_SIZES if args.quick else SIZES)
    saved = WORK / "results.json"
    if args.report_only:
        stored = json.loads(saved.read_text(encoding="utf-8"))
        results, notes = stored["results"], stored["machine"]
        sizes = [r["pages"] for r in results]
    else:
        notes = machine()
        started = time.monotonic()
        results = run_all(
            sizes,
            seed=args.seed,
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            raw_sample=args.raw_sample,
        )
        notes.append(f"load average after: {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")
        notes.append(f"whole benchmark {time.monotonic() - started:.0f} s")
        WORK.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps({"results": results, "machine": notes}), encoding="utf-8")
    quick = [r["pages"] for r in results] == list(QUICK_SIZES)
    command = "python -m bench.e2e.run" + (" --quick" if quick else "")
    server = results[0]["server"] if results else {"latency_ms": 50, "jitter_ms": 50}
    latency = f"{server['latency_ms']:g}–{server['latency_ms'] + server['jitter_ms']:g} ms"
    text = section(results, command=command, machine_notes=notes, latency=latency)
    print(text)
    if not args.no_write and (not quick or args.write):
        write_section(report.HEADING, text, args.results)
        log(f"wrote {report.HEADING!r} in {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
