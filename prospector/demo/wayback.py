"""A Wayback Machine for the demo web: the availability API, the CDX API and raw snapshots,
speaking archive.org's formats, for the dead pages the demo web links to.

``archive.example`` answers ``/wayback/available``; ``web.archive.example`` answers
``/cdx/search/cdx`` and ``/web/<timestamp>id_/<url>``. Most dead links have a snapshot (what
the page was before it died); a few have none, as in real life.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from prospector.demo.model import Reply

if TYPE_CHECKING:
    from prospector.demo.world import World

AVAILABILITY_HOST = "archive.example"
ARCHIVE_HOST = "web.archive.example"
HOSTS = (AVAILABILITY_HOST, ARCHIVE_HOST)
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


@dataclass(frozen=True)
class Snapshot:
    original: str
    timestamp: str
    title: str
    html: str

    @property
    def status(self) -> str:
        return "200"


def url_key(url: str) -> str:
    """Wayback's SURT-ish key: scheme, 'www.' and a trailing slash do not matter."""
    value = url.strip()
    if "://" not in value:
        value = "http://" + value
    parts = urlsplit(value)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/") or ""
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


class WaybackArchive:
    """Snapshots of the demo web's dead pages, built from the world's ground truth."""

    def __init__(self, world: World) -> None:
        self._snapshots: dict[str, Snapshot] = {}
        for page in world.truth()["pages"]:
            for link in page["links"]:
                if link["expected_verdict"] != "dead" or not link["href"].startswith("http"):
                    continue
                key = url_key(link["href"])
                digest = hashlib.sha256(key.encode()).digest()
                if key in self._snapshots or digest[0] % 6 == 0:
                    continue  # about one dead page in six was never archived
                year = 2016 + digest[1] % 7
                stamp = f"{year}{1 + digest[2] % 12:02d}{1 + digest[3] % 28:02d}{digest[4] % 24:02d}0000"
                title = link["anchor"] or key
                topic = (link.get("topic") or "").replace("-", " ")
                body = (
                    f"<!doctype html><html><head><title>{escape(title)}</title></head><body>"
                    f"<h1>{escape(title)}</h1><p>A guide to {escape(topic or title)}: "
                    f"{escape(title.lower())}, step by step, with what to avoid.</p>"
                    "</body></html>"
                )
                self._snapshots[key] = Snapshot(link["href"], stamp, title, body)

    def snapshot(self, url: str) -> Snapshot | None:
        return self._snapshots.get(url_key(url))

    def handle(self, host: str, method: str, target: str) -> Reply:
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if host == AVAILABILITY_HOST and parts.path == "/wayback/available":
            return self._available(query.get("url", ""))
        if host == ARCHIVE_HOST and parts.path == "/cdx/search/cdx":
            return self._cdx(query)
        if host == ARCHIVE_HOST and parts.path.startswith("/web/"):
            return self._raw(target[len("/web/") :])
        return _json(404, {"error": "not found"})

    def _available(self, url: str) -> Reply:
        found = self.snapshot(url) if url else None
        snapshots: dict[str, object] = {}
        if found is not None:
            snapshots["closest"] = {
                "status": found.status,
                "available": True,
                "timestamp": found.timestamp,
                "url": f"http://{ARCHIVE_HOST}/web/{found.timestamp}/{found.original}",
            }
        return _json(200, {"url": url, "archived_snapshots": snapshots})

    def _cdx(self, query: dict[str, str]) -> Reply:
        found = self.snapshot(query.get("url", ""))
        fields = [f for f in query.get("fl", ",".join(CDX_FIELDS)).split(",") if f in CDX_FIELDS]
        rows: list[list[str]] = []
        if found is not None:
            values = {
                "urlkey": url_key(found.original),
                "timestamp": found.timestamp,
                "original": found.original,
                "mimetype": "text/html",
                "statuscode": "200",
                "digest": hashlib.sha1(found.html.encode()).hexdigest().upper()[:32],
                "length": str(len(found.html)),
            }
            rows.append([values[f] for f in fields])
        if query.get("output") == "json":
            return _json(200, [fields, *rows] if rows else [])
        text = "\n".join(" ".join(row) for row in rows) + ("\n" if rows else "")
        return Reply(200, (("Content-Type", "text/plain"),), text.encode(), nature="api")

    def _raw(self, rest: str) -> Reply:
        stamp, _, original = rest.partition("/")
        found = self.snapshot(original)
        if found is None or not stamp.startswith(found.timestamp[:8]):
            return Reply(
                404, (("Content-Type", "text/html"),), b"<h1>Not in archive</h1>", nature="api"
            )
        return Reply(
            200, (("Content-Type", "text/html; charset=utf-8"),), found.html.encode(), nature="api"
        )


def _json(status: int, data: object) -> Reply:
    return Reply(
        status, (("Content-Type", "application/json"),), json.dumps(data).encode(), nature="api"
    )
