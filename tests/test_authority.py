"""Authority: rank-list import (both formats, compression, bad lines, a million rows through the
CLI), the Open PageRank and Moz providers against a local server speaking their formats, the
cache, ``first`` versus ``weighted``, and the crawled link graph (synthetic and the demo web)."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import sys
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from prospector.config import Settings, load_settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import World, default_world
from prospector.discover.search.base import api_client
from prospector.errors import (
    AuthorityAuthError,
    AuthorityError,
    AuthorityQuotaError,
    ConfigError,
    ImportFormatError,
)
from prospector.models import Link, PageSnapshot
from prospector.qualify.authority.apis import MozProvider, OpenPageRankProvider
from prospector.qualify.authority.combine import NO_ANSWER, authority_for
from prospector.qualify.authority.linkgraph import LinkGraphProvider, build_graph, pagerank
from prospector.qualify.authority.providers import rank_score
from prospector.qualify.authority.ranks import import_ranks, read_ranks, reverse_host
from prospector.qualify.model import Component
from prospector.store import Store, open_db
from prospector.web.extract import extract
from prospector.web.fetch import Fetcher
from prospector.web.urls import host_of, registrable_domain
from tests.authority_api_server import MOZ_PATH, OPR_PATH, AuthorityApiServer, moz_token
from tests.cli_helpers import prospector

CC_HEADER = "#harmonicc_pos\t#harmonicc_val\t#pr_pos\t#pr_val\t#host_rev\t#n_hosts\n"
OPR_HOST = "api.openpagerank.test"
MOZ_HOST = "lsapi.moz.test"


def settings_at(tmp_path: Path, **authority: Any) -> Settings:
    return load_settings(
        None,
        env={},
        overrides={"database": str(tmp_path / "prospector.db"), "authority": authority},
    )


def api_settings(tmp_path: Path, server: AuthorityApiServer, **authority: Any) -> Settings:
    """Settings whose API endpoints reach the local server by host name."""
    return load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "prospector.db"),
            "network": {
                "resolve": {
                    OPR_HOST: f"127.0.0.1:{server.port}",
                    MOZ_HOST: f"127.0.0.1:{server.port}",
                }
            },
            "authority": {
                "open_pagerank_endpoint": f"http://{OPR_HOST}{OPR_PATH}",
                "moz_endpoint": f"http://{MOZ_HOST}{MOZ_PATH}",
                **authority,
            },
        },
    )


def keys(server: AuthorityApiServer) -> dict[str, str]:
    return {"OPEN_PAGERANK_KEY": server.opr_key, "MOZ_API_TOKEN": server.moz_token}


def run_authority(
    settings: Settings, domains: list[str], env: dict[str, str], **kw: Any
) -> dict[str, Component]:
    with open_db(settings.database) as store:
        return asyncio.run(authority_for(settings, store, None, domains, env=env, **kw))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read_all(path: Path) -> tuple[list[tuple[str, int, float | None]], Any]:
    with read_ranks(path) as (stats, rows):
        return list(rows), stats


# -- rank files -----------------------------------------------------------------------------------


def test_tranco_rows_and_bad_lines_by_number(tmp_path: Path) -> None:
    path = write(
        tmp_path / "top.csv",
        "\ufeff1,google.com\n"
        "2,WWW.Example.COM.\n"
        "x,bad-rank.com\n"
        "4,\n"
        "5,not a domain\n"
        "\n"
        "7,a.com,extra\n"
        "0,zero.com\n"
        "9,good.co.uk\r\n"
        "10,localhost\n",
    )
    rows, stats = read_all(path)
    assert rows == [("google.com", 1, None), ("example.com", 2, None), ("good.co.uk", 9, None)]
    assert stats.format == "tranco" and stats.compression == "none"
    assert stats.good == 3 and stats.bad_count == 6
    assert {b.line: b.reason for b in stats.bad} == {
        3: "rank 'x' is not a positive whole number",
        4: "'' is not a domain name",
        5: "'not a domain' is not a domain name",
        7: "expected 'rank,domain'",
        8: "rank '0' is not a positive whole number",
        10: "'localhost' is not a domain name",
    }


def test_tranco_header_line_is_accepted(tmp_path: Path) -> None:
    rows, stats = read_all(write(tmp_path / "t.csv", "rank,domain\n1,a.com\n2,b.org\n"))
    assert rows == [("a.com", 1, None), ("b.org", 2, None)] and stats.bad_count == 0


def test_commoncrawl_reversed_hosts_rank_value_and_bad_lines(tmp_path: Path) -> None:
    assert reverse_host("com.example") == "example.com"
    assert reverse_host("uk.co.bbc") == "bbc.co.uk"
    path = write(
        tmp_path / "cc-main-domain-ranks.txt",
        CC_HEADER + "1\t3.4539534E7\t3\t0.0043\tcom.facebook\t4925\n"
        "2\t3.2E7\t1\t0.0051\tcom.googleapis\t3012\n"
        "3\t3.1E7\t2\t0.0049\n"
        "x\t3.0E7\t9\t0.001\tcom.bad\t1\n"
        "5\tnot-a-number\t9\t0.001\tcom.bad\t1\n"
        "6\t2.9E7\t4\t0.003\tuk.co.bbc\t77\n"
        "7\t2.8E7\t5\t0.002\tbad host\t1\n",
    )
    rows, stats = read_all(path)
    assert stats.format == "commoncrawl"
    assert rows == [
        ("facebook.com", 1, 3.4539534e7),
        ("googleapis.com", 2, 3.2e7),
        ("bbc.co.uk", 6, 2.9e7),
    ]
    assert [b.line for b in stats.bad] == [4, 5, 6, 8]
    assert "6 tab-separated fields" not in stats.bad[0].reason
    assert "4 tab-separated fields, expected 6" in stats.bad[0].reason
    assert "#harmonicc_pos 'x'" in stats.bad[1].reason
    assert "#harmonicc_val 'not-a-number'" in stats.bad[2].reason
    assert "#host_rev 'bad host'" in stats.bad[3].reason


def test_gzip_and_zip_are_read_as_they_are(tmp_path: Path) -> None:
    text = "1,one.com\n2,two.net\n"
    gz = tmp_path / "top-1m.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    packed = tmp_path / "top-1m.csv.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("top-1m.csv", text)
    cc = tmp_path / "ranks.txt.gz"
    cc.write_bytes(gzip.compress((CC_HEADER + "1\t5.0\t1\t0.1\torg.example\t3\n").encode()))
    for path, kind in ((gz, "gzip"), (packed, "zip")):
        rows, stats = read_all(path)
        assert stats.compression == kind
        assert rows == [("one.com", 1, None), ("two.net", 2, None)]
    rows, stats = read_all(cc)
    assert (stats.format, stats.compression, rows) == (
        "commoncrawl",
        "gzip",
        [("example.org", 1, 5.0)],
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("domain,rank\ngoogle.com,1\n", "not a rank list"),
        ("#harmonicc_pos\t#pr_pos\n1\t2\n", "Common Crawl header is"),
        ("1,bad domain\n2,also bad\n", "no usable tranco rows: 2 bad (line 1:"),
    ],
)
def test_unusable_files_are_refused_and_nothing_is_written(
    tmp_path: Path, content: str, message: str
) -> None:
    settings = settings_at(tmp_path)
    import_ranks(settings, write(tmp_path / "old.csv", "1,kept.com\n"))
    with pytest.raises(ImportFormatError, match=re.escape(message)):
        import_ranks(settings, write(tmp_path / "new.csv", content))
    with open_db(settings.database) as store:
        assert store.rank_lists() == {"tranco": 1}  # the earlier list is untouched


def test_a_truncated_gzip_fails_cleanly_and_keeps_the_old_list(tmp_path: Path) -> None:
    settings = settings_at(tmp_path)
    import_ranks(settings, write(tmp_path / "old.csv", "1,kept.com\n"))
    whole = gzip.compress("".join(f"{n},d{n}.com\n" for n in range(1, 50_001)).encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImportFormatError, match="cannot read: Compressed file ended"):
        import_ranks(settings, cut)
    with open_db(settings.database) as store:
        assert store.rank_lists() == {"tranco": 1}
        assert [run["status"] for run in store.db["runs"].rows] == ["ok", "failed"]


def test_reimport_replaces_the_list_and_lists_coexist(tmp_path: Path) -> None:
    settings = settings_at(tmp_path)
    first = import_ranks(settings, write(tmp_path / "a.csv", "1,a.com\n2,b.com\n3,c.com\n"))
    assert (first.list_name, first.imported, first.replaced) == ("tranco", 3, 0)
    again = import_ranks(settings, write(tmp_path / "b.csv", "1,b.com\n2,d.com\n2,d.com\n"))
    assert (again.imported, again.replaced, again.duplicates) == (2, 3, 1)
    cc = import_ranks(
        settings,
        write(tmp_path / "c.txt", CC_HEADER + "7\t1.5\t1\t0.1\tcom.a\t1\n"),
        "cc-2024",
    )
    assert (cc.list_name, cc.format) == ("cc-2024", "commoncrawl")
    with open_db(settings.database) as store:
        assert store.rank_lists() == {"cc-2024": 1, "tranco": 2}
        found = store.ranks_for(["a.com", "b.com", "c.com"])
        assert set(found) == {"a.com", "b.com"}  # c.com left with the replaced list
        assert [(r.list, r.rank, r.value) for r in found["a.com"]] == [("cc-2024", 7, 1.5)]


def test_rank_score_is_log_scaled() -> None:
    assert rank_score(1) == 100
    assert rank_score(1_000) == pytest.approx(55)
    assert rank_score(1_000_000) == pytest.approx(10)
    assert rank_score(100_000_000) == 0
    assert rank_score(10) > rank_score(11) > rank_score(100_000)


def test_ranks_provider_takes_the_best_rank_among_lists(tmp_path: Path) -> None:
    settings = settings_at(tmp_path, providers=["ranks"])
    import_ranks(settings, write(tmp_path / "t.csv", "10,example.com\n1000,other.org\n"))
    import_ranks(settings, write(tmp_path / "c.txt", CC_HEADER + "3\t9.5\t1\t1\tcom.example\t2\n"))
    got = run_authority(
        settings, ["example.com", "blog.other.org", "www.Other.org", "nope.net"], {}
    )
    best = got["example.com"]
    assert best.score == pytest.approx(rank_score(3), abs=0.01)
    assert best.evidence["provider"] == "ranks" and best.evidence["raw"] == 3
    assert best.evidence["all"]["ranks"]["list"] == "commoncrawl"
    assert best.evidence["all"]["ranks"]["lists"] == {"commoncrawl": 3, "tranco": 10}
    assert "rank 3 in the commoncrawl list" in best.reasons[0]
    assert got["blog.other.org"].evidence["all"]["ranks"]["matched"] == "other.org"
    assert got["www.Other.org"].score == pytest.approx(55)
    assert got["nope.net"].score == 0 and got["nope.net"].reasons == (NO_ANSWER,)
    assert got["nope.net"].evidence["provider"] is None


def test_cli_imports_a_million_tranco_rows(tmp_path: Path) -> None:
    path = tmp_path / "top-1m.csv"
    with path.open("w", encoding="utf-8") as out:
        out.writelines(f"{n},site{n}-{n * 7919 % 1000003:x}.com\n" for n in range(1, 1_000_001))
    started = time.perf_counter()
    result = prospector("import", "ranks", str(path), "--json", cwd=tmp_path, timeout=240)
    wall = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["imported"] == 1_000_000 and report["bad_lines"] == 0
    assert report["list"] == "tranco"
    sys.stderr.write(
        f"\n1,000,000 Tranco rows: import {report['seconds']:.2f}s, command {wall:.2f}s\n"
    )
    with open_db(tmp_path / "prospector.db") as store:
        assert store.rank_lists() == {"tranco": 1_000_000}
        assert store.ranks_for(["site500000-" + f"{500000 * 7919 % 1000003:x}.com"])


def test_cli_reports_bad_lines_by_number_and_the_list_name(tmp_path: Path) -> None:
    lines = ["1,good.com"] + [f"{n},bad domain {n}" for n in range(2, 10)] + ["10,fine.org"]
    path = write(tmp_path / "ranks.csv", "\n".join(lines) + "\n")
    result = prospector("import", "ranks", str(path), "--list", "mylist", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "tranco ranks -> list 'mylist'" in out
    assert "rows: 2 imported, 8 bad lines" in out
    assert "line 2: 'bad domain 2' is not a domain name" in out
    assert "... and 3 more bad lines" in out
    assert "time: " in out
    again = prospector("import", "ranks", str(path), "--list", "mylist", cwd=tmp_path)
    assert "(replacing 2)" in again.stdout
    bad = prospector("import", "ranks", str(write(tmp_path / "x.csv", "hello\n")), cwd=tmp_path)
    assert bad.returncode == 2 and "not a rank list" in bad.stderr + bad.stdout


# -- API providers --------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[AuthorityApiServer]:
    with AuthorityApiServer(
        opr={f"d{n}.com": n / 20 for n in range(1, 201)} | {"popular.com": 7.45},
        moz={"popular.com": 71, "mid.org": 35},
    ) as api:
        yield api


def test_open_pagerank_batches_of_100_and_scales_by_ten(
    tmp_path: Path, server: AuthorityApiServer
) -> None:
    settings = api_settings(tmp_path, server, providers=["open_pagerank"])
    domains = [f"d{n}.com" for n in range(1, 151)] + ["unknown.net"]
    got = run_authority(settings, domains, keys(server))
    hits = server.routed(OPR_PATH)
    assert [len(hit.query["domains[]"]) for hit in hits] == [100, 51]
    assert got["d40.com"].score == pytest.approx(20.0)  # page_rank_decimal 2.0 x 10
    assert got["d40.com"].evidence["provider"] == "open_pagerank"
    assert got["d40.com"].evidence["raw"]["page_rank_decimal"] == 2.0
    assert got["d40.com"].reasons[0].startswith("Open PageRank 2/10")
    assert got["unknown.net"].reasons == (NO_ANSWER,)
    assert got["unknown.net"].evidence["all"]["open_pagerank"]["known"] is False


def test_key_travels_only_in_the_header_and_only_from_the_env_var(
    tmp_path: Path, server: AuthorityApiServer
) -> None:
    settings = api_settings(
        tmp_path,
        server,
        providers=["open_pagerank", "moz"],
        combine="weighted",
        open_pagerank_key_env="MY_OPR_KEY",
        moz_token_env="MY_MOZ",
    )
    env = {"MY_OPR_KEY": server.opr_key, "MY_MOZ": server.moz_token}
    got = run_authority(settings, ["popular.com"], env)
    assert got["popular.com"].evidence["provider"] == "weighted"
    opr, moz = server.routed(OPR_PATH)[0], server.routed(MOZ_PATH)[0]
    assert opr.headers["api-opr"] == server.opr_key
    assert moz.headers["authorization"] == f"Basic {server.moz_token}"
    for hit in (opr, moz):
        assert server.opr_key not in hit.path and server.moz_token not in hit.path
        assert server.opr_key.encode() not in hit.body and server.moz_token.encode() not in hit.body
    assert "api-opr" not in moz.headers and "authorization" not in opr.headers
    # the usual variable names are not read when the config names others
    skipped = run_authority(
        api_settings(
            tmp_path / "b", server, providers=["open_pagerank"], open_pagerank_key_env="MY_OPR_KEY"
        ),
        ["d1.com"],
        {"OPEN_PAGERANK_KEY": server.opr_key},
    )
    assert skipped["d1.com"].evidence["all"]["open_pagerank"] == {
        "skipped": "$MY_OPR_KEY is not set"
    }
    assert len(server.routed(OPR_PATH)) == 1
    with pytest.raises(ConfigError):  # a key cannot be put in the config itself
        load_settings(None, env={}, overrides={"authority": {"open_pagerank_key": "k"}})


def test_no_key_skips_the_provider_with_a_reason_and_sends_nothing(
    tmp_path: Path, server: AuthorityApiServer
) -> None:
    settings = api_settings(tmp_path, server, providers=["open_pagerank", "moz", "ranks"])
    got = run_authority(settings, ["popular.com"], {})
    every = got["popular.com"].evidence["all"]
    assert every["open_pagerank"] == {"skipped": "$OPEN_PAGERANK_KEY is not set"}
    assert every["moz"] == {"skipped": "$MOZ_API_TOKEN is not set"}
    assert "no rank list imported" in every["ranks"]["skipped"]
    assert got["popular.com"].score == 0 and server.hits == []


def test_moz_answers_domain_authority_with_spam_score(
    tmp_path: Path, server: AuthorityApiServer
) -> None:
    settings = api_settings(tmp_path, server, providers=["moz"])
    got = run_authority(settings, ["popular.com", "mid.org", "ghost.io"], keys(server))
    (hit,) = server.routed(MOZ_PATH)
    assert hit.method == "POST"
    assert json.loads(hit.body) == {"targets": ["ghost.io", "mid.org", "popular.com"]}
    assert got["popular.com"].score == 71
    every = got["popular.com"].evidence["all"]["moz"]
    assert every["spam_score"] == 3 and every["page_authority"] == 64
    assert every["linking_root_domains"] == 71 * 7
    assert got["popular.com"].evidence["raw"] == {
        "domain_authority": 71,
        "page_authority": 64,
        "spam_score": 3,
    }
    assert got["mid.org"].score == 35
    assert got["ghost.io"].reasons == (NO_ANSWER,)


def test_moz_access_id_and_secret_are_encoded_for_basic_auth(
    tmp_path: Path, server: AuthorityApiServer
) -> None:
    settings = api_settings(tmp_path, server, providers=["moz"])
    got = run_authority(settings, ["mid.org"], {"MOZ_API_TOKEN": "mozscape-test:s3cret"})
    assert got["mid.org"].score == 35
    assert server.routed(MOZ_PATH)[0].headers["authorization"] == f"Basic {moz_token()}"


@pytest.mark.parametrize("route", ["opr", "moz"])
@pytest.mark.parametrize(
    ("fault", "kind", "words"),
    [
        ("401", AuthorityAuthError, "rejected the key in $"),
        ("403", AuthorityAuthError, "(HTTP 403"),
        ("429", AuthorityQuotaError, "retry after 120s"),
        ("malformed", AuthorityError, "not JSON"),
        ("500", AuthorityError, "answered HTTP 500"),
    ],
)
def test_api_errors_are_clear(
    tmp_path: Path,
    server: AuthorityApiServer,
    route: str,
    fault: str,
    kind: type[AuthorityError],
    words: str,
) -> None:
    server.faults[route] = fault
    settings = api_settings(tmp_path, server)
    conf = settings.authority

    async def ask() -> None:
        async with api_client(settings) as client:
            provider = (
                OpenPageRankProvider(
                    lambda: client, conf.open_pagerank_endpoint, "OPEN_PAGERANK_KEY", server.opr_key
                )
                if route == "opr"
                else MozProvider(
                    lambda: client, conf.moz_endpoint, "MOZ_API_TOKEN", server.moz_token
                )
            )
            await provider.authority(["popular.com"])

    with pytest.raises(kind) as caught:
        asyncio.run(ask())
    assert type(caught.value) is kind
    assert words in str(caught.value)
    if fault == "429":
        assert isinstance(caught.value, AuthorityQuotaError) and caught.value.reset_s == 120
    if fault in ("401", "403"):
        assert caught.value.exit_code == 2 and caught.value.stops_provider


@pytest.mark.parametrize("fault", ["401", "429", "malformed", "500"])
def test_a_failing_provider_is_recorded_and_the_next_one_answers(
    tmp_path: Path, server: AuthorityApiServer, fault: str
) -> None:
    settings = api_settings(tmp_path, server, providers=["open_pagerank", "moz"])
    server.faults["opr"] = fault
    domains = ["popular.com"] + [f"x{n}.com" for n in range(150)]
    got = run_authority(settings, domains, keys(server))
    popular = got["popular.com"]
    assert popular.evidence["provider"] == "moz" and popular.score == 71
    error = popular.evidence["all"]["open_pagerank"]["error"]
    assert any(r.startswith("open_pagerank failed:") for r in popular.reasons)
    stops = fault in ("401", "429")
    # a bad key or a quota stops the provider: the second batch is never sent
    assert len(server.routed(OPR_PATH)) == (1 if stops else 2)
    assert error  # a clear message, recorded per domain
    not_asked = [
        d
        for d, c in got.items()
        if c.evidence["all"]["open_pagerank"]["error"].startswith("not asked")
    ]
    assert len(not_asked) == (51 if stops else 0)
    # failures are not cached: the next run asks again
    server.faults.clear()
    again = run_authority(settings, ["popular.com"], keys(server))
    assert again["popular.com"].evidence["provider"] == "open_pagerank"


def test_answers_are_cached_for_cache_days(tmp_path: Path, server: AuthorityApiServer) -> None:
    settings = api_settings(tmp_path, server, providers=["open_pagerank", "moz"], cache_days=30)
    domains = ["popular.com", "mid.org", "nobody.example"]
    first = run_authority(settings, domains, keys(server))
    assert len(server.hits) == 2  # mid.org and nobody.example were asked of Moz too
    assert not first["popular.com"].evidence["all"]["open_pagerank"]["cached"]
    second = run_authority(settings, domains, keys(server))
    assert len(server.hits) == 2  # nothing asked again, unknown domains included
    for domain in domains:
        assert second[domain].score == first[domain].score
        assert second[domain].reasons == first[domain].reasons
    assert second["popular.com"].evidence["all"]["open_pagerank"]["cached"] is True
    assert second["mid.org"].evidence["provider"] == "moz"
    assert second["mid.org"].evidence["all"]["moz"]["cached"] is True
    later = datetime.now(UTC) + timedelta(days=31)
    run_authority(settings, domains, keys(server), now=later)
    assert len(server.hits) == 4  # expired: asked again
    with open_db(settings.database) as store:
        rows = {row.provider: row for row in store.authority_rows("popular.com")}
    assert rows["open_pagerank"].score == pytest.approx(74.5)
    assert rows["open_pagerank"].raw["page_rank_decimal"] == 7.45
    uncached = api_settings(tmp_path / "u", server, providers=["moz"], cache_days=0)
    run_authority(uncached, ["mid.org"], keys(server))
    run_authority(uncached, ["mid.org"], keys(server))
    assert len(server.hits) == 6


def test_first_versus_weighted(tmp_path: Path, server: AuthorityApiServer) -> None:
    ranks_file = write(tmp_path / "t.csv", "1000,popular.com\n")
    first = api_settings(tmp_path, server, providers=["ranks", "moz", "open_pagerank"])
    import_ranks(first, ranks_file)
    got = run_authority(first, ["popular.com", "mid.org"], keys(server))
    assert got["popular.com"].evidence["provider"] == "ranks"
    assert got["popular.com"].score == pytest.approx(55)
    assert got["mid.org"].evidence["provider"] == "moz"  # not ranked: the next provider
    # 'first' asks later providers only about the domains still unanswered
    assert json.loads(server.routed(MOZ_PATH)[0].body) == {"targets": ["mid.org"]}
    assert server.routed(OPR_PATH) == []
    weighted = api_settings(
        tmp_path,
        server,
        providers=["ranks", "moz", "open_pagerank"],
        combine="weighted",
        weights={"ranks": 1, "moz": 3, "open_pagerank": 0},
        cache_days=0,
    )
    got = run_authority(weighted, ["popular.com"], keys(server))
    popular = got["popular.com"]
    assert popular.score == pytest.approx((55 * 1 + 71 * 3) / 4)
    assert popular.evidence["provider"] == "weighted"
    assert popular.evidence["raw"]["ranks"] == 1000 and popular.evidence["weights"] == {
        "ranks": 1,
        "moz": 3,
    }
    assert popular.evidence["all"]["open_pagerank"] == {"skipped": "weight 0 in authority.weights"}
    assert server.routed(OPR_PATH) == []
    assert popular.reasons[0].startswith("weighted mean of ranks 55 (x1), moz 71 (x3)")


def test_domains_are_keyed_as_given_and_normalised_for_providers(tmp_path: Path) -> None:
    settings = settings_at(tmp_path, providers=["ranks"])
    import_ranks(settings, write(tmp_path / "t.csv", "1,example.com\n"))
    got = run_authority(settings, ["Example.COM", "https://www.example.com/page", ""], {})
    assert set(got) == {"Example.COM", "https://www.example.com/page", ""}
    assert got["Example.COM"].score == 100 == got["https://www.example.com/page"].score
    assert got[""].score == 0


# -- the crawled link graph -----------------------------------------------------------------------


def page(url: str, *links: tuple[str, str], rel: tuple[str, ...] = ()) -> PageSnapshot:
    """A stored page with links (href, placement)."""
    host = host_of(url)
    return PageSnapshot(
        url=url,
        final_url=url,
        http_status=200,
        title=url,
        links=tuple(
            Link(href, "anchor", rel, placement, True, host_of(href) == host)
            for href, placement in links
        ),
    )


def test_link_graph_ranks_a_widely_linked_domain_above_a_rarely_linked_one(
    tmp_path: Path,
) -> None:
    settings = settings_at(tmp_path, providers=["link_graph"])
    with open_db(settings.database) as store:
        for n in range(12):
            links = [("https://popular.example/guide", "content")]
            if n == 0:
                links.append(("https://rare.example/", "footer"))
            if n < 3:
                links.append(("https://nofollowed.example/", "content"))
            store.save_page(page(f"https://site{n}.example/post", *links))
        store.save_page(
            page("https://site0.example/other", ("https://nofollowed.example/x", "content"))
        )
        store.save_page(
            page("https://ugc.example/", ("https://nofollowed.example/", "content"), rel=("ugc",))
        )
        store.save_page(page("https://rare.example/", ("https://popular.example/", "content")))
        store.save_page(  # a hidden link passes nothing
            PageSnapshot(
                "https://hider.example/",
                "https://hider.example/",
                200,
                "h",
                links=(Link("https://hidden.example/", "x", (), "content", False),),
            )
        )
        store.save_page(  # subdomains are one site: no self-votes
            page("https://blog.popular.example/", ("https://www.popular.example/", "content"))
        )
    got = run_authority(
        settings,
        [
            "popular.example",
            "rare.example",
            "hidden.example",
            "site5.example",
            "nofollowed.example",
        ],
        {},
    )
    popular, rare = got["popular.example"], got["rare.example"]
    assert popular.score > got["nofollowed.example"].score > rare.score > 0
    assert popular.evidence["provider"] == "link_graph"
    detail = popular.evidence["all"]["link_graph"]
    assert detail["referring_domains"] == 13 and detail["pagerank"] > 0
    assert popular.evidence["raw"]["referring_domains"] == 13
    assert "linked from 13 crawled domains" in popular.reasons[0]
    assert rare.evidence["raw"]["referring_domains"] == 1
    assert got["hidden.example"].reasons == (NO_ANSWER,)
    assert got["site5.example"].reasons == (NO_ANSWER,)  # crawled, but nobody links to it


def test_pagerank_vote_floor_keeps_a_ring_below_broadly_linked_sites() -> None:
    links = []
    web = [f"w{n}.example" for n in range(30)]
    for n, source in enumerate(web):  # an independent web: each site links to the next 12
        for k in range(1, 13):
            links.append((source, f"https://{web[(n + k) % 30]}/", "content", "", 1))
    ring = [f"pbn{n}.example" for n in range(4)]
    for source in ring:  # a closed ring feeding a money site, which links back
        for target in [*ring, "money.example"]:
            if target != source:
                links.append((source, f"https://{target}/", "content", "", 1))
    links.append(("money.example", "https://pbn0.example/", "content", "", 1))
    links.append(("w0.example", "https://money.example/", "comments", "ugc", 1))
    graph = build_graph(links)
    plain = pagerank(graph, floor=1)
    floored = pagerank(graph)
    assert sum(plain.values()) == pytest.approx(1.0) == sum(floored.values())
    # plain PageRank is fooled: the ring outranks sites twelve independent domains link to
    assert max(plain[d] for d in ring) > min(plain[d] for d in web)
    assert min(floored[d] for d in web) > 4 * max(floored[d] for d in [*ring, "money.example"])


def _truth_graph(world: World) -> dict[str, set[str]]:
    """Referring domains per domain in the demo world's ground truth (visible links)."""
    referring: dict[str, set[str]] = defaultdict(set)
    for site, pg in world.pages():
        source = registrable_domain(site.host)
        for link in pg.links:
            try:
                host = urlsplit(link.href).hostname
            except ValueError:
                continue
            if host and link.visible and registrable_domain(host) != source:
                referring[registrable_domain(host)].add(source)
    return referring


def _assert_spam_below_legitimate(world: World, store: Store) -> None:
    kinds = {registrable_domain(s.host): s.kind for s in world.sites()}
    kinds |= {registrable_domain(host): "filler" for host in world.filler_hosts()}
    referring = _truth_graph(world)
    legitimate = [
        d
        for d, kind in kinds.items()
        if kind in ("blog", "resource_site") and len(referring[d]) >= 10
    ]
    spammy = [d for d, kind in kinds.items() if kind in ("link_farm", "spam", "pbn", "filler")]
    assert len(legitimate) >= 15 and len(spammy) >= 300
    settings = load_settings(None, env={}, overrides={"authority": {"providers": ["link_graph"]}})
    got = asyncio.run(authority_for(settings, store, None, legitimate + spammy, env={}))
    worst_legit = min(legitimate, key=lambda d: got[d].score)
    best_spam = max(spammy, key=lambda d: got[d].score)
    assert got[worst_legit].score > got[best_spam].score + 10, (worst_legit, best_spam)
    for farm in ("bestlinkhub.example", "webdirectory-pro.example"):
        assert got[farm].score == 0  # nothing links to a link farm


def test_demo_world_truth_link_farms_and_spam_do_not_outrank_legitimate_sites(
    tmp_path: Path,
) -> None:
    world = default_world()
    with open_db(tmp_path / "truth.db") as store:
        for site, pg in world.pages():
            links = tuple(
                Link(lk.href, lk.anchor, lk.rel, lk.placement, lk.visible, False)
                for lk in pg.links
                if not lk.href.startswith(site.url("/"))
            )
            url = site.url(pg.path)
            store.save_page(PageSnapshot(url, url, 200, pg.title, links=links))
        _assert_spam_below_legitimate(world, store)


@pytest.mark.integration
def test_demo_web_crawled_and_extracted_spam_does_not_outrank_legitimate_sites(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    settings = load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "demo.db"),
            "network": {"resolve": demo_web.resolve_map(), "ca_bundle": str(demo_web.ca_pem_path)},
            "fetch": {
                "timeout_s": 5.0,
                "connect_timeout_s": 3.0,
                "min_host_gap_s": 0.0,
                "per_host_concurrency": 8,
                "retries": 0,
            },
        },
    )
    world = demo_web.world
    urls = [site.url(pg.path) for site, pg in world.pages() if pg.kind != "parked"]

    async def crawl(store: Store) -> int:
        limit = asyncio.Semaphore(64)
        saved = 0
        async with Fetcher(settings) as fetcher:

            async def one(url: str) -> None:
                nonlocal saved
                async with limit:
                    got = await fetcher.fetch(url)
                if got.error or got.status != 200 or not got.is_html:
                    return
                extraction = extract(got.text(), got.final_url, got.headers)
                host = host_of(got.final_url)
                links = tuple(
                    Link(
                        lk.href,
                        lk.anchor,
                        lk.rel,
                        lk.placement,
                        lk.visible,
                        host_of(lk.href) == host,
                    )
                    for lk in extraction.links
                )
                store.save_page(
                    PageSnapshot(url, got.final_url, got.status, extraction.title, links=links)
                )
                saved += 1

            await asyncio.gather(*(one(url) for url in urls))
        return saved

    with open_db(settings.database) as store:
        assert asyncio.run(crawl(store)) > 500
        _assert_spam_below_legitimate(world, store)


def test_link_graph_is_skipped_before_anything_is_crawled(tmp_path: Path) -> None:
    settings = settings_at(tmp_path, providers=["link_graph"])
    got = run_authority(settings, ["a.example"], {})
    assert got["a.example"].evidence["all"]["link_graph"] == {
        "skipped": "no crawled page links to another domain yet"
    }
    with open_db(settings.database) as store:
        assert asyncio.run(LinkGraphProvider(store).authority(["a.example"])) == {"a.example": None}
