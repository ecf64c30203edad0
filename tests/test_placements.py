"""Recording earned links: from a CSV file (bad rows by line, nothing written from an
unusable file), and with ``prospector placed ID URL`` — the target offered to the prospect,
a placement awaiting its URL filled in, and verification skipping it until then."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from prospector.config import load_settings
from prospector.errors import ImportFormatError
from prospector.store import open_db
from prospector.verify.imports import import_links
from prospector.verify.placements import record_placement
from prospector.verify.run import verify
from tests.cli_helpers import prospector

ROOT = Path(__file__).resolve().parent.parent


def test_a_links_csv_reports_bad_rows_by_line_and_an_unusable_one_writes_nothing(
    tmp_path: Path,
) -> None:
    conf = load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "campaigns_dir": str(tmp_path / "campaigns"),
        },
    )
    (tmp_path / "campaigns").mkdir()
    shutil.copyfile(ROOT / "prospector" / "demo" / "demo.toml", tmp_path / "campaigns/demo.toml")
    good = tmp_path / "links.csv"
    good.write_text(
        "Linking Page;Target URL;Anchor Text;Campaign\n"
        "https://Blog.example/post;https://soilsmith.example/guides/leaf-mould;leaf mould;demo\n"
        "not a url;https://soilsmith.example/guides/leaf-mould;;\n"
        "https://blog.example/other;https://soilsmith.example/guides/leaf-mould;;nosuch\n"
        "https://blog.example/post;https://soilsmith.example/guides/leaf-mould;;demo\n"
    )
    report = import_links(conf, good, actor="test")
    assert (report.rows, report.added, report.known) == (2, 1, 1)
    assert [(b.line, b.reason.split(":")[0]) for b in report.bad] == [
        (3, "url 'not a url'"),
        (4, "unknown campaign 'nosuch' (known"),
    ]
    with open_db(conf.database) as store:
        rows = store.placements()
    assert [(r["url"], r["anchor"], r["campaign"], r["source"]) for r in rows] == [
        ("https://blog.example/post", "leaf mould", "demo", "import")
    ]
    unusable = tmp_path / "nothing.csv"
    unusable.write_text("page,where\nhttps://a.example/,https://b.example/\n")
    with pytest.raises(ImportFormatError, match="no recognisable header"):
        import_links(conf, unusable, actor="test")
    all_bad = tmp_path / "bad.csv"
    all_bad.write_text("url,target\nftp://a.example/x,https://b.example/\n")
    with pytest.raises(ImportFormatError, match=r"line 2: url 'ftp://a\.example/x'"):
        import_links(conf, all_bad, actor="test")
    with open_db(conf.database) as store:
        assert len(store.placements()) == 1


def test_placed_records_the_link_on_the_prospects_replacement_target_from_the_cli(
    tmp_path: Path,
) -> None:
    (tmp_path / "campaigns").mkdir()
    shutil.copyfile(ROOT / "prospector" / "demo" / "demo.toml", tmp_path / "campaigns/demo.toml")
    leaf = "https://soilsmith.example/guides/leaf-mould"
    dead = [{"href": "https://gone.example/leaves", "replacement": {"url": leaf}}]
    with open_db(tmp_path / "prospector.db") as store:
        broken = store.add_prospect(
            "demo", "broken_link", "https://blog.example/links", "blog.example",
            {"dead_links": dead}, state="replied",
        )  # fmt: skip
        guest = store.add_prospect(
            "demo", "guest_post", "https://mag.example/write-for-us", "mag.example", {},
            state="replied",
        )  # fmt: skip
        assert broken is not None and guest is not None
        # a positive reply to a guest post: the page is not known yet
        waiting = record_placement(
            store, guest, None, target=leaf, campaign="demo", source="reply", actor="inbox"
        )
    skipped = verify(load_settings(None, env={}, overrides={"database": str(tmp_path / "prospector.db"), "campaigns_dir": str(tmp_path / "campaigns")}))  # fmt: skip
    assert skipped.awaiting_url == [
        {"id": waiting, "prospect_id": guest, "note": "awaiting the URL: prospector placed ID URL"}
    ]

    result = prospector("placed", str(broken), "https://blog.example/links", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"-> {leaf}" in result.stdout and "recorded" in result.stdout
    filled = prospector(
        "placed", str(guest), "https://mag.example/guest/soil", "--json", cwd=tmp_path
    )
    assert filled.returncode == 0, filled.stderr
    out = json.loads(filled.stdout)
    assert out["url_filled"] and out["placement"]["id"] == waiting
    assert out["placement"]["url"] == "https://mag.example/guest/soil"
    assert out["placement"]["source"] == "manual" and out["prospect_state"] == "placed"
    again = prospector("placed", str(broken), "https://blog.example/links", cwd=tmp_path)
    assert "already recorded" in again.stdout
    missing = prospector("placed", "999", "https://blog.example/links", cwd=tmp_path)
    assert missing.returncode == 2 and "no prospect #999" in missing.stderr
    listed = json.loads(prospector("links", "--json", cwd=tmp_path).stdout)
    assert [(r["url"], r["target"], r["state"]) for r in listed] == [
        ("https://mag.example/guest/soil", leaf, "pending"),
        ("https://blog.example/links", leaf, "pending"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("url,target\nnope,nope\n")
    imported = prospector("links", "import", str(bad), cwd=tmp_path)
    assert imported.returncode == 2 and "line 2" in imported.stderr
