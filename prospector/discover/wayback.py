"""What a dead page was: the Wayback Machine's CDX and availability APIs, and the snapshot.

The CDX API gives the last capture that answered 200 (the last good date); the availability
API is the fallback; the raw snapshot (``<timestamp>id_/<url>``) gives the old title, so a
pitch can say what the dead link used to point to.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlencode

from prospector.config import WaybackSettings
from prospector.web import signals
from prospector.web.fetch import Fetcher


@dataclass(frozen=True)
class ArchivedPage:
    url: str
    snapshot_url: str
    timestamp: str  # YYYYMMDDhhmmss
    title: str

    @property
    def last_good(self) -> str:
        """The capture's date, ISO formatted (YYYY-MM-DD)."""
        t = self.timestamp
        return f"{t[0:4]}-{t[4:6]}-{t[6:8]}" if len(t) >= 8 else t

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"last_good": self.last_good}


@dataclass(frozen=True)
class NotArchived:
    url: str
    reason: str


async def lookup(fetcher: Fetcher, conf: WaybackSettings, url: str) -> ArchivedPage | NotArchived:
    """The last good capture of ``url`` and its title, or why there is none."""
    if not conf.enabled:
        return NotArchived(url, "Wayback lookups are disabled (wayback.enabled = false)")
    capture = await _cdx(fetcher, conf, url)
    if isinstance(capture, NotArchived):
        capture = await _available(fetcher, conf, url) or capture
    if isinstance(capture, NotArchived):
        return capture
    timestamp, original = capture
    raw = f"{conf.snapshot_url.rstrip('/')}/{timestamp}id_/{original}"
    page = await fetcher.fetch(raw, body="all", obey_robots=False)
    title = signals.title_of(page.text()) if page.status == 200 and page.body else ""
    shown = f"{conf.snapshot_url.rstrip('/')}/{timestamp}/{original}"
    return ArchivedPage(url, shown, timestamp, title)


async def _cdx(fetcher: Fetcher, conf: WaybackSettings, url: str) -> tuple[str, str] | NotArchived:
    query = urlencode(
        {
            "url": url,
            "output": "json",
            "fl": "timestamp,original,statuscode",
            "filter": "statuscode:200",
            "limit": "-1",
        },
        quote_via=quote,
    )
    answer = await fetcher.fetch(f"{conf.cdx_url}?{query}", body="all", obey_robots=False)
    if answer.error or answer.status != 200:
        return NotArchived(url, f"CDX API: {answer.error or answer.status} {answer.detail}".strip())
    try:
        rows = json.loads(answer.text() or "[]")
    except json.JSONDecodeError:
        return NotArchived(url, "CDX API: not JSON")
    if not isinstance(rows, list) or len(rows) < 2:
        return NotArchived(url, "never archived with status 200")
    header, *captures = rows
    try:
        at, orig = header.index("timestamp"), header.index("original")
    except (ValueError, AttributeError):
        return NotArchived(url, "CDX API: unexpected columns")
    last = captures[-1]
    return str(last[at]), str(last[orig])


async def _available(fetcher: Fetcher, conf: WaybackSettings, url: str) -> tuple[str, str] | None:
    query = urlencode({"url": url}, quote_via=quote)
    answer = await fetcher.fetch(f"{conf.availability_url}?{query}", body="all", obey_robots=False)
    if answer.error or answer.status != 200:
        return None
    try:
        closest = json.loads(answer.text())["archived_snapshots"]["closest"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return None
    if not closest.get("available") or str(closest.get("status")) != "200":
        return None
    return str(closest["timestamp"]), url
