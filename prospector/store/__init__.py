"""Durable state: SQLite through sqlite-utils. Nothing outside this package knows table names."""

from prospector.store.db import SCHEMA_VERSION, Store, open_db

__all__ = ["SCHEMA_VERSION", "Store", "open_db"]
