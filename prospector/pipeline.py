"""The jobs: called by the CLI and the scheduled agent alike. No printing, no exiting."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from prospector.config import Settings
from prospector.store import open_db
from prospector.web.browser import BrowserSession, Rendered, open_browser
from prospector.web.fetch import Fetcher
from prospector.web.linkstatus import LinkCheck, LinkChecker


class LazyBrowser:
    """Starts the browser the first time a page needs rendering, once per job."""

    def __init__(self, settings: Settings, stack: contextlib.AsyncExitStack) -> None:
        self.settings = settings
        self.stack = stack
        self.session: BrowserSession | None = None
        self.failed: str | None = None
        self._lock = asyncio.Lock()

    async def settle(self, url: str) -> Rendered | None:
        async with self._lock:
            if self.session is None and self.failed is None:
                try:
                    self.session = await self.stack.enter_async_context(open_browser(self.settings))
                except Exception as exc:  # a missing browser degrades to raw-HTML judgement
                    self.failed = str(exc)
        if self.session is None:
            return None
        return await self.session.settle(url)


async def check_urls_async(
    settings: Settings,
    urls: list[str],
    *,
    render: bool = True,
    history: bool = True,
    on_result: Callable[[LinkCheck], None] | None = None,
) -> list[LinkCheck]:
    store = open_db(settings.database) if history else None
    run_id = store.start_run("check") if store else None

    def record(check: LinkCheck) -> None:
        if store is not None:
            store.record_check(check, run_id)
        if on_result is not None:
            on_result(check)

    try:
        async with contextlib.AsyncExitStack() as stack:
            fetcher = await stack.enter_async_context(Fetcher(settings))
            browser = LazyBrowser(settings, stack) if render else None
            checker = LinkChecker(
                fetcher, render=browser.settle if browser else None, on_result=record
            )
            checks = await checker.check_many(urls)
        if store is not None and run_id is not None:
            counts: dict[str, int] = {}
            for check in checks:
                counts[check.verdict] = counts.get(check.verdict, 0) + 1
            store.finish_run(run_id, status="ok", counts=counts)
        return checks
    except BaseException as exc:
        if store is not None and run_id is not None:
            store.finish_run(run_id, status="failed", counts={}, error=str(exc)[:500])
        raise
    finally:
        if store is not None:
            store.close()


def check_urls(settings: Settings, urls: list[str], **options: object) -> list[LinkCheck]:
    """Check URLs: one ``LinkCheck`` per URL, in order; history kept in the database."""
    return asyncio.run(check_urls_async(settings, urls, **options))  # type: ignore[arg-type]
