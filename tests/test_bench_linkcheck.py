"""The link-checking benchmark's pure parts: URL sets, peers' outputs mapped to verdicts,
accuracy, the RESULTS.md section and the /etc/hosts block — no peer installed, no server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bench.linkcheck.hosts import BEGIN, END, hosts_block, render_block, strip_block
from bench.linkcheck.measure import run_measured
from bench.linkcheck.peers import PeerPaths, Politeness, linkchecker_config, lychee_command
from bench.linkcheck.report import HEADING, Report, ToolResult, render_section, write_section
from bench.linkcheck.run import hosts_entries
from bench.linkcheck.urlset import (
    DEAD_EVERY,
    Case,
    fqdn,
    links_page,
    load_expectation,
    load_urls,
    per_host_pages,
    tricky_cases,
)
from bench.linkcheck.verdicts import (
    Answer,
    match_key,
    parse_linkchecker,
    parse_linkinator,
    parse_lychee,
    parse_ours,
    score,
    summarise_wrong,
)
from prospector.demo.world import default_world

# --- URL sets -----------------------------------------------------------------------------------


def test_the_load_set_is_unique_spread_over_every_host_and_reproducible() -> None:
    urls = load_urls(1000, 50)
    assert len(urls) == len(set(urls)) == 1000
    hosts = {u.split("/")[2] for u in urls}
    assert hosts == {f"h{n}.bench.example" for n in range(50)}
    assert sum(1 for u in urls if "/gone/" in u) == 1000 // DEAD_EVERY
    assert len({u.split("/")[2] for u in urls if "/gone/" in u}) == 50  # one per host
    assert load_urls(1000, 50) == urls  # seeded
    assert urls != sorted(urls)  # hosts interleave
    assert per_host_pages(1000, 50) == 20 and per_host_pages(1001, 50) == 21
    assert max(int(u.rsplit("/", 1)[1]) for u in urls) < per_host_pages(1000, 50)
    assert load_expectation("https://h1.bench.example/p/3").expected_verdict == "live"
    assert load_expectation("https://h1.bench.example/gone/3").expected_status == "not_found"


def test_the_load_set_exists_on_the_bench_family() -> None:
    from prospector.demo.family import BenchFamily

    family = BenchFamily(size=5, pages=per_host_pages(100, 5))
    for url in load_urls(100, 5):
        host, path = url.split("/")[2], "/" + url.split("/", 3)[3]
        site = family.site(host)
        assert site is not None
        assert (path in site.pages) == path.startswith("/p/")


def test_tricky_cases_hold_every_non_ok_link_and_a_sample_of_ok_ones() -> None:
    truth = default_world().truth()
    cases = tricky_cases(truth, ok_sample=10)
    statuses = {c.expected_status for c in cases}
    assert {"blocked", "rate_limited", "soft_404", "parked", "robots_disallowed"} <= statuses
    assert sum(1 for c in cases if c.expected_status == "ok") == 10
    assert len({c.url for c in cases}) == len(cases)
    assert tricky_cases(truth, ok_sample=10) == cases
    robots = [c for c in cases if c.expected_status == "robots_disallowed"]
    assert robots and all(c.expected_verdict == "skipped" for c in robots)
    unsafe = [c.url for c in cases if not c.peer_safe]
    assert "http://10.0.0.5/garden-cam/" in unsafe
    assert all(c.expected_status == "forbidden_address" for c in cases if not c.peer_safe)


def test_fully_qualified_hosts_for_lychee() -> None:
    assert fqdn("https://a.example/x?q=1#f") == "https://a.example./x?q=1#f"
    assert fqdn("https://A.example:8443/") == "https://A.example.:8443/"
    assert fqdn("https://a.example./x") == "https://a.example./x"
    assert fqdn("http://10.0.0.5/x") == "http://10.0.0.5/x"
    assert fqdn("http://[compost]/bins") == "http://[compost]/bins"
    assert match_key(fqdn("https://A.Example/x#top")) == match_key("https://a.example/x")


def test_the_links_page_escapes_hrefs() -> None:
    page = links_page(['https://a.example/?a=1&b="2"', "https://bad host.example/"])
    assert 'href="https://a.example/?a=1&amp;b=&quot;2&quot;"' in page
    assert 'href="https://bad host.example/"' in page


# --- peers' outputs -----------------------------------------------------------------------------

LYCHEE_JSON = {
    "total": 7,
    "success_map": {"links.html": [{"url": "https://a.example./ok", "status": {"text": "200 OK"}}]},
    "redirect_map": {
        "links.html": [{"url": "https://a.example./moved", "status": {"text": "Redirect"}}]
    },
    "error_map": {
        "links.html": [
            {"url": "https://a.example./gone", "status": {"text": "Rejected status code: 404"}},
            {"url": "https://b.example./wall", "status": {"text": "Rejected status code: 403"}},
            {
                "url": "error:",
                "status": {
                    "text": 'Error building URL for "http://[compost]/bins" (Attribute: '
                    "Some(\"href\")): Cannot parse 'http://[compost]/bins' into a URL",
                    "details": "invalid IPv6 address",
                },
            },
        ]
    },
    "timeout_map": {"links.html": [{"url": "https://c.example./slow", "status": "Timeout"}]},
    "excluded_map": {"links.html": [{"url": "https://d.example./x", "status": {"text": "Ex"}}]},
}


def test_lychee_output_to_verdicts() -> None:
    answers = parse_lychee(json.dumps(LYCHEE_JSON))
    cases = {
        "https://a.example/ok": "live",
        "https://a.example/moved": "live",
        "https://a.example/gone": "dead",
        "https://b.example/wall": "dead",  # a bot wall reported broken: wrong, as scored
        "http://[compost]/bins": "dead",
        "https://c.example/slow": "inconclusive",
        "https://d.example/x": "skipped",
    }
    got = {url: score([Case(url, v, "x")], answers).right for url, v in cases.items()}
    assert all(got.values()), got


def test_linkinator_output_to_verdicts() -> None:
    text = json.dumps(
        {
            "links": [
                {"url": "links.html", "status": 200, "state": "OK"},
                {"url": "https://a.example/ok", "status": 200, "state": "OK"},
                {"url": "https://a.example/gone", "status": 404, "state": "BROKEN"},
                {"url": "https://l.example/in/x", "status": 999, "state": "SKIPPED"},
                {"url": "mailto:x@y.example", "status": 0, "state": "SKIPPED"},
                {"url": "https://s.example/swaps", "status": 429, "state": "BROKEN"},
            ],
            "passed": False,
        }
    )
    answers = parse_linkinator(text)
    assert answers["https://a.example/ok"].verdict == "live"
    assert answers["https://a.example/gone"].verdict == "dead"
    assert answers["https://l.example/in/x"].verdict == "inconclusive"
    assert answers["mailto:x@y.example"].verdict == "skipped"
    assert answers["https://s.example/swaps"].verdict == "dead"


LINKCHECKER_CSV = """# created by LinkChecker at 2026-01-01 00:00:00+000
urlname;parentname;base;result;warningstring;infostring;valid;url;line;column;name;dltime;size;checktime;cached;level;modified
file:///w/links.html;;;;;;True;file:///w/links.html;links.html;-1;892;0.0;0;0;
https://a.example/ok;file:///w/links.html;;200 OK;;;True;https://a.example/ok;2;1;a;-1;-1;0.1;0;1;
https://a.example/gone;file:///w/links.html;;404 Not Found;;;False;https://a.example/gone;3;1;a;-1;-1;0.1;0;1;
https://s.example/swaps;file:///w/links.html;;429 Too Many Requests;Rate limited (Retry-After: 120);;True;https://s.example/swaps;4;1;a;-1;-1;0.1;0;1;
https://r.example/blog/;file:///w/links.html;;syntax OK;;Access denied by robots.txt, checked only syntax.;True;https://r.example/blog/;5;1;a;-1;-1;0.1;0;1;
http://[compost]/bins;file:///w/links.html;;'compost' does not appear to be an IPv4 or IPv6 address;;The URL is outside of the domain filter, checked only syntax.;False;;6;1;a;-1;-1;0;0;1;
https://m.example/x;file:///w/links.html;;200 OK;"Redirected to `https://m.example/y' status: 301.
Redirected to `https://m.example/z' status: 302.";;True;https://m.example/z;7;1;a;-1;-1;0.1;0;1;
# Stopped checking at 2026-01-01 00:00:06+000 (6 seconds)
"""


def test_linkchecker_output_to_verdicts() -> None:
    answers = parse_linkchecker(LINKCHECKER_CSV)
    assert not any(u.startswith("file:") for u in answers)
    assert {u: a.verdict for u, a in answers.items()} == {
        "https://a.example/ok": "live",
        "https://a.example/gone": "dead",
        "https://s.example/swaps": "inconclusive",
        "https://r.example/blog/": "skipped",
        "http://[compost]/bins": "dead",
        "https://m.example/x": "live",
    }


def test_our_output_and_the_accuracy_computation() -> None:
    ours = parse_ours(
        json.dumps(
            [
                {"url": "https://a.example/", "verdict": "live", "status": "ok", "detail": "200"},
                {"url": "https://b.example/w", "verdict": "inconclusive", "status": "blocked"},
                {"url": "https://c.example/", "verdict": "dead", "status": "parked"},
            ]
        )
    )
    cases = [
        Case("https://a.example/", "live", "ok"),
        Case("https://b.example/w", "inconclusive", "blocked"),
        Case("https://c.example/", "dead", "soft_404"),  # right verdict, other status
        Case("https://e.example/", "dead", "not_found"),  # missing from the output
        Case("http://10.0.0.5/", "skipped", "forbidden_address"),
    ]
    result = score(cases, ours)
    assert (result.run, result.right, result.status_right) == (5, 3, 2)
    assert result.accuracy == pytest.approx(0.6)
    assert [c.url for c, _ in result.wrong] == ["https://e.example/", "http://10.0.0.5/"]
    assert result.wrong[0][1].verdict == "missing"
    peer = score(cases, ours, guarded=False)
    assert peer.run == 4 and peer.not_run == ["http://10.0.0.5/"]
    lines = summarise_wrong([(cases[3], Answer("live", "200 OK")), (cases[3], Answer("live"))])
    assert lines == ["not_found (dead) reported live: 2 — e.g. https://e.example/ (200 OK)"]


# --- report, hosts, commands --------------------------------------------------------------------


def _report() -> Report:
    ours = ToolResult("prospector", wall_s=40.0, rss_mb=100.0, cpu_s=20.0, requests=11000)
    ours.tricky = score([Case("https://a.example/", "live", "ok")], {})
    lychee = ToolResult("lychee", wall_s=50.0, rss_mb=50.0, cpu_s=5.0, requests=10000)
    stopped = ToolResult("linkchecker", wall_s=100.0, requests=600, answered=500, timed_out=True)
    return Report(
        command="python -m bench.linkcheck.run",
        machine=["2 cores"],
        urls=10_000,
        hosts=500,
        latency_ms=100,
        politeness=Politeness(),
        tricky_politeness=Politeness(timeout_s=10.0, retries=0),
        tricky_cases=1,
        tricky_not_ok=0,
        ok_sample=1,
        results=[ours, lychee, stopped],
        resolution=["via /etc/hosts"],
    )


def test_the_section_and_its_targets() -> None:
    section = render_section(_report())
    assert section.startswith(HEADING + "\n")
    assert "| Prospector | 40.0 | 250.0 | 20.0 | 100.0 | 11000 | 1.00x |" in section
    assert "| lychee | 50.0 | 200.0 | 5.0 | 50.0 | 10000 | 1.25x | 0.80x | 0.50x |" in section
    assert "1.25x, met" in section  # 250/200 URLs/s against a target of 0.8x
    assert "| LinkChecker | 100.0 | 5.0 |" in section  # URLs/s over the URLs it answered
    assert "50.00x, met" in section


def test_writing_the_section_leaves_other_sections_alone(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    write_section(results, HEADING + "\n\nfirst\n")
    assert results.read_text().startswith("# Benchmark results\n")
    text = results.read_text() + "\n## Placement\n\nplacement figures\n"
    results.write_text(text)
    write_section(results, HEADING + "\n\nsecond\n")
    new = results.read_text()
    assert "second" in new and "first" not in new
    assert new.endswith("## Placement\n\nplacement figures\n")
    results.write_text("# Benchmark results\n\n## Placement\n\nx\n")
    write_section(results, HEADING + "\n\nthird\n")
    assert results.read_text() == "# Benchmark results\n\n## Placement\n\nx\n\n" + (
        HEADING + "\n\nthird\n"
    )


def test_the_hosts_block_is_marked_and_always_removed(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    original = "127.0.0.1 localhost\n"
    hosts.write_text(original)
    with hosts_block([("127.0.0.1", "a.example a.example.")], hosts):
        text = hosts.read_text()
        assert text.startswith(original) and BEGIN in text and END in text
        assert "127.0.0.1 a.example a.example.\n" in text
    assert hosts.read_text() == original
    with pytest.raises(RuntimeError), hosts_block([("127.0.0.1", "b.example")], hosts):
        raise RuntimeError("boom")
    assert hosts.read_text() == original
    stale = original + render_block([("127.0.0.1", "old.example")])
    assert strip_block(stale) == original


def test_hosts_entries_cover_every_host_and_leave_nxdomain_out() -> None:
    info = {
        "fixed_hosts": ["a.example"],
        "family_hosts": 2,
        "refused_hosts": ["shut.example"],
        "nxdomain_hosts": ["gone.example"],
    }
    entries = hosts_entries(info)
    assert ("127.0.0.1", "a.example a.example.") in entries
    assert ("127.0.0.1", "h1.bench.example h1.bench.example.") in entries
    assert ("127.0.0.2", "shut.example shut.example.") in entries
    assert not any("gone.example" in names for _, names in entries)


def test_peer_commands_carry_the_politeness_settings(tmp_path: Path) -> None:
    polite = Politeness(global_concurrency=8, per_host_concurrency=1, min_host_gap_s=0.5)
    cmd = lychee_command(PeerPaths(tmp_path), tmp_path / "p.html", tmp_path / "o.json", polite)
    assert cmd[cmd.index("--max-concurrency") + 1] == "8"
    assert cmd[cmd.index("--host-concurrency") + 1] == "1"
    assert cmd[cmd.index("--host-request-interval") + 1] == "500ms"
    rc = linkchecker_config(tmp_path / "rc", polite, tmp_path / "ca.pem").read_text()
    assert "threads=8\n" in rc and "maxrequestspersecond=2\n" in rc and "robotstxt=1\n" in rc


def test_a_measured_run_reports_time_memory_and_output(tmp_path: Path) -> None:
    code = "import sys; b = bytearray(30_000_000); sys.stdout.write('hi')"
    measured = run_measured(
        [sys.executable, "-c", code], stdout=tmp_path / "out", stderr=tmp_path / "err"
    )
    assert measured.returncode == 0 and not measured.timed_out
    assert measured.peak_rss_mb > 25 and measured.wall_s > 0
    assert (tmp_path / "out").read_text() == "hi"
    slow = run_measured(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        stdout=tmp_path / "o2",
        stderr=tmp_path / "e2",
        timeout_s=0.5,
    )
    assert slow.timed_out and slow.wall_s < 10
