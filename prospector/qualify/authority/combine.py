"""The authority component: configured providers applied in order, or weighted.

``authority.combine = "first"``: each domain takes the answer of the first provider (in
``authority.providers`` order) that knows it; later providers are asked only about the domains
still unanswered. ``"weighted"``: every provider is asked and the answers are averaged with
``authority.weights`` (1 for a provider not listed; 0 leaves it out).

API answers (known and unknown domains alike) are reused from the store for
``authority.cache_days``; every provider's answer is stored with its raw value. A provider
that fails on a batch has the failure recorded in the evidence, and the next one is tried; a
rejected key or an exhausted quota stops that provider for the rest of the run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from prospector.config import AuthorityProvider as ProviderName
from prospector.config import Settings
from prospector.discover.search.base import api_client
from prospector.errors import AuthorityError
from prospector.qualify.authority.apis import MozProvider, OpenPageRankProvider
from prospector.qualify.authority.linkgraph import LinkGraphProvider
from prospector.qualify.authority.providers import AuthorityProvider, RanksProvider
from prospector.qualify.model import Component
from prospector.store import Store
from prospector.store.authority import AuthorityRow
from prospector.web.fetch import Fetcher

NO_ANSWER = "no provider knows this domain"


@dataclass
class Outcome:
    """What one provider said about one domain."""

    component: Component | None = None
    error: str | None = None
    skipped: str | None = None
    cached: bool = False

    def as_dict(self) -> dict[str, Any]:
        if self.skipped is not None:
            return {"skipped": self.skipped}
        if self.error is not None:
            return {"error": self.error}
        if self.component is None:
            return {"score": None, "known": False, "cached": self.cached}
        evidence = {k: v for k, v in self.component.evidence.items() if k != "provider"}
        return {
            "score": self.component.score,
            "reasons": list(self.component.reasons),
            **evidence,
            "cached": self.cached,
        }


class _Client:
    """The API client: the one given, or one made on first use (and closed at the end)."""

    def __init__(self, settings: Settings, given: httpx.AsyncClient | None) -> None:
        self.settings = settings
        self.given = given
        self.own: httpx.AsyncClient | None = None

    def __call__(self) -> httpx.AsyncClient:
        if self.given is not None:
            return self.given
        if self.own is None:
            self.own = api_client(self.settings)
        return self.own

    async def aclose(self) -> None:
        if self.own is not None:
            await self.own.aclose()


def build_provider(
    name: ProviderName, settings: Settings, store: Store, client: _Client, env: Mapping[str, str]
) -> AuthorityProvider:
    conf = settings.authority
    if name == "ranks":
        return RanksProvider(store)
    if name == "open_pagerank":
        key = env.get(conf.open_pagerank_key_env, "") if conf.open_pagerank_key_env else ""
        return OpenPageRankProvider(
            client, conf.open_pagerank_endpoint, conf.open_pagerank_key_env, key
        )
    if name == "moz":
        token = env.get(conf.moz_token_env, "") if conf.moz_token_env else ""
        return MozProvider(client, conf.moz_endpoint, conf.moz_token_env, token)
    return LinkGraphProvider(store)


def normalize(domain: str) -> str:
    """A domain or URL as providers are asked about it: lower case, no ``www.``."""
    name = domain.strip()
    if "://" in name:
        try:
            name = urlsplit(name).hostname or ""
        except ValueError:
            name = ""
    return name.lower().rstrip(".").removeprefix("www.")


async def authority_for(
    settings: Settings,
    store: Store,
    client: Fetcher | httpx.AsyncClient | None,
    domains: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Component]:
    """The authority component of every domain, keyed as given.

    ``client`` is used for the API providers when it is an ``httpx.AsyncClient``; otherwise
    (a ``Fetcher``, whose guard and robots rules are for untrusted pages, or None) a client
    for trusted API endpoints is made from the settings. Keys are read from ``env``
    (default: the process environment).
    """
    conf = settings.authority
    env = os.environ if env is None else env
    now = now or datetime.now(UTC)
    names = {domain: normalize(domain) for domain in domains}
    wanted = sorted({name for name in names.values() if name})
    outcomes: dict[str, dict[str, Outcome]] = {name: {} for name in wanted}
    api = _Client(settings, client if isinstance(client, httpx.AsyncClient) else None)
    try:
        for provider_name in dict.fromkeys(conf.providers):
            provider = build_provider(provider_name, settings, store, api, env)
            weighted = conf.combine == "weighted"
            if weighted and conf.weights.get(provider_name, 1.0) <= 0:
                skip = Outcome(skipped="weight 0 in authority.weights")
                for name in wanted:
                    outcomes[name][provider_name] = skip
                continue
            ask = [n for n in wanted if weighted or not _answered(outcomes[n])]
            if not ask:
                continue
            reason = provider.unavailable()
            if reason is not None:
                for name in ask:
                    outcomes[name][provider_name] = Outcome(skipped=reason)
                continue
            for name, outcome in (await _ask(provider, ask, store, conf.cache_days, now)).items():
                outcomes[name][provider_name] = outcome
    finally:
        await api.aclose()
    weights: dict[str, float] = {name: conf.weights.get(name, 1.0) for name in conf.providers}
    final = {name: _combine(outcomes[name], conf.combine == "weighted", weights) for name in wanted}
    empty = _combine({}, False, weights)
    return {domain: final.get(names[domain], empty) for domain in domains}


async def _ask(
    provider: AuthorityProvider,
    domains: list[str],
    store: Store,
    cache_days: float,
    now: datetime,
) -> dict[str, Outcome]:
    """One provider's outcome for each domain: from the cache, its answers, or its failure."""
    out: dict[str, Outcome] = {}
    if provider.cached:
        for name, row in store.cached_authority(provider.name, domains, cache_days, now).items():
            out[name] = Outcome(_from_row(row), cached=True)
    todo = [name for name in domains if name not in out]
    fetched_at = now.isoformat(timespec="seconds")
    stopped: AuthorityError | None = None
    for start in range(0, len(todo), provider.batch_size):
        batch = todo[start : start + provider.batch_size]
        if stopped is None:
            try:
                answers = await provider.authority(batch)
            except AuthorityError as exc:
                for name in batch:
                    out[name] = Outcome(error=str(exc))
                if exc.stops_provider:
                    stopped = exc
                continue
        else:
            for name in batch:
                out[name] = Outcome(error=f"not asked: {stopped}")
            continue
        rows = []
        for name in batch:
            component = answers.get(name)
            out[name] = Outcome(component)
            rows.append(_to_row(provider.name, name, component, fetched_at))
        store.put_authority(rows)
    return out


def _answered(outcomes: Mapping[str, Outcome]) -> bool:
    return any(outcome.component is not None for outcome in outcomes.values())


def _combine(
    outcomes: Mapping[str, Outcome], weighted: bool, weights: Mapping[str, float]
) -> Component:
    every = {name: outcome.as_dict() for name, outcome in outcomes.items()}
    failures = tuple(
        f"{name} failed: {outcome.error}"
        for name, outcome in outcomes.items()
        if outcome.error is not None
    )
    known = {name: o.component for name, o in outcomes.items() if o.component is not None}
    if not known:
        return Component(
            "authority",
            0.0,
            (NO_ANSWER, *failures),
            {"provider": None, "raw": None, "all": every},
        )
    if not weighted or len(known) == 1:
        name, best = next(iter(known.items()))
        return Component(
            "authority",
            best.score,
            (*(f"{r} ({name})" for r in best.reasons), *failures),
            {"provider": name, "raw": best.evidence.get("raw"), "all": every},
        )
    total = sum(weights[name] for name in known)
    score = sum(weights[name] * c.score for name, c in known.items()) / total
    parts = ", ".join(f"{name} {c.score:.0f} (x{weights[name]:g})" for name, c in known.items())
    return Component(
        "authority",
        round(min(100.0, max(0.0, score)), 2),
        (f"weighted mean of {parts}", *failures),
        {
            "provider": "weighted",
            "raw": {name: c.evidence.get("raw") for name, c in known.items()},
            "weights": {name: weights[name] for name in known},
            "all": every,
        },
    )


def _to_row(provider: str, domain: str, component: Component | None, at: str) -> AuthorityRow:
    if component is None:
        return AuthorityRow(domain, provider, None, None, {"known": False}, at)
    return AuthorityRow(
        domain,
        provider,
        component.score,
        component.evidence.get("raw"),
        {"reasons": list(component.reasons), "evidence": component.evidence},
        at,
    )


def _from_row(row: AuthorityRow) -> Component | None:
    if row.score is None:
        return None
    evidence = dict(row.detail.get("evidence") or {})
    evidence.setdefault("provider", row.provider)
    evidence["raw"] = row.raw
    return Component(
        "authority",
        min(100.0, max(0.0, float(row.score))),
        tuple(row.detail.get("reasons") or ()),
        evidence,
    )
