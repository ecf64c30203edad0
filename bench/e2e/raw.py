"""The raw page-load rate of Chromium on given URLs: the limit Prospector's rendering is
compared with.

    python -m bench.e2e.raw --urls urls.txt --contexts 2 --port PORT --ca ca.pem \\
        --wait load|networkidle --out raw.json

The same browser Prospector would launch (``prospector.web.browser.find_installed``), with
the same launch arguments (``launch_args``: quiet switches and the local CA's SPKI pin), but
reaching the local web straight through ``--host-resolver-rules`` instead of Prospector's
guard proxy. ``contexts`` workers share the URL list; each keeps one browser context and
opens a fresh page per URL, waits for ``load`` (and with ``--wait networkidle`` also for the
network to go quiet, at most 2.5 s, as Prospector's ``settle`` does), and closes it. Nothing
is read from the page. The clock runs from the first navigation to the last page closed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from prospector.config import BrowserSettings, NetworkSettings, Settings
from prospector.web.browser import BrowserChoice, find_installed, launch_args

SETTLE_MS = 2500


async def _worker(
    browser: Browser, queue: asyncio.Queue[str], wait: str, results: list[dict[str, Any]]
) -> None:
    context = await browser.new_context()
    try:
        while True:
            try:
                url = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.monotonic()
            ok = True
            page = await context.new_page()
            try:
                await page.goto(url, wait_until="load")
                if wait == "networkidle":
                    with contextlib.suppress(PlaywrightTimeoutError):
                        await page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
            except PlaywrightError:
                ok = False
            finally:
                await page.close()
            results.append({"url": url, "s": time.monotonic() - started, "ok": ok})
    finally:
        await context.close()


async def load_all(
    urls: list[str], *, contexts: int, port: int, ca: Path, wait: str, choice: BrowserChoice
) -> dict[str, Any]:
    settings = Settings(network=NetworkSettings(ca_bundle=ca))
    args = [*launch_args(settings), f"--host-resolver-rules=MAP *.example 127.0.0.1:{port}"]
    async with async_playwright() as pw:
        started = time.monotonic()
        browser = await pw.chromium.launch(executable_path=choice.executable, args=args)
        launch_s = time.monotonic() - started
        queue: asyncio.Queue[str] = asyncio.Queue()
        for url in urls:
            queue.put_nowait(url)
        results: list[dict[str, Any]] = []
        started = time.monotonic()
        await asyncio.gather(*(_worker(browser, queue, wait, results) for _ in range(contexts)))
        wall = time.monotonic() - started
        version = browser.version
        await browser.close()
    loaded = [r for r in results if r["ok"]]
    return {
        "urls": len(urls),
        "loaded": len(loaded),
        "contexts": contexts,
        "wait": wait,
        "wall_s": wall,
        "pages_per_s": len(results) / wall if wall > 0 else None,
        "mean_page_s": sum(r["s"] for r in results) / len(results) if results else None,
        "launch_s": launch_s,
        "browser": f"{choice.executable or 'playwright'} {version}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--urls", type=Path, required=True)
    parser.add_argument("--contexts", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", type=Path, required=True)
    parser.add_argument("--wait", choices=("load", "networkidle"), default="load")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    urls = [u for u in args.urls.read_text(encoding="utf-8").splitlines() if u.strip()]
    choice = find_installed(BrowserSettings())  # before the event loop: it uses the sync API
    if choice is None:
        raise SystemExit("no Chromium found")
    result = asyncio.run(
        load_all(
            urls, contexts=args.contexts, port=args.port, ca=args.ca, wait=args.wait, choice=choice
        )
    )
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
