"""The store: migrations from a blank file, WAL, atomic writes, and refusals that lose nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from prospector.errors import StoreError
from prospector.models import Link, PageSnapshot
from prospector.store import SCHEMA_VERSION, open_db
from prospector.store.migrations import MIGRATIONS


def page(url: str, *links: Link, title: str = "T") -> PageSnapshot:
    return PageSnapshot(url=url, final_url=url, http_status=200, title=title, links=links)


def test_blank_database_is_migrated_to_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "new" / "prospector.db"
    with open_db(path) as store:
        assert store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
        assert {"campaigns", "runs", "events", "pages", "links", "url_checks"} <= set(
            store.tables()
        )
        assert store.integrity_ok()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert path.stat().st_mode & 0o777 == 0o600  # the database is private to its owner


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with open_db(path) as store:
        store.start_run("demo")
    with open_db(path) as store:
        assert store.migrate() == []
        assert store.counts()["runs"] == 1


def test_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with open_db(path) as store:
        store.db["_migrations"].insert({"name": "m999_future", "applied_at": "x"})
    with pytest.raises(StoreError, match=r"newer Prospector.*m999_future"):
        open_db(path)
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT count(*) FROM _migrations").fetchone()[0] == SCHEMA_VERSION + 1


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"notes\.db: not a usable Prospector database"):
        open_db(path)
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_saving_a_page_replaces_its_links_and_logs_an_event(tmp_path: Path) -> None:
    with open_db(tmp_path / "p.db") as store:
        run_id = store.start_run("crawl")
        first = store.save_page(
            page(
                "https://a.example/",
                Link("https://b.example/", "B"),
                Link("https://c.example/", "C"),
            ),
            run_id,
        )
        again = store.save_page(
            page("https://a.example/", Link("https://d.example/", "D", ("nofollow",))), run_id
        )
        assert first == again
        links = store.links_of(first)
        assert [(row["href"], row["rel"]) for row in links] == [("https://d.example/", "nofollow")]
        assert [e["kind"] for e in store.events("page", str(first))] == ["fetched", "fetched"]


def test_a_failed_write_leaves_stored_state_intact(tmp_path: Path) -> None:
    with open_db(tmp_path / "p.db") as store:
        page_id = store.save_page(page("https://a.example/", Link("https://b.example/", "B")))
        broken = page("https://a.example/", Link("https://c.example/", "C"), title="new")
        object.__setattr__(broken, "links", (Link("https://c.example/", "C"), object()))
        with pytest.raises(AttributeError):
            store.save_page(broken)
        assert [row["href"] for row in store.links_of(page_id)] == ["https://b.example/"]
        assert store.pages_for_host("a.example")[0]["title"] == "T"


def test_runs_record_start_finish_and_counts(tmp_path: Path) -> None:
    with open_db(tmp_path / "p.db") as store:
        run_id = store.start_run("demo", "demo")
        store.finish_run(run_id, status="ok", counts={"pages": 3})
        run = store.run(run_id)
        assert run["status"] == "ok" and run["finished_at"] and '"pages": 3' in run["counts"]
        assert [e["kind"] for e in store.events("run", str(run_id))] == ["started", "ok"]
