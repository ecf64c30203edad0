"""Pages, their links, and the history of link checks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from prospector.models import PageSnapshot, utcnow
from prospector.store.base import StoreBase


class PagesStore(StoreBase):
    def save_page(self, page: PageSnapshot, run_id: int | None = None) -> int:
        """Store a snapshot and replace the page's links, with its event, atomically."""
        with self.transaction():
            pages = self.db.table("pages")
            existing = self.db.execute("SELECT id FROM pages WHERE url = ?", [page.url]).fetchone()
            row = {
                "url": page.url,
                "final_url": page.final_url,
                "host": page.host,
                "http_status": page.http_status,
                "title": page.title,
                "canonical": page.canonical,
                "noindex": int(page.noindex),
                "content_hash": page.content_hash,
                "rendered": int(page.rendered),
                "fetched_at": page.fetched_at,
                "run_id": run_id,
            }
            if existing:
                page_id = int(existing[0])
                pages.update(page_id, row)
                self.db.execute("DELETE FROM links WHERE page_id = ?", [page_id])
            else:
                pages.insert(row)
                page_id = int(pages.last_pk or 0)
            self.db.table("links").insert_all(
                {
                    "page_id": page_id,
                    "href": link.href,
                    "anchor": link.anchor,
                    "rel": " ".join(link.rel),
                    "placement": link.placement,
                    "visible": None if link.visible is None else int(link.visible),
                    "internal": int(link.internal),
                }
                for link in page.links
            )
            self._event(
                "page",
                str(page_id),
                "fetched",
                "agent",
                {"url": page.url, "status": page.http_status, "links": len(page.links)},
                run_id,
            )
        return page_id

    def record_check(self, check: Any, run_id: int | None = None) -> None:
        """Append one link check to the history (``url_checks``)."""
        with self.transaction():
            self.db.table("url_checks").insert(
                {
                    "url": check.url,
                    "checked_at": check.checked_at or utcnow(),
                    "verdict": check.verdict,
                    "status": check.status,
                    "http_status": check.http_status,
                    "final_url": check.final_url,
                    "detail": check.detail,
                    "run_id": run_id,
                }
            )

    def check_history(self, url: str) -> list[dict[str, Any]]:
        return list(
            self.db.table("url_checks").rows_where("url = ?", [url], order_by="checked_at, id")
        )

    def pages_for_host(self, host: str) -> list[dict[str, Any]]:
        return list(self.db.table("pages").rows_where("host = ?", [host], order_by="url"))

    def links_of(self, page_id: int) -> list[dict[str, Any]]:
        return list(self.db.table("links").rows_where("page_id = ?", [page_id], order_by="id"))

    def page_row(self, page_id: int) -> dict[str, Any] | None:
        rows = list(self.db.table("pages").rows_where("id = ?", [page_id]))
        return dict(rows[0]) if rows else None

    def save_page_facts(self, page_id: int, facts: dict[str, Any]) -> None:
        with self.transaction():
            self.db.table("page_facts").upsert(
                {"page_id": page_id, "facts": json.dumps(facts), "updated_at": utcnow()},
                pk="page_id",
            )

    def page_facts(self, page_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for start in range(0, len(page_ids), 500):
            chunk = list(page_ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.query(
                f"SELECT page_id, facts FROM page_facts WHERE page_id IN ({marks})", chunk
            ):
                out[int(row["page_id"])] = json.loads(row["facts"])
        return out

    def campaign_page_facts(self, campaign: str) -> list[tuple[int, str, dict[str, Any]]]:
        """(page id, host, facts) of every page the campaign's discovery has read."""
        rows = self.db.query(
            """
            SELECT p.id AS page_id, p.host AS host, f.facts AS facts
            FROM candidates c JOIN pages p ON p.url = c.url
            JOIN page_facts f ON f.page_id = p.id
            WHERE c.campaign = ? AND c.state = 'done'
            """,
            [campaign],
        )
        return [(int(r["page_id"]), str(r["host"]), json.loads(r["facts"])) for r in rows]
