"""Synthetic backlink exports in each tool's format (columns, encoding, delimiter, quirks).

Every builder returns the file's bytes and the expectations a test checks against: the good
source URLs in order, and the bad rows as {line: reason fragment}.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Export:
    name: str
    data: bytes
    tool: str
    encoding: str
    delimiter: str
    good: list[str]
    bad: dict[int, str] = field(default_factory=dict)


def _join(rows: list[list[str]], delimiter: str, newline: str = "\r\n") -> str:
    def cell(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(cell(v) for v in row) + newline for row in rows)


AHREFS_HEADER = [
    "Referring page title",
    "Referring page URL",
    "Language",
    "Platform",
    "Referring page HTTP code",
    "Domain rating",
    "UR",
    "Domain traffic",
    "Referring domains",
    "Linked domains",
    "External links",
    "Page traffic",
    "Keywords",
    "Target URL",
    "Left context",
    "Anchor",
    "Right context",
    "Type",
    "Content",
    "Nofollow",
    "UGC",
    "Sponsored",
    "Rendered",
    "Raw",
    "Lost status",
    "Drop reason",
    "Discovered status",
    "First seen",
    "Last seen",
    "Lost",
    "Links in group",
]


def _ahrefs_row(
    title: str,
    url: str,
    dr: str,
    target: str,
    left: str,
    anchor: str,
    nofollow: str,
    first: str,
    last: str,
) -> list[str]:
    values = {
        "Referring page title": title,
        "Referring page URL": url,
        "Language": "en",
        "Platform": "wordpress",
        "Referring page HTTP code": "200",
        "Domain rating": dr,
        "UR": "12",
        "Domain traffic": "1,234",
        "Referring domains": "40",
        "Linked domains": "17",
        "External links": "21",
        "Page traffic": "0",
        "Keywords": "3",
        "Target URL": target,
        "Left context": left,
        "Anchor": anchor,
        "Right context": "for more.",
        "Type": "text",
        "Content": "true",
        "Nofollow": nofollow,
        "UGC": "false",
        "Sponsored": "false",
        "Rendered": "false",
        "Raw": "true",
        "Lost status": "",
        "Drop reason": "",
        "Discovered status": "",
        "First seen": first,
        "Last seen": last,
        "Lost": "",
        "Links in group": "1",
    }
    return [values[h] for h in AHREFS_HEADER]


def ahrefs_utf16_tsv() -> Export:
    """The current Ahrefs export: UTF-16 LE with a BOM, tab-separated, CRLF; a quoted
    context field spans two lines, so the rows after it start a line later."""
    target = "https://competitor.example/guide"
    rows = [
        AHREFS_HEADER,
        _ahrefs_row(
            "Composting 101 – tips",
            "https://blog.one.example/compost-101",
            "54",
            target,
            "See this",
            "the guide",
            "false",
            "2023-04-01 08:15:00",
            "2024-02-10 00:00:00",
        ),
        _ahrefs_row(
            "Resources",
            "https://two.example/resources",
            "61",
            target,
            "Useful:\nmulti-line context",
            "composting guide",
            "true",
            "2023-05-01",
            "2024-01-15",
        ),  # (lines 3-4)
        _ahrefs_row("Broken", "/relative/page", "10", target, "", "x", "false", "", ""),
        _ahrefs_row("No scheme", "www.three.example/page", "10", target, "", "x", "false", "", ""),
        _ahrefs_row(
            "Worms",
            "https://worms.example/bins?ref=1#top",
            "33",
            target,
            "",
            "worm bins",
            "false",
            "2022-12-24",
            "2024-02-01",
        ),
        _ahrefs_row(
            "Dup",
            "https://blog.one.example/compost-101",
            "54",
            target,
            "",
            "again",
            "false",
            "",
            "",
        ),  # (same source and target as line 2)
    ]
    text = _join(rows, "\t")
    return Export(
        "ahrefs-backlinks.tsv",
        codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        "ahrefs",
        "utf-16-le",
        "\t",
        good=[
            "https://blog.one.example/compost-101",
            "https://two.example/resources",
            "https://worms.example/bins?ref=1",
            "https://blog.one.example/compost-101",
        ],
        bad={5: "not an absolute http(s) URL", 6: "not an absolute http(s) URL"},
    )


def ahrefs_legacy_csv() -> Export:
    """The older Ahrefs export: UTF-8, comma-separated, 'Link URL' is the target, and the
    link's rel is in 'Type' (dofollow / nofollow)."""
    header = [
        "#",
        "Domain Rating",
        "URL Rating",
        "Referring Page URL",
        "Referring Page Title",
        "Internal Links Count",
        "External Links Count",
        "Link URL",
        "TextPre",
        "Link Anchor",
        "TextPost",
        "Type",
        "Backlink Status",
        "First Seen",
        "Last Check",
        "Day Lost",
        "Language",
        "Traffic",
        "Keywords",
    ]
    rows = [
        header,
        [
            "1",
            "70",
            "20",
            "http://old.example/a",
            "Old A",
            "10",
            "5",
            "https://ours.example/",
            "",
            "our site",
            "",
            "nofollow",
            "",
            "2019-01-02",
            "2020-03-04",
            "",
            "en",
            "5",
            "1",
        ],
        [
            "2",
            "71",
            "21",
            "http://old.example/b",
            "Old B",
            "10",
            "5",
            "https://ours.example/x",
            "",
            "x",
            "",
            "dofollow",
            "",
            "2019-01-02",
            "2020-03-04",
            "",
            "en",
            "5",
            "1",
        ],
    ]
    return Export(
        "ahrefs-legacy.csv",
        _join(rows, ",", "\n").encode(),
        "ahrefs",
        "utf-8",
        ",",
        good=["http://old.example/a", "http://old.example/b"],
    )


SEMRUSH_HEADER = [
    "Page ascore",
    "Source title",
    "Source url",
    "Target url",
    "Anchor",
    "External links",
    "Internal links",
    "Nofollow",
    "Sponsored",
    "Ugc",
    "Text",
    "Frame",
    "Form",
    "Image",
    "Sitewide",
    "First seen",
    "Last seen",
    "New link",
    "Lost link",
]


def semrush_cp1252_semicolon() -> Export:
    """A Semrush export saved by a European Excel: Windows-1252, semicolon-separated,
    decimal commas, “smart quotes” (bytes that are not UTF-8)."""
    target = "https://competitor.example/"
    rows = [
        SEMRUSH_HEADER,
        [
            "12",
            "Le “compost” facile – été",
            "https://jardin.example/compost",
            target,
            "guide du compost",
            "14",
            "80",
            "FALSE",
            "FALSE",
            "FALSE",
            "TRUE",
            "FALSE",
            "FALSE",
            "FALSE",
            "FALSE",
            "2023-07-01",
            "2024-01-20",
            "FALSE",
            "FALSE",
        ],
        [
            "7",
            "Prix 5 €; promo",
            "ftp://files.example/list",
            target,
            "x",
            "1",
            "1",
            "TRUE",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "3,5",
            "Ugly",
            "https://garten.example/kompost",
            target,
            "Kompost",
            "2",
            "9",
            "TRUE",
            "FALSE",
            "FALSE",
            "TRUE",
            "FALSE",
            "FALSE",
            "FALSE",
            "TRUE",
            "2023-08-01",
            "2024-01-21",
            "FALSE",
            "FALSE",
        ],
    ]
    return Export(
        "semrush-backlinks.csv",
        _join(rows, ";").encode("cp1252"),
        "semrush",
        "cp1252",
        ";",
        good=["https://jardin.example/compost", "https://garten.example/kompost"],
        bad={3: "scheme 'ftp'"},
    )


def moz_with_preamble() -> Export:
    """A Moz Link Explorer export: UTF-8 with a BOM, two lines of preamble before the
    header, 'URL' is the linking page, follow/nofollow in 'Link Type'."""
    text = (
        "Moz Link Explorer - Inbound Links for competitor.example\r\n"
        "Exported 2024-03-01\r\n"
        "URL,Title,Anchor Text,Spam Score,Domain Authority,Page Authority,Target URL,Link Type\r\n"
        "https://moz-one.example/list,List,compost guide,1%,45,30,https://competitor.example/,follow\r\n"
        ",Empty source,anchor,2%,10,10,https://competitor.example/,follow\r\n"
        'https://moz-two.example/p,"Title, with comma",bins,3%,20,15,https://competitor.example/b,nofollow\r\n'
    )
    return Export(
        "moz-inbound-links.csv",
        codecs.BOM_UTF8 + text.encode(),
        "moz",
        "utf-8-sig",
        ",",
        good=["https://moz-one.example/list", "https://moz-two.example/p"],
        bad={5: "no source URL"},
    )


def gsc_links() -> Export:
    """Search Console's links export: just the linking page and when Google crawled it."""
    text = (
        "Linking page,Last crawled\n"
        "https://gsc-one.example/a,2024-03-15\n"
        "https://gsc-two.example/b,2024-03-14\n"
        "\n"
        "https://gsc-three.example/c,2024-03-10\n"
    )
    return Export(
        "gsc-latest-links.csv",
        text.encode(),
        "gsc",
        "utf-8",
        ",",
        good=[
            "https://gsc-one.example/a",
            "https://gsc-two.example/b",
            "https://gsc-three.example/c",
        ],
    )


def generic_excel_sep() -> Export:
    """A hand-made list saved by Excel with its 'sep=' line; snake_case column names."""
    text = (
        "sep=;\n"
        "source_url;target_url;anchor_text;note\n"
        "https://gen-one.example/;https://ours.example/;home;met at a fair\n"
        "https://gen-two.example/x;not a url;x;\n"
    )
    return Export(
        "links.csv",
        text.encode(),
        "generic",
        "utf-8",
        ";",
        good=["https://gen-one.example/"],
        bad={4: "target URL"},
    )


ALL = [
    ahrefs_utf16_tsv,
    ahrefs_legacy_csv,
    semrush_cp1252_semicolon,
    moz_with_preamble,
    gsc_links,
    generic_excel_sep,
]
