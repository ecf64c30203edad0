"""Links the demo web "earns" for us: the demo's stand-in for a site owner adding our link.

Once a link is placed, the page at its URL is served with a link to our target at the top of
its main content — as the first item of the first list there (a resource list), else as a
paragraph — by the same server, from then on. Thread-safe: the server's loop thread reads
while the demo places.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from prospector.demo.model import Reply

# Where the main content is, in each archetype's chrome (see ``html.render``).
MAIN = "//main | //div[@role='main'] | //div[@id='body']"
AWAY = re.compile(r"comment|nav|menu|sidebar|widget|share|related|footer|toc|tags")


@dataclass(frozen=True)
class PlacedLink:
    url: str  # the page that now links to us
    target: str  # our page
    anchor: str

    def as_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def _key(host: str, path: str) -> tuple[str, str]:
    return host.lower().rstrip("."), path or "/"


def _listing(main: Any) -> Any:
    """The main content's resource list: its list with the most links (3 or more), outside
    comments, menus and widgets; None when there is none."""
    best, most = None, 2
    for candidate in main.xpath(".//ul | .//ol"):
        around = [candidate, *candidate.iterancestors()]
        names = " ".join(f"{e.get('class', '')} {e.get('id', '')}" for e in around).lower()
        if AWAY.search(names):
            continue
        links = len(candidate.xpath(".//a"))
        if links > most:
            best, most = candidate, links
    return best


def _body_text(main: Any) -> Any:
    """The element holding the main content's paragraphs (the one with the most)."""
    best, most = main, len(main.findall("p"))
    for element in main.iterdescendants():
        if not isinstance(element.tag, str) or AWAY.search(
            f"{element.get('class', '')} {element.get('id', '')}".lower()
        ):
            continue
        count = len(element.findall("p"))
        if count > most:
            best, most = element, count
    return best


def with_link(html: str, link: PlacedLink) -> str:
    """``html`` with ``link`` added to its main content: as the first item of its resource
    list, else as a paragraph before the first of the article's paragraphs."""
    root = lxml.html.document_fromstring(html)
    found = root.xpath(MAIN)
    main = found[0] if found else root.find("body")
    if main is None:
        main = root
    anchor = lxml.html.Element("a", href=link.target)
    anchor.text = link.anchor
    listing = _listing(main)
    if listing is not None:
        item = lxml.html.Element("li")
        item.append(anchor)
        anchor.tail = " (recommended)"
        listing.insert(0, item)
    else:
        para = lxml.html.Element("p")
        para.text = "Recommended reading: "
        para.append(anchor)
        body = _body_text(main)
        first = body.find("p")
        body.insert(body.index(first) if first is not None else 0, para)
    body = str(lxml.html.tostring(root, encoding="unicode", method="html"))
    return "<!DOCTYPE html>\n" + body


class PlacedLinks:
    """The placed links, by page (host and path; any scheme)."""

    def __init__(self) -> None:
        self._links: dict[tuple[str, str], list[PlacedLink]] = {}
        self._lock = threading.Lock()

    def add(self, url: str, target: str, anchor: str) -> PlacedLink:
        """Place a link (placing the same target on a page twice changes nothing)."""
        parts = urlsplit(url)
        link = PlacedLink(url, target, anchor)
        with self._lock:
            links = self._links.setdefault(_key(parts.hostname or "", parts.path), [])
            if all(known.target != target for known in links):
                links.append(link)
        return link

    def all(self) -> list[PlacedLink]:
        with self._lock:
            return [link for links in self._links.values() for link in links]

    def apply(self, host: str, request_target: str, reply: Reply) -> Reply:
        """The reply with the page's placed links in it (other replies unchanged)."""
        with self._lock:
            links = list(self._links.get(_key(host, urlsplit(request_target).path), ()))
        content_type = (reply.header("Content-Type") or "").lower()
        if not links or reply.status != 200 or not content_type.startswith("text/html"):
            return reply
        try:
            html = reply.body.decode("utf-8")
            for link in links:
                html = with_link(html, link)
        except (UnicodeDecodeError, etree.ParserError):
            return reply
        return dataclasses.replace(reply, body=html.encode("utf-8"))

    # -- kept in the demo workdir, so ``prospector demo --serve`` serves them again -------------

    def save(self, path: Path) -> None:
        data = [link.as_dict() for link in self.all()]
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def load(self, path: Path) -> int:
        """Place the links saved in ``path`` (a missing or unreadable file places none)."""
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            for item in data:
                self.add(str(item["url"]), str(item["target"]), str(item["anchor"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return len(self.all())
