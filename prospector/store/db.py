"""Opening the database (WAL, migrations): ``open_db()`` is the one way in."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from prospector.errors import StoreError
from prospector.private import close_to_others, create_private, private_dir
from prospector.store.authority import AuthorityStore
from prospector.store.contacts import ContactsStore
from prospector.store.discovery import DiscoveryStore
from prospector.store.imports import ImportsStore
from prospector.store.locks import LocksStore
from prospector.store.messages import MessagesStore
from prospector.store.migrations import MIGRATIONS
from prospector.store.pages import PagesStore
from prospector.store.placements import PlacementsStore
from prospector.store.prospects import ProspectsStore
from prospector.store.replies import RepliesStore
from prospector.store.reports import ReportsStore
from prospector.store.search import SearchStore
from prospector.store.suppression import SuppressionStore

SCHEMA_VERSION = len(MIGRATIONS)


def open_db(path: Path | str) -> Store:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date.

    The database holds contacts and mail: a new one is 0600 in folders created 0700 (SQLite
    gives its -wal and -shm files the database's mode); an existing one that others could
    read loses those rights, and so do its -wal and -shm."""
    memory = str(path) == ":memory:"
    if not memory:
        path = Path(path)
        try:
            private_dir(path.parent)
            if not path.exists():
                with contextlib.suppress(FileExistsError):  # another process made it first
                    create_private(path)
            for suffix in ("", "-wal", "-shm", "-journal"):
                close_to_others(path.with_name(path.name + suffix))
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


class Store(
    PagesStore,
    DiscoveryStore,
    RepliesStore,
    MessagesStore,
    PlacementsStore,
    ProspectsStore,
    SuppressionStore,
    SearchStore,
    ImportsStore,
    AuthorityStore,
    ContactsStore,
    ReportsStore,
    LocksStore,
):
    """The one object that reads and writes durable state."""

    def __enter__(self) -> Store:
        return self
