"""The offline demo: serve the bundled web, leave a config behind, crawl one site for real."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from prospector.config import Settings, load_settings
from prospector.demo.server import DemoWeb
from prospector.discover.explore import explore_site
from prospector.store import open_db
from prospector.web.browser import open_browser
from prospector.web.urls import host_of
from prospector.workspace import bundled_templates_dir

DEMO_CAMPAIGN = "demo"
CRAWL_START = "https://compostcorner.example/"
CRAWL_PAGES = 24
CRAWL_DEPTH = 2


def write_workdir(workdir: Path, web: DemoWeb) -> Path:
    """Leave ``prospector.toml`` and ``campaigns/demo.toml`` in ``workdir``; return the config."""
    workdir.mkdir(parents=True, exist_ok=True)
    ca = web.ca_pem_path  # written into workdir: DemoWeb is started with cert_dir=workdir
    config = {
        "database": "prospector.db",
        "campaigns_dir": "campaigns",
        "templates_dir": str(bundled_templates_dir()),
        "outbox_dir": "outbox",
        "network": {"ca_bundle": str(ca), "resolve": web.resolve_map()},
        "fetch": {"min_host_gap_s": 0.2, "timeout_s": 10.0, "connect_timeout_s": 5.0},
        "search": {
            "provider": "searxng",
            "searxng_url": "https://search.example",
            "pages_per_query": 2,
            "min_interval_s": 0.05,
        },
        "wayback": {
            "availability_url": "https://archive.example/wayback/available",
            "cdx_url": "https://web.archive.example/cdx/search/cdx",
            "snapshot_url": "https://web.archive.example/web",
        },
    }
    path = workdir / "prospector.toml"
    header = (
        "# Written by 'prospector demo': Prospector pointed at the bundled demo web.\n"
        "# The demo web must be running for network commands: "
        "prospector demo --serve --workdir " + str(workdir) + "\n\n"
    )
    path.write_text(header + tomli_w.dumps(config), encoding="utf-8")
    campaigns = workdir / "campaigns"
    campaigns.mkdir(exist_ok=True)
    source = resources.files("prospector.demo").joinpath(f"{DEMO_CAMPAIGN}.toml")
    (campaigns / f"{DEMO_CAMPAIGN}.toml").write_text(source.read_text("utf-8"), encoding="utf-8")
    return path


@dataclass
class DemoReport:
    port: int
    sites: int
    pages: int
    config: Path
    database: Path
    start_url: str
    browser: str = ""
    crawled: list[dict[str, Any]] = field(default_factory=list)
    failures: int = 0
    outbound: int = 0
    domains: list[tuple[str, int]] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_demo(workdir: Path, *, port: int = 0) -> DemoReport:
    """Serve the demo web, write the workdir, crawl one demo site with Chromium, store it."""
    with DemoWeb(port=port, cert_dir=workdir) as web:
        config = write_workdir(workdir, web)
        settings = load_settings(config, env={})
        report = DemoReport(
            port=web.port,
            sites=web.world.site_count,
            pages=web.world.page_count,
            config=config,
            database=settings.database,
            start_url=CRAWL_START,
        )
        asyncio.run(_crawl(settings, report))
    return report


async def _crawl(settings: Settings, report: DemoReport) -> None:
    with open_db(settings.database) as store:
        campaign_path = settings.campaigns_dir / f"{DEMO_CAMPAIGN}.toml"
        store.upsert_campaign(DEMO_CAMPAIGN, str(campaign_path), "The bundled demo campaign")
        run_id = store.start_run("demo", DEMO_CAMPAIGN)
        try:
            async with open_browser(settings) as session:
                report.browser = session.version
                result = await explore_site(
                    session, report.start_url, max_pages=CRAWL_PAGES, max_depth=CRAWL_DEPTH
                )
            for page in result.pages:
                store.save_page(page, run_id)
        except BaseException as exc:
            store.finish_run(run_id, status="failed", counts={}, error=str(exc)[:500])
            raise
        domains = Counter(host_of(url) for url in result.outbound)
        emails = sorted({email for page in result.pages for email in page.emails})
        report.crawled = [
            {
                "url": p.url,
                "status": p.http_status,
                "title": p.title,
                "links": len(p.links),
                "outbound": sum(1 for link in p.links if not link.internal),
            }
            for p in result.pages
        ]
        report.failures = len(result.failures)
        report.outbound = len(result.outbound)
        report.domains = domains.most_common()
        report.emails = emails
        store.finish_run(
            run_id,
            status="ok",
            counts={
                "pages": len(result.pages),
                "failures": len(result.failures),
                "outbound": len(result.outbound),
            },
        )


@dataclass
class Served:
    port: int
    sites: int
    pages: int
    config: Path
    stop: threading.Event

    def wait(self) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            while not self.stop.wait(0.5):
                pass


@contextlib.contextmanager
def serve_demo(workdir: Path, *, port: int = 0) -> Iterator[Served]:
    with DemoWeb(port=port, cert_dir=workdir) as web:
        config = write_workdir(workdir, web)
        yield Served(
            web.port, web.world.site_count, web.world.page_count, config, threading.Event()
        )
