"""The authority-provider interface, the imported-ranks provider, and building providers.

A provider answers for a batch of domains: a ``Component`` (0-100, with its reasons and the
raw value it came from) per domain it knows, ``None`` per domain it does not. A provider that
cannot answer a batch at all raises ``AuthorityError``; one that cannot be used in this run
(no API key) says why in ``unavailable()``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from prospector.config import AuthorityProvider as ProviderName
from prospector.qualify.model import Component
from prospector.store import Store
from prospector.web.urls import registrable_domain

ClientSource = Callable[[], httpx.AsyncClient]


class AuthorityProvider(ABC):
    name: ClassVar[ProviderName]
    label: ClassVar[str]  # how messages name it
    cached: ClassVar[bool] = False  # answers are reused from the store for authority.cache_days
    batch_size: ClassVar[int] = 1000  # domains per call of authority()

    def unavailable(self) -> str | None:
        """Why this provider cannot be used in this run, or None."""
        return None

    @abstractmethod
    async def authority(self, domains: list[str]) -> dict[str, Component | None]:
        """A component per domain it knows, None per domain it does not."""


def answer(
    provider: str, score: float, raw: Any, reasons: tuple[str, ...], **evidence: Any
) -> Component:
    """A provider's answer: the score clamped to 0-100, its provider and raw value kept."""
    return Component(
        name="authority",
        score=round(min(100.0, max(0.0, score)), 2),
        reasons=reasons,
        evidence={"provider": provider, "raw": raw, **evidence},
    )


def rank_score(rank: int) -> float:
    """Log scale: rank 1 -> 100, 10 -> 85, 1,000 -> 55, 1,000,000 -> 10, 10,000,000+ -> 0."""
    return min(100.0, max(0.0, 100.0 - 15.0 * math.log10(max(1, rank))))


class RanksProvider(AuthorityProvider):
    """The best rank among the imported lists (``prospector import ranks``)."""

    name = "ranks"
    label = "imported rank lists"

    def __init__(self, store: Store) -> None:
        self.store = store

    def unavailable(self) -> str | None:
        if not self.store.rank_list_names():
            return "no rank list imported (prospector import ranks FILE)"
        return None

    async def authority(self, domains: list[str]) -> dict[str, Component | None]:
        site = {domain: registrable_domain(domain) for domain in domains}
        found = self.store.ranks_for([*domains, *site.values()])
        out: dict[str, Component | None] = {}
        for domain in domains:
            matched = domain if domain in found else site[domain]
            rows = found.get(matched)
            if not rows:
                out[domain] = None
                continue
            best = rows[0]
            via = "" if matched == domain else f" (as {matched})"
            out[domain] = answer(
                self.name,
                rank_score(best.rank),
                best.rank,
                (f"rank {best.rank:,} in the {best.list} list{via}",),
                list=best.list,
                rank=best.rank,
                value=best.value,
                matched=matched,
                lists={row.list: row.rank for row in rows},
            )
        return out
