"""Authority from the link graph Prospector has crawled: PageRank over domains, and referring
domains.

A domain links to another when a stored page of the first has a visible link to the second.
Each link weighs by where it sits (content 1, sidebar 0.5, navigation/header/footer 0.3,
comments 0.2) and by its rel (``nofollow``/``ugc``/``sponsored`` x 0.2); hidden links count
for nothing. A pair of domains weighs log(1 + the sum of its links), so a site-wide link is
not a hundred votes.

PageRank (damping 0.85) with a vote floor: a domain's PageRank is shared as if it linked to at
least ``VOTE_FLOOR`` domains, the unspent share going to every domain (as a dangling domain's
does). Without it a ring of a few sites linking only to each other (a private blog network)
and the money site it feeds keep their PageRank circulating and outrank sites that dozens of
independent domains link to.

The score is the geometric mean of the PageRank, log-scaled against the graph (the lowest is
0, the highest 100), and the referring domains, log-scaled against the most referred domain:
high authority needs both. Only domains with at least one referring domain get an answer: the
crawl is a sliver of the web, so no inbound link there says little.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from prospector.qualify.authority.providers import AuthorityProvider, answer
from prospector.qualify.model import Component
from prospector.store import Store
from prospector.web.urls import registrable_domain

DAMPING = 0.85
PLACEMENT_WEIGHT = {
    "content": 1.0,
    "sidebar": 0.5,
    "other": 0.5,
    "navigation": 0.3,
    "header": 0.3,
    "footer": 0.3,
    "comments": 0.2,
}
QUALIFIED_REL = frozenset({"nofollow", "ugc", "sponsored"})
QUALIFIED_WEIGHT = 0.2
VOTE_FLOOR = 10


@dataclass
class DomainGraph:
    """Weighted domain-to-domain links and who refers to whom."""

    out: dict[str, dict[str, float]] = field(default_factory=dict)
    referring: dict[str, set[str]] = field(default_factory=dict)
    nodes: set[str] = field(default_factory=set)

    def add(self, source: str, target: str, weight: float) -> None:
        self.nodes.update((source, target))
        if weight > 0:
            targets = self.out.setdefault(source, {})
            targets[target] = targets.get(target, 0.0) + weight
        self.referring.setdefault(target, set()).add(source)


def link_weight(placement: str, rel: str, visible: int | None) -> float:
    if visible == 0:
        return 0.0
    weight = PLACEMENT_WEIGHT.get(placement, 0.5)
    if QUALIFIED_REL.intersection(rel.lower().split()):
        weight *= QUALIFIED_WEIGHT
    return weight


def build_graph(
    links: Iterable[tuple[str, str, str, str, int | None]], hosts: Iterable[str] = ()
) -> DomainGraph:
    """The domain graph of (page host, href, placement, rel, visible) links."""
    graph = DomainGraph()
    sums: dict[tuple[str, str], float] = defaultdict(float)
    for host in hosts:
        graph.nodes.add(registrable_domain(host))
    for host, href, placement, rel, visible in links:
        if visible == 0:
            continue
        try:
            parts = urlsplit(href)
            target_host = parts.hostname
        except ValueError:
            continue
        if parts.scheme not in ("http", "https") or not target_host:
            continue
        source, target = registrable_domain(host), registrable_domain(target_host)
        if source == target:
            continue
        sums[(source, target)] += link_weight(placement, rel, visible)
    for (source, target), total in sums.items():
        graph.add(source, target, math.log1p(total))
    return graph


def pagerank(
    graph: DomainGraph,
    damping: float = DAMPING,
    floor: int = VOTE_FLOOR,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> dict[str, float]:
    """Weighted PageRank by power iteration, with the vote floor; values sum to 1."""
    nodes = sorted(graph.nodes)
    count = len(nodes)
    if not count:
        return {}
    spent = {source: sum(targets.values()) for source, targets in graph.out.items()}
    totals = {
        source: spent[source] * max(1.0, floor / len(targets))
        for source, targets in graph.out.items()
    }
    kept = {source: 1.0 - spent[source] / totals[source] for source in totals}
    rank = dict.fromkeys(nodes, 1.0 / count)
    for _ in range(max_iter):
        unspent = sum(rank[n] for n in nodes if n not in totals)
        unspent += sum(rank[source] * share for source, share in kept.items())
        base = (1.0 - damping) / count + damping * unspent / count
        new = dict.fromkeys(nodes, base)
        for source, targets in graph.out.items():
            share = damping * rank[source] / totals[source]
            for target, weight in targets.items():
                new[target] += share * weight
        delta = sum(abs(new[n] - rank[n]) for n in nodes)
        rank = new
        if delta < tol:
            break
    return rank


class LinkGraphProvider(AuthorityProvider):
    name = "link_graph"
    label = "the crawled link graph"
    batch_size = 100_000

    def __init__(self, store: Store) -> None:
        self.store = store
        self._graph: DomainGraph | None = None
        self._rank: dict[str, float] = {}

    def _load(self) -> DomainGraph:
        if self._graph is None:
            self._graph = build_graph(self.store.crawled_links(), self.store.crawled_hosts())
            self._rank = pagerank(self._graph)
        return self._graph

    def unavailable(self) -> str | None:
        if not self._load().out:
            return "no crawled page links to another domain yet"
        return None

    async def authority(self, domains: list[str]) -> dict[str, Component | None]:
        graph = self._load()
        low = min(self._rank.values(), default=0.0)
        high = max(self._rank.values(), default=0.0)
        span = math.log(high / low) if low > 0 and high > low else 0.0
        most = max((len(sources) for sources in graph.referring.values()), default=0)
        out: dict[str, Component | None] = {}
        for domain in domains:
            node = registrable_domain(domain)
            referring = len(graph.referring.get(node, ()))
            if not referring:
                out[domain] = None
                continue
            value = self._rank[node]
            pr_scaled = 100.0 * math.log(value / low) / span if span else 0.0
            rd_scaled = 100.0 * math.log1p(referring) / math.log1p(most)
            out[domain] = answer(
                self.name,
                math.sqrt(max(0.0, pr_scaled) * rd_scaled),
                {"pagerank": value, "referring_domains": referring},
                (
                    f"linked from {referring} crawled domain{'s' if referring != 1 else ''}",
                    f"PageRank {value:.3g} in a crawled graph of {len(graph.nodes)} domains",
                ),
                pagerank=value,
                pagerank_scaled=round(pr_scaled, 2),
                referring_domains=referring,
                referring_scaled=round(rd_scaled, 2),
                graph_domains=len(graph.nodes),
                matched=node,
            )
        return out
