"""The store's foundation: connection, transactions, migrations, runs and the event log."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from prospector.errors import StoreError
from prospector.models import utcnow
from prospector.store.migrations import MIGRATIONS

_MIGRATIONS_TABLE = "_migrations"


def _in_transaction(conn: sqlite3.Connection) -> bool:
    return conn.in_transaction


class StoreBase:
    """Connection, transactions, schema, runs and events; the nouns live in mixins."""

    def __init__(self, db: Database, path: Path | None) -> None:
        self.db = db
        self.path = path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Any:
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
