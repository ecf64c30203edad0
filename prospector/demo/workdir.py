"""The demo's workdir: the config and campaign it leaves behind, so every command can be tried
on the demo's data afterwards, and the settings the demo adds while its servers run."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from prospector.config import WEEKDAYS
from prospector.demo.server import DemoWeb
from prospector.errors import UserError
from prospector.workspace import bundled_templates_dir

DEMO_CAMPAIGN = "demo"
CONFIG = "prospector.toml"
DATABASE = "prospector.db"
PLACED_FILE = "demo-web-placed-links.json"  # what the demo web "placed"; --serve serves it too
HEADER = "# Written by 'prospector demo': Prospector pointed at the bundled demo web.\n"
SENDER = {
    "name": "Soilsmith",
    "email": "outreach@soilsmith.example",
    "organisation": "Soilsmith",
    "postal_address": "Soilsmith Ltd, 12 Loam Lane, Compton CA 90220, USA",
    "website": "https://soilsmith.example",
    "timezone": "UTC",
    "unsubscribe_url": "https://soilsmith.example/unsubscribe?t={token}",
}
# More copies of Soilsmith's guides on the demo web, watched by the demo's campaign: some
# say where the original is (canonical, noindex), some do not.
MORE_COPIES = """
# Added by 'prospector demo': more copies of our guides on the demo web to watch.
[[syndicated]]
url = "https://ecodigest.example/stories/leaf-mould"
original = "https://soilsmith.example/guides/leaf-mould"

[[syndicated]]
url = "https://gardenfeedhub.example/stories/vermicomposting-apartments"
original = "https://soilsmith.example/guides/vermicomposting-apartments"

[[syndicated]]
url = "https://republishhub.example/stories/compost-troubleshooting"
original = "https://soilsmith.example/guides/compost-troubleshooting"
"""


def check_ours(workdir: Path) -> None:
    """Refuse a folder that holds a Prospector setup the demo did not write."""
    config, database = workdir / CONFIG, workdir / DATABASE
    ours = config.is_file() and config.read_text(encoding="utf-8").startswith(HEADER)
    if (config.exists() or database.exists()) and not ours:
        raise UserError(
            f"{workdir} holds a Prospector config or database the demo did not write; "
            "choose another --workdir"
        )


def prepare(workdir: Path) -> None:
    """Start the demo afresh in ``workdir``: forget a previous demo's database, reports and
    outbox (refused in a folder the demo did not set up)."""
    check_ours(workdir)
    for name in (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", PLACED_FILE):
        (workdir / name).unlink(missing_ok=True)
    for name in ("reports", "outbox"):
        shutil.rmtree(workdir / name, ignore_errors=True)


def write_workdir(workdir: Path, web: DemoWeb) -> Path:
    """Leave ``prospector.toml`` and ``campaigns/demo.toml`` in ``workdir``; return the config.

    The settings are tuned for a small local web (no gap between requests to a host, short
    timeouts, dead links confirmed on a second check at once); the product's defaults are
    unchanged. No SMTP or IMAP server is configured: the demo's exist only while it runs."""
    workdir.mkdir(parents=True, exist_ok=True)
    # the CA is written into workdir (DemoWeb is started with cert_dir=workdir); the config
    # names it relative to itself, as it resolves relative paths
    ca = os.path.relpath(web.ca_pem_path.resolve(), workdir.resolve())
    config: dict[str, Any] = {
        "database": DATABASE,
        "campaigns_dir": "campaigns",
        "templates_dir": str(bundled_templates_dir()),
        "outbox_dir": "outbox",
        "reports_dir": "reports",
        "network": {"ca_bundle": ca, "resolve": web.resolve_map()},
        "fetch": {
            "min_host_gap_s": 0.0,
            "timeout_s": 5.0,
            "connect_timeout_s": 3.0,
            "per_host_concurrency": 4,
            "global_concurrency": 64,
        },
        "browser": {"navigation_timeout_s": 15.0},
        "discovery": {
            "concurrency": 16,
            "confirm_dead_after_hours": 0.0,
            "recheck_after_hours": 0.0,
        },
        "search": {
            "provider": "searxng",
            "searxng_url": "https://search.example",
            "pages_per_query": 2,
            "min_interval_s": 0.0,
        },
        "wayback": {
            "availability_url": "https://archive.example/wayback/available",
            "cdx_url": "https://web.archive.example/cdx/search/cdx",
            "snapshot_url": "https://web.archive.example/web",
        },
        "sender": SENDER,
    }
    path = workdir / CONFIG
    header = (
        HEADER + "# The demo web must be running for network commands: "
        "prospector demo --serve --workdir " + str(workdir) + "\n\n"
    )
    path.write_text(header + tomli_w.dumps(config), encoding="utf-8")
    campaigns = workdir / "campaigns"
    campaigns.mkdir(exist_ok=True)
    source = resources.files("prospector.demo").joinpath(f"{DEMO_CAMPAIGN}.toml")
    text = source.read_text("utf-8").rstrip("\n") + "\n" + MORE_COPIES
    (campaigns / f"{DEMO_CAMPAIGN}.toml").write_text(text, encoding="utf-8")
    return path


def send_window(now: datetime | None = None) -> str:
    """A send window (UTC) open from an hour ago to two hours from now; it may span
    midnight, which the send window allows."""
    now = now or datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=2)
    return f"{start:%H:%M}-{end:%H:%M}"


def runtime_overrides(smtp_port: int, imap: dict[str, Any] | None) -> dict[str, Any]:
    """Settings for the demo's own run: its SMTP sink, its IMAP server (if any), and a send
    window open every day around now without a gap between messages."""
    out: dict[str, Any] = {
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none"},
        "sending": {
            "window": send_window(),
            "days": list(WEEKDAYS),
            "min_gap_s": 0.0,
            "jitter_s": 0.0,
        },
    }
    if imap is not None:
        out["imap"] = imap
    return out
