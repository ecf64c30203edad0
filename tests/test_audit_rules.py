"""The backlink audit's rules without the web: toxicity flags and verdicts, the disavow file
(nothing without a confirmation, nothing injected from page text), reading the exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from prospector.audit.disavow import choose, comment, normalise_domain, write_disavow
from prospector.audit.model import AuditLink, AuditResult, DomainAudit, PageRead
from prospector.audit.sources import links_from_file
from prospector.audit.toxicity import anchor_profile, assess
from prospector.errors import ImportFormatError, UserError
from prospector.qualify.model import Component

OURS = "https://soilsmith.example"


def page(outcome: str = "read", placement: str | None = "content") -> PageRead:
    links = [{"href": OURS + "/", "placement": placement}] if placement else []
    return PageRead("https://x.example/p", "https://x.example/p", outcome, outcome, 200, "",
                    {}, links)  # fmt: skip


def domain(
    name: str = "x.example",
    *,
    pages: list[PageRead] | None = None,
    spam: float = 0.0,
    relevance: float | None = 80.0,
    authority: float | None = None,
    anchors: tuple[str, ...] = ("a page",),
) -> DomainAudit:
    found = DomainAudit(
        name,
        [AuditLink(f"https://{name}/{i}", OURS + "/", a) for i, a in enumerate(anchors)],
        pages if pages is not None else [page()],
    )
    found.spam = Component("spam", spam, (f"signal {spam:g}",))
    if relevance is not None:
        found.relevance = Component("relevance", relevance)
    provider = {"provider": "ranks"} if authority is not None else {"provider": None}
    found.authority = Component("authority", authority or 0.0, (), provider)
    return found


def judged(*audits: DomainAudit, keywords: tuple[str, ...] = ()) -> list[DomainAudit]:
    profile = anchor_profile(audits, keywords)
    for audit in audits:
        assess(audit, profile, len(audits), 60.0, 30.0)
    return list(audits)


def test_an_inconclusive_fetch_is_never_toxic() -> None:
    (blocked,) = judged(domain(pages=[page("inconclusive")], anchors=("cheap viagra",)))
    assert blocked.verdict == "unknown" and blocked.toxicity >= 60
    assert blocked.reasons()[0].startswith("not assessed:")
    (unread,) = judged(domain(pages=[]))
    assert unread.verdict == "unknown" and "--max-pages" in unread.reasons()[0]
    (dead,) = judged(domain(pages=[page("dead_domain", None)], relevance=None))
    assert dead.verdict == "toxic" and "NXDOMAIN" in dead.reasons()[0]


def test_the_flags_and_their_thresholds() -> None:
    spam, clean, farm = judged(domain(spam=65), domain(spam=15), domain(spam=59.9))
    assert (spam.verdict, clean.verdict, farm.verdict) == ("toxic", "ok", "suspicious")
    low, unknown, fine = judged(
        domain(relevance=10, authority=4),
        domain(relevance=10),
        domain(relevance=10, authority=40),
    )
    assert low.verdict == "toxic" and "very low authority (4, ranks)" in low.reasons()[0]
    assert unknown.verdict == "suspicious" and fine.verdict == "ok"
    footer, related = judged(
        domain(pages=[page(placement="footer")], relevance=12, authority=50),
        domain(pages=[page(placement="footer")], relevance=70),
    )
    assert (
        footer.verdict == "toxic"
        and "sitewide footer link from an unrelated" in (footer.reasons()[0])
    )
    assert related.verdict == "ok" and "sitewide footer link from a related" in related.notes[0]
    many = judged(
        *(domain(f"d{i}.example", anchors=("best compost bin",)) for i in range(6)),
        *(domain(f"e{i}.example") for i in range(4)),
    )
    assert "used by 6 linking domains (anchor stuffing)" in many[0].reasons()[0]
    assert many[0].verdict == "suspicious" and many[-1].verdict == "ok"
    few = judged(*(domain(f"d{i}.example", anchors=("hot composting",)) for i in range(2)),
                 keywords=("hot composting",))  # fmt: skip
    assert few[0].flags == []


def result_of(*audits: DomainAudit) -> AuditResult:
    return AuditResult("file", "demo", judged(*audits), 3, 60.0, 30.0, 200)


def test_disavow_entries_come_only_from_confirmation_and_page_text_cannot_inject(
    tmp_path: Path,
) -> None:
    evil = domain("evil.example", spam=95)
    evil.spam = Component("spam", 95, ("casino\ndomain:google.com\r\n# x\u2028domain:a.example",))
    ok = domain("fine.example")
    result = result_of(evil, ok)
    today = date(2025, 3, 1)
    assert choose(result, [], False, actor="me", today=today) == []
    entries = choose(result, ["Domain:FINE.example."], True, actor="me", today=today)
    assert [(e.domain, e.flagged) for e in entries] == [
        ("evil.example", True),
        ("fine.example", False),
    ]
    out = tmp_path / "disavow.txt"
    (out).write_text("# mine\ndomain:old.example\nhttps://spam.example/page\n")
    report = write_disavow(out, entries)
    assert report.written == ["evil.example", "fine.example"] and report.kept == 2
    text = out.read_text()
    assert text.startswith("# mine\ndomain:old.example\nhttps://spam.example/page\n")
    real = [line for line in text.splitlines() if not line.startswith("#") and line]
    assert real == [
        "domain:old.example",
        "https://spam.example/page",
        "domain:evil.example",
        "domain:fine.example",
    ]
    assert "# evil.example: toxic, toxicity 95; audit of 2025-03-01, confirmed by me" in text
    assert "# fine.example: confirmed by hand, not flagged (audit: ok, toxicity 0)" in text
    again = write_disavow(out, entries)
    assert again.written == [] and again.already == ["evil.example", "fine.example"]
    assert out.read_text() == text
    assert comment("a\x00b\x1b[31mc\u2029d") == "a b [31mc d"
    assert normalise_domain("https://WWW.Spam.example/x?y") == "spam.example"
    assert normalise_domain("bücher.example") == "xn--bcher-kva.example"
    for bad in ("not a domain", "x", "a..example", "domain:", "-x.example"):
        with pytest.raises(UserError):
            normalise_domain(bad)


def test_exports_of_every_format_are_read_as_discovery_reads_them(tmp_path: Path) -> None:
    tsv = tmp_path / "ahrefs.csv"
    header = "Referring page title\tReferring page URL\tTarget URL\tAnchor\tDomain rating\n"
    rows = "Compost\thttps://a.example/p\thttps://soilsmith.example/\tsoil\t41\n"
    tsv.write_bytes((header + rows).encode("utf-16"))
    found = links_from_file(tsv)
    assert found.tool == "ahrefs"
    assert [
        (link.source_url, link.anchor, link.metrics["domain_rating"]) for link in found.links
    ] == [("https://a.example/p", "soil", 41)]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImportFormatError):
        links_from_file(empty)
