"""Opening the database (WAL, migrations) and every statement that touches it."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from prospector.errors import StoreError
from prospector.models import PageSnapshot, utcnow
from prospector.store.migrations import MIGRATIONS

SCHEMA_VERSION = len(MIGRATIONS)
_MIGRATIONS_TABLE = "_migrations"


def open_db(path: Path | str) -> Store:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    memory = str(path) == ":memory:"
    if not memory:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create database: {exc.strerror}") from None
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        db = Database(conn)
        if not memory:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        store = Store(db, None if memory else Path(path))
        store.migrate()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a usable Prospector database: {exc}") from None
    return store


def _in_transaction(conn: sqlite3.Connection) -> bool:
    return conn.in_transaction


class Store:
    """The one object that reads and writes durable state."""

    def __init__(self, db: Database, path: Path | None) -> None:
        self.db = db
        self.path = path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work (BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error)."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if _in_transaction(conn):  # an error may already have ended it
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- schema ---------------------------------------------------------------------------

    def applied_migrations(self) -> list[str]:
        if not self.db.table(_MIGRATIONS_TABLE).exists():
            return []
        rows = self.db.execute(f"SELECT name FROM {_MIGRATIONS_TABLE} ORDER BY rowid")
        return [row[0] for row in rows.fetchall()]

    def migrate(self) -> list[str]:
        """Apply every migration not yet applied; return the names applied now."""
        with self.transaction():
            if not self.db.table(_MIGRATIONS_TABLE).exists():
                self.db.table(_MIGRATIONS_TABLE).create({"name": str, "applied_at": str}, pk="name")
        applied = set(self.applied_migrations())
        known = {m.__name__ for m in MIGRATIONS}
        unknown = sorted(applied - known)
        if unknown:
            raise StoreError(
                f"{self.path}: written by a newer Prospector (unknown migrations: "
                f"{', '.join(unknown)})"
            )
        done = []
        for migration in MIGRATIONS:
            if migration.__name__ in applied:
                continue
            with self.transaction():
                migration(self.db)
                self.db.table(_MIGRATIONS_TABLE).insert(
                    {"name": migration.__name__, "applied_at": utcnow()}
                )
            done.append(migration.__name__)
        return done

    def schema_version(self) -> int:
        return len(self.applied_migrations())

    def tables(self) -> list[str]:
        return sorted(t for t in self.db.table_names() if not t.startswith("_"))

    def integrity_ok(self) -> bool:
        row = self.db.execute("PRAGMA quick_check").fetchone()
        return bool(row and row[0] == "ok")

    def counts(self) -> dict[str, int]:
        return {name: self.db.table(name).count for name in self.tables()}

    # -- runs and events --------------------------------------------------------------------

    def start_run(self, job: str, campaign: str | None = None) -> int:
        with self.transaction():
            table = self.db.table("runs")
            table.insert(
                {"job": job, "campaign": campaign, "started_at": utcnow(), "status": "running"}
            )
            run_id = int(table.last_pk or 0)
            self._event("run", str(run_id), "started", "agent", {"job": job}, run_id)
        return run_id

    def finish_run(
        self, run_id: int, *, status: str, counts: Mapping[str, int], error: str | None = None
    ) -> None:
        with self.transaction():
            self.db.table("runs").update(
                run_id,
                {
                    "finished_at": utcnow(),
                    "status": status,
                    "counts": json.dumps(dict(counts)),
                    "error": error,
                },
            )
            self._event("run", str(run_id), status, "agent", {"counts": dict(counts)}, run_id)

    def run(self, run_id: int) -> dict[str, Any]:
        return dict(self.db.table("runs").get(run_id))

    def add_event(
        self,
        entity: str,
        entity_id: str,
        kind: str,
        actor: str,
        data: Mapping[str, Any] | None = None,
        run_id: int | None = None,
    ) -> None:
        with self.transaction():
            self._event(entity, entity_id, kind, actor, data, run_id)

    def _event(
        self,
        entity: str,
        entity_id: str,
        kind: str,
        actor: str,
        data: Mapping[str, Any] | None,
        run_id: int | None,
    ) -> None:
        self.db.table("events").insert(
            {
                "at": utcnow(),
                "entity": entity,
                "entity_id": entity_id,
                "kind": kind,
                "actor": actor,
                "run_id": run_id,
                "data": json.dumps(dict(data or {})),
            }
        )

    def events(self, entity: str, entity_id: str) -> list[dict[str, Any]]:
        return list(
            self.db.table("events").rows_where(
                "entity = ? AND entity_id = ?", [entity, entity_id], order_by="id"
            )
        )

    # -- campaigns ---------------------------------------------------------------------------

    def upsert_campaign(self, name: str, path: str, description: str) -> None:
        with self.transaction():
            self.db.table("campaigns").upsert(
                {"name": name, "path": path, "description": description, "loaded_at": utcnow()},
                pk="name",
            )

    # -- pages and links ---------------------------------------------------------------------

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
