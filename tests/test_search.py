"""Search discovery: SearXNG and Brave against a local server speaking their APIs, footprints,
the cache, pacing, and errors that name the provider and say what to do."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prospector.campaigns import Campaign
from prospector.config import Settings, load_settings
from prospector.discover.search import (
    DEFAULT_FOOTPRINTS,
    SearchResult,
    SearchSummary,
    discover_from_search,
    make_provider,
    queries,
)
from prospector.errors import (
    ConfigError,
    SearchAuthError,
    SearchError,
    SearchQuotaError,
    SearchUnavailableError,
)
from prospector.store import Store, open_db
from tests.search_api_server import OWN_URL, SHARED_URL, SearchApiServer

pytestmark = pytest.mark.integration

BRAVE_ROUTE = "/res/v1/web/search"


def campaign(**changes: Any) -> Campaign:
    data: dict[str, Any] = {
        "name": "spring",
        "targets": [
            {
                "url": "https://soilsmith.example/guides/hot-composting",
                "title": "Hot composting",
                "summary": "How to run a hot compost pile.",
            }
        ],
        "keywords": ["composting", "worm bin"],
        "opportunity_types": ["resource_page"],
        "footprints": {"resource_page": ["{kw} intitle:resources", '{kw} "useful links"']},
    }
    data.update(changes)
    return Campaign.model_validate(data)


def settings_for(tmp_path: Path, **search: Any) -> Settings:
    defaults: dict[str, Any] = {"min_interval_s": 0.0, "pages_per_query": 1}
    return load_settings(
        None,
        env={},
        overrides={"database": str(tmp_path / "p.db"), "search": {**defaults, **search}},
    )


@pytest.fixture
def server() -> Iterator[SearchApiServer]:
    with SearchApiServer() as api:
        yield api


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_db(tmp_path / "p.db") as db:
        yield db


@pytest.fixture
def brave_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BRAVE_API_KEY", "brave-test-key")
    return "brave-test-key"


def run(
    settings: Settings, camp: Campaign, store: Store, run_id: int | None = None
) -> SearchSummary:
    return asyncio.run(discover_from_search(settings, camp, store, run_id))


def searxng(server: SearchApiServer, tmp_path: Path, **search: Any) -> Settings:
    return settings_for(tmp_path, provider="searxng", searxng_url=server.url, **search)


def brave(server: SearchApiServer, tmp_path: Path, **search: Any) -> Settings:
    return settings_for(tmp_path, provider="brave", brave_endpoint=server.url, **search)


# -- queries: keywords x footprints -----------------------------------------------------------


def test_default_queries_are_keywords_times_footprints_for_the_campaigns_types() -> None:
    camp = campaign(opportunity_types=["resource_page", "guest_post"], footprints={})
    planned = queries(camp)
    expected = len(camp.keywords) * (
        len(DEFAULT_FOOTPRINTS["resource_page"]) + len(DEFAULT_FOOTPRINTS["guest_post"])
    )
    assert len(planned) == expected
    texts = [q.text for q in planned]
    for text in (
        "composting intitle:resources",
        'worm bin "useful links"',
        "composting inurl:links",
        'composting "write for us"',
        'worm bin "guest post guidelines"',
        'composting "become a contributor"',
    ):
        assert text in texts
    assert {q.opportunity_type for q in planned} == {"resource_page", "guest_post"}
    first = planned[0]
    assert (first.keyword, first.footprint) == ("composting", "{kw} intitle:resources")


def test_campaign_footprints_override_defaults_and_an_empty_list_disables_a_type() -> None:
    camp = campaign(
        opportunity_types=["broken_link", "resource_page", "guest_post"],
        footprints={"resource_page": ["{kw} inurl:blogroll"], "guest_post": []},
    )
    planned = queries(camp)
    by_type: dict[str, list[str]] = {}
    for q in planned:
        by_type.setdefault(q.opportunity_type, []).append(q.text)
    assert by_type["resource_page"] == ["composting inurl:blogroll", "worm bin inurl:blogroll"]
    assert "guest_post" not in by_type  # [] = no search for guest posts
    assert len(by_type["broken_link"]) == 2 * len(DEFAULT_FOOTPRINTS["broken_link"])
    only_resources = campaign(opportunity_types=["resource_page"], footprints={})
    assert {q.opportunity_type for q in queries(only_resources)} == {"resource_page"}


# -- SearXNG ------------------------------------------------------------------------------------


def test_searxng_results_are_parsed_and_pages_requested(
    server: SearchApiServer, tmp_path: Path
) -> None:
    settings = searxng(server, tmp_path, results_per_query=5)

    async def go() -> tuple[list[SearchResult], list[SearchResult]]:
        async with make_provider(settings) as provider:
            return await provider.search("compost bin", 1), await provider.search("compost bin", 2)

    first, second = asyncio.run(go())
    assert [hit.params for hit in server.hits] == [
        {"q": "compost bin", "format": "json", "pageno": "1"},
        {"q": "compost bin", "format": "json", "pageno": "2"},
    ]
    assert len(first) == 5  # cut to results_per_query
    assert first[0] == SearchResult(
        SHARED_URL, "Shared resources", "A compost resource list every query finds.", 1
    )
    assert second[0].url.endswith("/p2/r0")
    assert second[0].title == "Result 2.0 for compost bin"
    assert second[0].rank == 11  # SearXNG pages hold 10 results
    assert server.hits[0].headers["User-Agent"].startswith("ProspectorBot/")


def test_pages_per_query_fetches_pages_until_they_run_out(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    settings = searxng(server, tmp_path, pages_per_query=5)
    summary = run(
        settings, campaign(keywords=["composting"], footprints={"resource_page": ["{kw}"]}), store
    )
    assert [hit.params["pageno"] for hit in server.hits] == ["1", "2", "3", "4"]  # 4 was empty
    assert summary.pages == 4
    assert summary.requests == 4


def test_searxng_with_json_disabled_says_how_to_enable_it(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    server.searxng_mode = "json_disabled"
    with pytest.raises(SearchUnavailableError) as caught:
        run(searxng(server, tmp_path), campaign(), store)
    message = str(caught.value)
    assert message.startswith(f"SearXNG at {server.url} refused format=json (HTTP 403)")
    assert "search.formats" in message and "settings.yml" in message
    assert len(server.hits) == 1  # the step stopped at the first answer


def test_searxng_limiter_stops_the_step(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    server.searxng_mode = "limited"
    with pytest.raises(SearchQuotaError, match=r"SearXNG at .* is rate-limiting us \(HTTP 429"):
        run(searxng(server, tmp_path), campaign(), store)
    assert len(server.hits) == 1


def test_searxng_failed_engines_are_a_failure_not_an_empty_answer(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    server.searxng_mode = "engines_failed"
    summary = run(searxng(server, tmp_path), campaign(keywords=["composting"]), store)
    assert len(summary.failures) == 2
    assert "engines failed: google (CAPTCHA), bing (timeout)" in summary.failures[0].error
    assert store.cached_search("searxng", "composting intitle:resources", 1, 3600) is None


# -- Brave ----------------------------------------------------------------------------------------


def test_brave_results_are_parsed_and_the_key_goes_only_in_the_header(
    server: SearchApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_BRAVE_KEY", server.brave_key)
    monkeypatch.delenv("BRAVE_API_KEY", raising=False)
    settings = brave(server, tmp_path, brave_api_key_env="MY_BRAVE_KEY", results_per_query=8)

    async def go() -> tuple[list[SearchResult], list[SearchResult]]:
        async with make_provider(settings) as provider:
            return await provider.search("compost", 1), await provider.search("compost", 2)

    first, second = asyncio.run(go())
    assert [(h.route, h.params) for h in server.hits] == [
        (BRAVE_ROUTE, {"q": "compost", "count": "8", "offset": "0"}),
        (BRAVE_ROUTE, {"q": "compost", "count": "8", "offset": "1"}),
    ]
    for hit in server.hits:
        assert hit.headers["X-Subscription-Token"] == server.brave_key
        assert server.brave_key not in hit.path  # never in the URL
        assert hit.headers["User-Agent"].startswith("ProspectorBot/")
    assert len(first) == 8
    assert first[0] == SearchResult(
        SHARED_URL, "Shared resources", "A compost resource list every query finds.", 1
    )  # <strong> highlighting removed
    assert second[0].rank == 9
    assert second[0].url.endswith("/p2/r0")


def test_brave_without_a_key_says_which_variable_to_set(
    server: SearchApiServer, tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRAVE_API_KEY", raising=False)
    with pytest.raises(SearchAuthError) as caught:
        run(brave(server, tmp_path), campaign(), store)
    assert str(caught.value).startswith("Brave Search needs an API key: set $BRAVE_API_KEY")
    assert server.hits == []


@pytest.mark.parametrize("status", [401, 422])
def test_brave_bad_key_is_one_clear_error(
    server: SearchApiServer,
    tmp_path: Path,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    monkeypatch.setenv("BRAVE_API_KEY", "wrong-key-123")
    server.brave_bad_key_status = status
    with pytest.raises(SearchAuthError) as caught:
        run(brave(server, tmp_path), campaign(), store)
    message = str(caught.value)
    assert message.startswith(
        f"Brave Search rejected the API key in $BRAVE_API_KEY (HTTP {status} "
        "SUBSCRIPTION_TOKEN_INVALID"
    )
    assert "wrong-key-123" not in message
    assert caught.value.exit_code == 2
    assert len(server.hits) == 1  # no further query was tried


def test_brave_quota_exhausted_stops_with_when_it_resets_and_keeps_what_was_found(
    server: SearchApiServer, tmp_path: Path, store: Store, brave_key: str
) -> None:
    server.quota_used = server.quota_limit - 2  # two requests left this month
    with pytest.raises(SearchQuotaError) as caught:
        run(brave(server, tmp_path), campaign(), store)
    message = str(caught.value)
    assert message.startswith(
        "Brave Search quota exhausted (2000 requests a month); resets in 3h (X-RateLimit-Reset)"
    )
    assert caught.value.reset_s == 10_800
    assert len(server.hits) == 3  # two answered, the third refused, nothing after
    assert len(store.candidates("spring")) > 0  # the first two queries' results are kept


def test_brave_per_second_limit_waits_for_the_reset_and_retries(
    server: SearchApiServer, tmp_path: Path, store: Store, brave_key: str
) -> None:
    server.rate_limited_next = 1
    summary = run(brave(server, tmp_path), campaign(keywords=["composting"]), store)
    assert summary.failures == []
    assert summary.requests == 2
    first, retry = server.hits[0], server.hits[1]
    assert first.params == retry.params
    assert retry.at - first.at >= 0.95  # X-RateLimit-Reset said 1 second


# -- failures, the cache, pacing, none -------------------------------------------------------


@pytest.mark.parametrize("provider", ["searxng", "brave"])
def test_a_failing_query_is_recorded_and_the_others_go_on(
    server: SearchApiServer, tmp_path: Path, store: Store, brave_key: str, provider: str
) -> None:
    server.faults = {"composting intitle:resources": "500", 'worm bin "useful links"': "malformed"}
    settings = (searxng if provider == "searxng" else brave)(server, tmp_path)
    summary = run(settings, campaign(), store)
    assert summary.queries == 4
    assert len(server.hits) == 4
    assert [(f.query, f.page) for f in summary.failures] == [
        ("composting intitle:resources", 1),
        ('worm bin "useful links"', 1),
    ]
    assert "(HTTP 500)" in summary.failures[0].error
    assert "not JSON" in summary.failures[1].error
    details = {row["source_detail"] for row in store.candidates("spring")}
    assert details == {'composting "useful links"', "worm bin intitle:resources"}
    assert summary.counts()["failed"] == 2


def test_many_failures_in_a_row_stop_the_step(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    camp = campaign(keywords=[f"kw{i}" for i in range(4)])
    server.faults = {q.text: "500" for q in queries(camp)}
    with pytest.raises(SearchError, match=r"search stopped after 5 failed queries in a row"):
        run(searxng(server, tmp_path), camp, store)
    assert len(server.hits) == 5


def test_a_cached_query_makes_no_request_and_an_expired_one_does(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    settings = searxng(server, tmp_path, cache_ttl_hours=1.0)
    camp = campaign()
    first = run(settings, camp, store)
    assert (first.requests, first.cached) == (4, 0)
    assert len(server.hits) == 4

    again = run(settings, camp, store)
    assert (again.requests, again.cached) == (0, 4)
    assert len(server.hits) == 4  # nothing asked
    assert again.urls == first.urls  # same results, from the database

    stale = store.cached_search("searxng", "worm bin intitle:resources", 1, 3600)
    assert stale is not None
    store.save_search(
        "searxng", "worm bin intitle:resources", 1, stale, fetched_at="2020-01-01T00:00:00+00:00"
    )
    third = run(settings, camp, store)
    assert (third.requests, third.cached) == (1, 3)
    assert [hit.params["q"] for hit in server.hits[4:]] == ["worm bin intitle:resources"]


def test_a_zero_ttl_always_asks(server: SearchApiServer, tmp_path: Path, store: Store) -> None:
    settings = searxng(server, tmp_path, cache_ttl_hours=0)
    run(settings, campaign(), store)
    run(settings, campaign(), store)
    assert len(server.hits) == 8


def test_the_cache_is_per_provider(
    server: SearchApiServer, tmp_path: Path, store: Store, brave_key: str
) -> None:
    run(searxng(server, tmp_path), campaign(), store)
    run(brave(server, tmp_path), campaign(), store)
    assert len(server.routed("/search")) == 4
    assert len(server.routed(BRAVE_ROUTE)) == 4


@pytest.mark.parametrize("provider", ["searxng", "brave"])
def test_requests_are_at_least_min_interval_apart(
    server: SearchApiServer, tmp_path: Path, store: Store, brave_key: str, provider: str
) -> None:
    interval = 0.25
    settings = (searxng if provider == "searxng" else brave)(
        server, tmp_path, min_interval_s=interval, pages_per_query=2
    )
    run(settings, campaign(), store)
    starts = [hit.at for hit in server.hits]
    assert len(starts) == 8
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= interval - 0.01, gaps


def test_provider_none_makes_no_request(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    settings = settings_for(tmp_path, provider="none", searxng_url=server.url)
    summary = run(settings, campaign(), store)
    assert server.hits == []
    assert summary.provider == "none"
    assert summary.queries == 4
    assert (summary.requests, summary.added) == (0, 0)
    assert store.candidates("spring") == []


def test_candidates_are_deduplicated_with_the_query_as_source_detail(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    run_id = store.start_run("prospect", "spring")
    summary = run(searxng(server, tmp_path), campaign(), store, run_id)
    rows = store.candidates("spring")
    urls = [row["url"] for row in rows]
    assert len(urls) == len(set(urls))
    shared = [row for row in rows if row["url"] == SHARED_URL]
    assert len(shared) == 1  # found by every query, and as a tracking-parameter twin
    assert shared[0]["source"] == "search"
    assert shared[0]["source_detail"] == "composting intitle:resources"  # the first query
    assert shared[0]["run_id"] == run_id
    assert OWN_URL not in urls  # the campaign's own site is never a prospect
    assert summary.excluded == 1
    # 4 queries x (10 results - shared, twin, own) + shared once
    assert summary.added == summary.urls == len(rows) == 4 * 7 + 1
    assert {row["source_detail"] for row in rows} == {q.text for q in queries(campaign())}

    again = run(searxng(server, tmp_path), campaign(), store, run_id)
    assert again.added == 0  # nothing is added twice
    assert len(store.candidates("spring")) == len(rows)


def test_campaign_exclusions_drop_results(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    camp = campaign(
        keywords=["composting"],
        exclusions={
            "domains": ["*.shared.example", "shared.example"],
            "url_patterns": ["/r[0-4]$"],
        },
    )
    summary = run(searxng(server, tmp_path), camp, store)
    urls = [row["url"] for row in store.candidates("spring")]
    assert urls
    assert not any("shared.example" in url for url in urls)
    assert all(url.rsplit("/", 1)[1] in {"r5", "r6", "r7", "r8", "r9"} for url in urls)
    assert summary.excluded == 2 + 2 * 5  # shared + own, and r0-r4 of each query


# -- config -------------------------------------------------------------------------------------


def test_search_defaults() -> None:
    search = load_settings(None, env={}).search
    assert search.provider == "none"
    assert search.brave_endpoint == "https://api.search.brave.com"
    assert search.brave_api_key_env == "BRAVE_API_KEY"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[search]\nprovider = "searxng"\n', 'searxng_url is required when provider = "searxng"'),
        ('[search]\nprovider = "bing"\n', "'none', 'searxng' or 'brave'"),
        ('[search]\nsearxng_url = "localhost:8888"\n', "is not an http(s):// URL"),
        ('[search]\nbrave_endpoint = "ftp://x.example"\n', "is not an http(s):// URL"),
        ("[search]\nresults_per_query = 50\n", "less than or equal to 20"),
        ("[search]\npages_per_query = 0\n", "greater than or equal to 1"),
        ("[search]\nmin_interval_s = -1\n", "greater than or equal to 0"),
        ('[search]\nbrave_api_key_env = "my key"\n', "must name an environment variable"),
        ('[search]\nbrave_api_key = "BSAxyz"\n', "search.brave_api_key_env"),
    ],
)
def test_bad_search_settings_name_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    config = tmp_path / "p.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    message = str(caught.value)
    assert message.startswith(f"{config}:")
    assert ": search" in message
    assert fragment in message
    assert "BSAxyz" not in message


def test_search_settings_from_the_environment(tmp_path: Path) -> None:
    env = {
        "PROSPECTOR_SEARCH__PROVIDER": "searxng",
        "PROSPECTOR_SEARCH__SEARXNG_URL": "http://searx.local:8888/",
    }
    search = load_settings(None, env=env).search
    assert search.provider == "searxng"
    assert search.searxng_url == "http://searx.local:8888"  # trailing slash dropped


def test_network_resolve_reaches_the_api_by_host_name(
    server: SearchApiServer, tmp_path: Path, store: Store
) -> None:
    settings = load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "network": {"resolve": {"searx.staging.example": f"127.0.0.1:{server.port}"}},
            "search": {
                "provider": "searxng",
                "searxng_url": "http://searx.staging.example",
                "min_interval_s": 0,
            },
        },
    )
    summary = run(settings, campaign(keywords=["composting"]), store)
    assert summary.failures == []
    assert len(server.hits) == 2
    assert server.hits[0].headers["Host"] == "searx.staging.example"


def test_an_endpoint_that_does_not_resolve_stops_the_step(tmp_path: Path, store: Store) -> None:
    settings = load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "network": {"resolve": {"searx.gone.example": "NXDOMAIN"}},
            "search": {"provider": "searxng", "searxng_url": "http://searx.gone.example"},
        },
    )
    with pytest.raises(SearchUnavailableError, match=r"^SearXNG could not be reached: .*NXDOMAIN"):
        run(settings, campaign(), store)


def test_a_refused_connection_is_a_failure_of_that_query(tmp_path: Path, store: Store) -> None:
    with SearchApiServer() as gone:
        url = gone.url
    summary = run(settings_for(tmp_path, provider="searxng", searxng_url=url), campaign(), store)
    assert len(summary.failures) == 4
    assert summary.failures[0].error.startswith("SearXNG could not be reached:")
