"""Ground truth of the demo world as a JSON-serialisable dict, and a CLI to dump it.

    python -m prospector.demo.truth [--out FILE] [--summary]

Top-level keys: ``version``, ``seed``, ``tld``, ``taxonomy``, ``ours``, ``dead_hosts``,
``shared_analytics``, ``sites``, ``pages``, ``filler_hosts``, ``opportunities``,
``links_to_ours``, ``summary``. Per page, ``links`` lists every outbound link (another host)
in any placement plus every link in the content or comments; each carries the oracle's
``expected_verdict`` / ``expected_status`` / ``reason`` / ``final_url``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from prospector.demo.model import LinkRecord, Page, Site
from prospector.demo.oracle import TAXONOMY

if TYPE_CHECKING:
    from prospector.demo.world import World

TRUTH_VERSION = 1


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _listed_link(site: Site, link: LinkRecord) -> bool:
    if link.href.startswith(("mailto:", "javascript:", "#")):
        return False
    return _host(link.href) != site.host or link.placement in ("content", "comments")


def _link(world: World, link: LinkRecord) -> dict[str, Any]:
    exp = world.expect(link.href)
    return {
        "href": link.href,
        "raw_href": link.raw_href,
        "anchor": link.anchor,
        "rel": list(link.rel),
        "placement": link.placement,
        "visible": link.visible,
        "rendered_only": link.rendered_only,
        "topic": link.topic,
        "expected_verdict": exp.verdict,
        "expected_status": exp.status,
        "reason": exp.reason,
        "final_url": exp.final_url,
    }


def _page(world: World, site: Site, page: Page) -> dict[str, Any]:
    reply = world.route("https", site.host, "GET", page.path)
    return {
        "url": site.url(page.path),
        "host": site.host,
        "path": page.path,
        "kind": page.kind,
        "title": page.title,
        "topic": page.topic,
        "http_status": None if reply.mode == "hang" else reply.status,
        "content_type": page.content_type,
        "author": page.author,
        "author_sources": list(page.author_sources),
        "published": page.published,
        "canonical": page.canonical,
        "canonical_source": page.canonical_source,
        "noindex": page.noindex,
        "noindex_source": page.noindex_source,
        "emails": [
            {"address": e.address, "type": e.type, "obfuscation": e.obfuscation}
            for e in page.emails
        ],
        "links": [_link(world, link) for link in page.links if _listed_link(site, link)],
        **({"syndication": page.extra} if page.kind == "syndicated" else {}),
    }


def _site(site: Site) -> dict[str, Any]:
    return {
        "host": site.host,
        "url": site.url("/"),
        "name": site.name,
        "kind": site.kind,
        "relevance": site.relevance,
        "topics": list(site.topics),
        "analytics_id": site.analytics_id,
        "tls": site.tls,
        "behaviour": site.behaviour,
        "not_found": site.not_found,
        "aliases": list(site.aliases),
        "force_https": site.force_https,
        "gzip": site.gzip,
        "robots": {"policy": site.robots, "txt": site.robots_txt},
        "sitemap": site.sitemap,
        "redirect_to": site.redirect_to,
        "page_count": len(site.pages),
    }


def build_truth(world: World) -> dict[str, Any]:
    ours = world.ours
    target_topics = {t.topic: ours.url(t.path) for t in world.niche.ours.targets}
    ours_hosts = {ours.host, *ours.aliases}
    sites = world.sites()
    pages: list[dict[str, Any]] = []
    opportunities: list[dict[str, Any]] = []
    links_to_ours: list[dict[str, Any]] = []
    for site in sites:
        for page in site.pages.values():
            entry = _page(world, site, page)
            pages.append(entry)
            if site.host not in ours_hosts:
                links_to_ours.extend(
                    {
                        "page": entry["url"],
                        **{
                            k: link[k]
                            for k in (
                                "href",
                                "anchor",
                                "rel",
                                "placement",
                                "visible",
                                "rendered_only",
                            )
                        },
                    }
                    for link in entry["links"]
                    if _host(link["href"]) in ours_hosts
                )
            if site.relevance not in ("high", "medium") or site.kind not in (
                "blog",
                "resource_site",
            ):
                continue
            if page.kind not in ("resource_page", "article"):
                continue
            for link in entry["links"]:
                if link["expected_verdict"] == "dead" and link["topic"] in target_topics:
                    opportunities.append(
                        {
                            "page": entry["url"],
                            "page_kind": page.kind,
                            "href": link["href"],
                            "anchor": link["anchor"],
                            "topic": link["topic"],
                            "expected_status": link["expected_status"],
                            "target": target_topics[link["topic"]],
                        }
                    )
    links = [link for p in pages for link in p["links"]]
    shared: dict[str, list[str]] = {}
    for site in sites:
        if site.analytics_id:
            shared.setdefault(site.analytics_id, []).append(site.host)
    return {
        "version": TRUTH_VERSION,
        "seed": world.seed,
        "tld": "example",
        "taxonomy": {k: list(v) for k, v in TAXONOMY.items()},
        "ours": {
            "host": ours.host,
            "aliases": list(ours.aliases),
            "targets": [
                {"url": ours.url(t.path), "topic": t.topic, "title": t.title}
                for t in world.niche.ours.targets
            ],
        },
        "dead_hosts": {
            "nxdomain": list(world.nxdomain_hosts),
            "refused": list(world.refused_hosts),
        },
        "shared_analytics": {k: v for k, v in shared.items() if len(v) > 1},
        "sites": [_site(s) for s in sites],
        "pages": pages,
        "filler_hosts": world.filler_hosts(),
        "opportunities": opportunities,
        "links_to_ours": links_to_ours,
        "summary": {
            "sites": len(sites),
            "pages": len(pages),
            "links": len(links),
            "distinct_link_urls": len({link["href"] for link in links}),
            "link_verdicts": dict(sorted(Counter(x["expected_verdict"] for x in links).items())),
            "link_statuses": dict(sorted(Counter(x["expected_status"] for x in links).items())),
            "page_kinds": dict(sorted(Counter(p["kind"] for p in pages).items())),
            "site_kinds": dict(sorted(Counter(s.kind for s in sites).items())),
            "opportunities": len(opportunities),
        },
    }


def main(argv: list[str] | None = None) -> int:
    from prospector.demo.world import World

    parser = argparse.ArgumentParser(description="Dump the demo world's ground truth as JSON.")
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
    parser.add_argument("--summary", action="store_true", help="only the summary")
    parser.add_argument("--niche", type=Path, help="another niche description (TOML)")
    args = parser.parse_args(argv)
    truth = World.build(args.niche).truth()
    data = truth["summary"] if args.summary else truth
    text = json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
