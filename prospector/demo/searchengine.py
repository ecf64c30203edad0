"""A small search engine over the demo web, answering in SearXNG's JSON format at
``search.example`` — so discovery in the demo and the tests goes through the real search path
(footprint queries, paging, caching) without the internet.

Queries understand what outreach footprints use: plain words (all must appear), "quoted
phrases", ``intitle:word`` and ``inurl:word``.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from prospector.demo.model import Reply

if TYPE_CHECKING:
    from prospector.demo.world import World

HOST = "search.example"
PER_PAGE = 10
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Document:
    url: str
    title: str
    text: str  # lower-cased visible text
    title_l: str
    url_l: str


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


def _has(haystack: str, needle: str) -> bool:
    words = [_stem(w) for w in _WORD.findall(needle.lower())]
    if not words:
        return True
    pattern = r"\b" + r"s?\W+".join(re.escape(w) for w in words) + r"s?\b"
    return re.search(pattern, haystack) is not None


class SearchEngine:
    """Every listed page of the world that answers 200, indexed for footprint queries."""

    def __init__(self, world: World) -> None:
        self.docs: list[Document] = []
        for site, page in world.pages():
            if not page.html or site.behaviour != "normal" or site.tls != "valid":
                continue
            url = site.url(page.path)
            text = " ".join(_TAGS.sub(" ", page.html).split()).lower()
            self.docs.append(Document(url, page.title, text, page.title.lower(), url.lower()))

    def search(self, query: str) -> list[Document]:
        try:
            parts = shlex.split(query)
        except ValueError:
            parts = query.split()
        hits = []
        for doc in self.docs:
            score = 0
            for part in parts:
                field, _, value = part.partition(":") if ":" in part else ("", "", part)
                if field == "intitle":
                    ok = _has(doc.title_l, value)
                    score += 3
                elif field == "inurl":
                    ok = value.lower() in doc.url_l
                    score += 2
                else:
                    ok = _has(doc.text, part) or _has(doc.title_l, part)
                    score += 2 if _has(doc.title_l, part) else 1
                if not ok:
                    break
            else:
                hits.append((-score, doc.url, doc))
        return [doc for _, _, doc in sorted(hits)]

    def handle(self, method: str, target: str) -> Reply:
        parts = urlsplit(target)
        if parts.path != "/search":
            return _json(404, {"error": "not found"})
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if query.get("format") != "json":
            return Reply(
                403, (("Content-Type", "text/html"),), b"<h1>403 Forbidden</h1>", nature="api"
            )
        try:
            page = max(1, int(query.get("pageno", "1")))
        except ValueError:
            page = 1
        found = self.search(query.get("q", ""))
        chunk = found[(page - 1) * PER_PAGE : page * PER_PAGE]
        results = [
            {
                "url": d.url,
                "title": d.title,
                "content": d.text[:160],
                "engine": "demo",
                "score": 1.0,
            }
            for d in chunk
        ]
        return _json(
            200,
            {
                "query": query.get("q", ""),
                "number_of_results": len(found),
                "results": results,
                "unresponsive_engines": [],
            },
        )


def _json(status: int, data: object) -> Reply:
    return Reply(
        status, (("Content-Type", "application/json"),), json.dumps(data).encode(), nature="api"
    )
