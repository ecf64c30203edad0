"""Backlink CSV imports: each tool's export, sniffing, bad rows by line, idempotence, the CLI."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from prospector.config import Settings, load_settings
from prospector.discover.import_formats import header_key, map_header, parse_date, parse_metric
from prospector.discover.import_sniff import decode
from prospector.discover.imports import import_backlinks, read_backlinks
from prospector.errors import CampaignError, ImportFormatError
from prospector.store import open_db
from prospector.workspace import init_workspace
from tests.cli_helpers import prospector
from tests.imports_fixtures import (
    ALL,
    Export,
    ahrefs_legacy_csv,
    ahrefs_utf16_tsv,
    gsc_links,
    semrush_cp1252_semicolon,
)

CAMPAIGN = "example"


@pytest.fixture
def workspace(tmp_path: Path) -> Settings:
    """A workspace from 'prospector init' (campaign 'example'), with no database yet."""
    init_workspace(tmp_path)
    (tmp_path / "prospector.db").unlink()
    return load_settings(tmp_path / "prospector.toml", env={})


def write(tmp_path: Path, export: Export) -> Path:
    path = tmp_path / export.name
    path.write_bytes(export.data)
    return path


# -- reading each tool's export --------------------------------------------------------------


@pytest.mark.parametrize("build", ALL, ids=lambda b: b.__name__)
def test_each_format_is_detected_and_read_with_bad_rows_by_line(
    tmp_path: Path, build: Callable[[], Export]
) -> None:
    export = build()
    parsed = read_backlinks(write(tmp_path, export))
    assert parsed.tool == export.tool
    assert parsed.encoding == export.encoding
    assert parsed.delimiter == export.delimiter
    assert [row.source_url for row in parsed.rows] == export.good
    assert {bad.line for bad in parsed.bad} == set(export.bad)
    for bad in parsed.bad:
        assert export.bad[bad.line] in bad.reason
    assert all(row.file == export.name and row.tool == export.tool for row in parsed.rows)


def test_ahrefs_utf16_fields_metrics_and_multiline_line_numbers(tmp_path: Path) -> None:
    parsed = read_backlinks(write(tmp_path, ahrefs_utf16_tsv()))
    first, second, worms, dup = parsed.rows
    assert (first.line, second.line, worms.line, dup.line) == (2, 3, 7, 8)
    assert first.target_url == "https://competitor.example/guide"
    assert first.anchor == "the guide" and first.nofollow is False
    assert second.nofollow is True
    assert first.first_seen == "2023-04-01T08:15:00" and first.last_seen == "2024-02-10"
    assert first.metrics["title"] == "Composting 101 – tips"
    assert first.metrics["domain_rating"] == 54
    assert first.metrics["domain_traffic"] == 1234  # "1,234"
    assert first.metrics["ugc"] is False
    assert second.metrics["left_context"] == "Useful:\nmulti-line context"
    assert worms.source_url == "https://worms.example/bins?ref=1"  # fragment dropped
    assert parsed.columns["source"] == "Referring page URL"


def test_semrush_cp1252_text_and_decimal_commas(tmp_path: Path) -> None:
    parsed = read_backlinks(write(tmp_path, semrush_cp1252_semicolon()))
    jardin, garten = parsed.rows
    assert jardin.metrics["title"] == "Le “compost” facile – été"
    assert garten.metrics["page_ascore"] == 3.5
    assert garten.nofollow is True and jardin.nofollow is False


def test_search_console_rows_have_no_target_and_a_crawl_date(tmp_path: Path) -> None:
    parsed = read_backlinks(write(tmp_path, gsc_links()))
    assert {row.target_url for row in parsed.rows} == {""}
    assert parsed.rows[0].last_seen == "2024-03-15"
    assert parsed.rows[2].line == 5  # the blank line 4 is skipped, not renumbered


def test_legacy_ahrefs_rel_comes_from_the_type_column(tmp_path: Path) -> None:
    rows = read_backlinks(write(tmp_path, ahrefs_legacy_csv())).rows
    assert [r.nofollow for r in rows] == [True, False]
    assert rows[0].target_url == "https://ours.example/" and rows[0].anchor == "our site"


# -- sniffing and matching -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "Jérôme".encode(), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "Jérôme".encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + "Jérôme".encode("utf-16-be"), "utf-16-be"),
        ("source url,x\nJérôme".encode("utf-16-le"), "utf-16-le"),  # no BOM
        ("Jérôme".encode(), "utf-8"),
        ("Jérôme “quoted”".encode("cp1252"), "cp1252"),
        (b"J\x81r\x8dme", "latin-1"),  # bytes cp1252 leaves undefined
    ],
)
def test_encoding_is_sniffed(data: bytes, encoding: str) -> None:
    decoded = decode(data)
    assert decoded.encoding == encoding
    assert decoded.text.startswith(("J", "source"))


def test_header_names_match_loosely() -> None:
    assert header_key(" Referring_Page-URL ") == "referring page url"
    columns = map_header(["REFERRING PAGE URL", "target-url", "Anchor text", "DR"])
    assert columns is not None and columns.tool == "ahrefs"
    assert columns.fields == {"source": 0, "target": 1, "anchor": 2}
    assert map_header(["name", "email"]) is None
    single = map_header(["URL"])
    assert single is not None and single.tool == "generic"


def test_values_are_normalised() -> None:
    assert parse_date("2024-03-15") == "2024-03-15"
    assert parse_date("15.03.2024") == "2024-03-15"
    assert parse_date("Mar 15, 2024") == "2024-03-15"
    assert parse_date("2024-03-15T10:00:00Z") == "2024-03-15T10:00:00+00:00"
    assert parse_date("sometime") == "sometime"
    assert parse_metric("12,5") == 12.5 and parse_metric("1,234") == 1234
    assert parse_metric("42") == 42 and parse_metric("n/a") == "n/a"


def test_quoted_fields_keep_delimiters_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        'Source URL,Anchor\n"https://q.example/a","one, two"\n'
        '"https://q.example/b","three\nfour\nfive"\nbad,x\n',
        encoding="utf-8",
    )
    parsed = read_backlinks(path)
    assert [(r.line, r.anchor) for r in parsed.rows] == [
        (2, "one, two"),
        (3, "three\nfour\nfive"),
    ]
    assert [b.line for b in parsed.bad] == [6]


def test_a_row_with_extra_fields_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("Source URL,Anchor\nhttps://e.example/,a,b,c\nhttps://f.example/,ok\n")
    parsed = read_backlinks(path)
    assert [r.source_url for r in parsed.rows] == ["https://f.example/"]
    assert parsed.bad[0].line == 2 and "4 fields" in parsed.bad[0].reason


# -- unusable files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,email\nBob,bob@example.com\n", "no recognisable header"),
        (b"", "empty"),
        (b"PK\x03\x04\x14\x00rest-of-a-workbook", "xlsx"),
        (b"Referring page URL,Anchor\n", "no data rows"),
        (b"Source URL\nnot-a-url\n/also/bad\n", "no usable rows, 2 bad: line 2"),
    ],
)
def test_an_unusable_file_is_one_error_and_writes_nothing(
    workspace: Settings, tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with pytest.raises(ImportFormatError) as caught:
        import_backlinks(workspace, path, CAMPAIGN)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not workspace.database.exists()


def test_an_unknown_campaign_is_refused_before_anything_is_written(
    workspace: Settings, tmp_path: Path
) -> None:
    with pytest.raises(CampaignError):
        import_backlinks(workspace, write(tmp_path, gsc_links()), "nope")
    assert not workspace.database.exists()


# -- storing ---------------------------------------------------------------------------------


def test_import_stores_rows_candidates_and_a_run_and_is_idempotent(
    workspace: Settings, tmp_path: Path
) -> None:
    export = ahrefs_utf16_tsv()
    path = write(tmp_path, export)
    first = import_backlinks(workspace, path, CAMPAIGN)
    assert (first.rows, first.imported, first.duplicates, len(first.bad)) == (4, 3, 1, 2)
    assert (first.sources, first.candidates) == (3, 3)

    again = import_backlinks(workspace, path, CAMPAIGN)
    assert (again.rows, again.imported, again.duplicates) == (4, 0, 4)
    assert again.candidates == 0

    with open_db(workspace.database) as store:
        stored = store.backlinks(CAMPAIGN)
        assert [b["source_url"] for b in stored] == export.good[:3]
        assert stored[0]["line"] == 2 and stored[0]["tool"] == "ahrefs"
        assert stored[0]["file"] == export.name and stored[0]["anchor"] == "the guide"
        assert stored[1]["nofollow"] == 1 and stored[0]["nofollow"] == 0
        assert stored[0]["metrics"]["domain_rating"] == 54
        candidates = store.candidates(CAMPAIGN)
        assert [c["url"] for c in candidates] == export.good[:3]
        assert {c["source"] for c in candidates} == {"import"}
        assert {c["source_detail"] for c in candidates} == {f"ahrefs:{export.name}"}
        run = store.run(again.run_id)
        assert run["job"] == "import" and run["status"] == "ok"
        assert json.loads(run["counts"]) == {
            "rows": 4,
            "imported": 0,
            "duplicates": 4,
            "bad": 2,
            "candidates": 0,
        }


def test_rows_without_a_target_stay_unique_on_reimport(workspace: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, gsc_links())
    assert import_backlinks(workspace, path, CAMPAIGN).imported == 3
    assert import_backlinks(workspace, path, CAMPAIGN).imported == 0
    with open_db(workspace.database) as store:
        assert store.backlink_count(CAMPAIGN) == 3


# -- the command -----------------------------------------------------------------------------


@pytest.fixture
def cli_workspace(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    init_workspace(work)
    return work


def test_cli_imports_and_reports_bad_rows(cli_workspace: Path) -> None:
    path = write(cli_workspace, ahrefs_utf16_tsv())
    config = str(cli_workspace / "prospector.toml")
    done = prospector("--config", config, "import", "backlinks", str(path), "--campaign", CAMPAIGN)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "ahrefs export (utf-16-le, tab-separated, header on line 1)" in out
    assert "rows: 4 good (3 new, 1 already known), 2 bad" in out
    assert "line 5: source URL '/relative/page'" in out
    assert "line 6: source URL 'www.three.example/page'" in out
    assert "candidates: 3 added" in out

    again = prospector(
        "--config", config, "import", "backlinks", str(path), "--campaign", CAMPAIGN, "--json"
    )
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["tool"], report["encoding"], report["delimiter"]) == (
        "ahrefs",
        "utf-16-le",
        "tab",
    )
    assert (report["imported"], report["duplicates"], report["candidates_added"]) == (0, 4, 0)
    assert [b["line"] for b in report["bad"]] == [5, 6]


def test_cli_caps_the_bad_rows_it_prints(cli_workspace: Path) -> None:
    path = cli_workspace / "many.csv"
    path.write_text("Source URL\nhttps://ok.example/\n" + "nope\n" * 30)
    config = str(cli_workspace / "prospector.toml")
    done = prospector("--config", config, "import", "backlinks", str(path), "--campaign", CAMPAIGN)
    assert done.returncode == 0, done.stderr
    assert "line 22: " in done.stdout and "line 23: " not in done.stdout  # bad rows: 3-32
    assert "and 10 more bad rows" in done.stdout


def test_cli_unusable_file_exits_2_with_one_line(cli_workspace: Path) -> None:
    path = cli_workspace / "junk.csv"
    path.write_text("name,email\nBob,bob@example.com\n")
    (cli_workspace / "prospector.db").unlink()
    config = str(cli_workspace / "prospector.toml")
    done = prospector("--config", config, "import", "backlinks", str(path), "--campaign", CAMPAIGN)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "junk.csv" in lines[0]
    assert not (cli_workspace / "prospector.db").exists()

    missing = prospector(
        "--config", config, "import", "backlinks", str(path), "--campaign", "nosuch"
    )
    assert missing.returncode == 2 and "no campaign 'nosuch'" in missing.stderr
