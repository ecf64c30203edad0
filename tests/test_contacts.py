"""Contacts: addresses from the prospect page and the site's contact, about and write-for-us
pages; role versus personal; author matching; syntax validation; the cached MX check;
confidence; contact forms; and recall against the demo web's ground truth."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.resolver
import pytest

from prospector.config import Settings, load_settings
from prospector.demo.server import DemoWeb
from prospector.demo.world import default_world
from prospector.qualify import contact_rules as rules
from prospector.qualify.contact_confidence import confidence
from prospector.qualify.contact_mx import check_domains
from prospector.qualify.contacts import ContactResult, contacts_component, find_contacts
from prospector.store import Store, open_db
from prospector.web.extract import extract
from prospector.web.fetch import Fetcher
from tests.conftest import settings_for
from tests.contacts_dns import LocalDns
from tests.contacts_site import (
    ARTICLE,
    ARTICLE_PAGE,
    FORM_ONLY_CONTACT,
    FORM_ONLY_WRITE,
    HOST,
    RESOURCES,
    html,
    serve_bloom,
)
from tests.local_server import LocalServer, fixed


@pytest.fixture
def local() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def dns_server() -> Iterator[LocalDns]:
    zone: dict[str, dict[str, list[str]]] = {
        "bloom.example": {"MX": ["10 mx1.bloom.example.", "20 mx2.bloom.example."]},
        "nullmx.example": {"MX": ["0 ."]},
        "aonly.example": {"A": ["192.0.2.1"]},
        "empty.example": {},
    }
    with LocalDns(zone, silent={"slow.example"}) as server:
        yield server


def settings(server: LocalServer, tmp_path: Path, **contacts: Any) -> Settings:
    return load_settings(
        None,
        env={},
        overrides={
            "database": str(tmp_path / "p.db"),
            "network": {"resolve": {HOST: f"127.0.0.1:{server.port}"}},
            "fetch": {"timeout_s": 10.0, "min_host_gap_s": 0.0, "connect_timeout_s": 5.0},
            "contacts": contacts,
        },
    )


def find(conf: Settings, url: str, **kwargs: Any) -> ContactResult:
    async def go() -> ContactResult:
        async with Fetcher(conf) as fetcher:
            return await find_contacts(fetcher, conf, url, **kwargs)

    return asyncio.run(go())


def by_email(result: ContactResult) -> dict[str, Any]:
    return {c.email: c for c in result.contacts}


# -- rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("editor@site.example", "editorial"),
        ("Guest-Posts@site.example", "editorial"),
        ("submissions+web@site.example", "editorial"),
        ("info2@site.example", "generic"),
        ("hello@site.example", "generic"),
        ("sales.team@site.example", "department"),
        ("webmaster@site.example", "department"),
        ("bloom@bloom.example", "generic"),  # the site's own name
        ("jane.doe@site.example", None),
        ("worms@wormwhisperer.example", None),
    ],
)
def test_role_addresses_are_told_from_personal_ones(address: str, group: str | None) -> None:
    assert rules.role_group(address, "bloom.example") == group


@pytest.mark.parametrize(
    "local", ["jane.doe", "janedoe", "jane_doe", "jane", "jdoe", "j.doe", "janed", "doe.jane"]
)
def test_local_parts_that_fit_a_name(local: str) -> None:
    assert rules.local_fits_name(local, "Jane Doe")


def test_local_parts_that_do_not_fit_a_name() -> None:
    assert not rules.local_fits_name("jo", "Jane Doe")
    assert not rules.local_fits_name("editor", "Jane Doe")
    assert not rules.local_fits_name("janet", "Jane Doe")
    assert rules.local_fits_name("brian.oneill", "Dr. Brian O'Neill")
    assert rules.local_fits_name("jose", "José Álvarez")
    assert rules.local_fits_name("amara.singh", "Amara Singh")


def test_noreply_offsite_and_placeholders() -> None:
    assert rules.is_noreply("no-reply@site.example") and rules.is_noreply("NoReply-7@x.example")
    assert rules.is_noreply("donotreply@site.example")
    assert not rules.is_noreply("reply@site.example")
    assert rules.offsite("tom@gardenhaven.example", "blog.gardenhaven.example") is None
    assert rules.offsite("me@gmail.com", "bloom.example") == "freemail"
    assert rules.offsite("pr@agency.example", "bloom.example") == "other_domain"
    assert rules.placeholder_reason("you@example.com") is not None
    assert rules.placeholder_reason("info@bloom.example") is None


def test_confidence_rules_order_the_typical_cases() -> None:
    def conf(**kw: Any) -> float:
        base: dict[str, Any] = {"role": None, "name_from": None, "pages_seen": 1,
                                "offsite": None, "mx_ok": None, "guest_post": False}  # fmt: skip
        return confidence(**(base | kw))[0]

    guest_editor = conf(page="write_for_us", role="editorial", guest_post=True)
    author = conf(page="prospect", name_from="page_author")
    about_only = conf(page="about", role="generic")
    dead_mx = conf(page="write_for_us", role="editorial", guest_post=True, mx_ok=False)
    assert guest_editor >= 0.9 and author >= 0.9
    assert 0.4 <= about_only <= 0.6
    assert dead_mx <= 0.15
    assert conf(page="contact", role="department") < conf(page="contact", role="generic")
    assert conf(page="contact", offsite="freemail") < conf(page="contact")
    assert conf(page="contact", offsite="other_domain") < conf(page="contact", offsite="freemail")
    _, reasons = confidence(page="about", role=None, name_from="site_author", pages_seen=2,
                            offsite=None, mx_ok=True, guest_post=False)  # fmt: skip
    assert any("author of the site" in r for r in reasons) and any("MX" in r for r in reasons)


# -- the site -----------------------------------------------------------------------------------


def test_every_page_and_obfuscation_is_read(local: LocalServer, tmp_path: Path) -> None:
    serve_bloom(local)
    result = find(settings(local, tmp_path), f"http://{HOST}{ARTICLE}")
    found = by_email(result)
    how = {email: c.how for email, c in found.items()}
    assert how == {
        "submissions@bloom.example": "plain",
        "editor@bloom.example": "js",
        "jane.doe@bloom.example": "at_dot",
        "sam.green@bloom.example": "paren_at",
        "info@bloom.example": "mailto",
        "bloomgardener@gmail.com": "plain",
        "hello@bloom.example": "entities",
        "sales@bloom.example": "cfemail",
    }
    pages = {email: c.page for email, c in found.items()}
    assert pages["submissions@bloom.example"] == pages["editor@bloom.example"] == "write_for_us"
    assert pages["jane.doe@bloom.example"] == "prospect"
    assert pages["info@bloom.example"] == pages["sales@bloom.example"] == "contact"
    assert pages["hello@bloom.example"] == pages["sam.green@bloom.example"] == "about"
    assert found["info@bloom.example"].source_url == f"http://{HOST}/contact-page.html"
    # linked pages are used instead of guessing the configured paths
    assert "/contact" not in local.paths() and "/contact-us" not in local.paths()
    assert local.paths().count("/write-for-us/") == 1


def test_role_and_personal_addresses_and_author_matching(
    local: LocalServer, tmp_path: Path
) -> None:
    serve_bloom(local)
    found = by_email(find(settings(local, tmp_path), f"http://{HOST}{ARTICLE}"))
    kinds = {email: c.kind for email, c in found.items()}
    assert {e for e, k in kinds.items() if k == "personal"} == {
        "jane.doe@bloom.example",
        "sam.green@bloom.example",
        "bloomgardener@gmail.com",
    }
    jane, sam = found["jane.doe@bloom.example"], found["sam.green@bloom.example"]
    assert (jane.name, jane.name_from) == ("Jane Doe", "page_author")
    assert (sam.name, sam.name_from) == ("Sam Green", "site_author")
    assert found["bloomgardener@gmail.com"].name is None
    assert found["bloomgardener@gmail.com"].offsite == "freemail"
    assert found["info@bloom.example"].offsite is None


def test_noreply_and_invalid_addresses_are_dropped_with_the_reason(
    local: LocalServer, tmp_path: Path
) -> None:
    serve_bloom(local)
    result = find(settings(local, tmp_path), f"http://{HOST}{ARTICLE}")
    rejected = {r.address: r.reason for r in result.rejected}
    assert rejected["noreply@bloom.example"] == "a no-reply address"
    assert "special-use or reserved" in rejected["someone@mail.test"]
    assert "too long" in rejected[f"{'a' * 65}@bloom.example"]
    assert not set(rejected) & set(by_email(result))
    assert all(c.syntax_ok for c in result.contacts)


def test_confidence_orders_the_contacts_best_first(local: LocalServer, tmp_path: Path) -> None:
    serve_bloom(local)
    result = find(settings(local, tmp_path), f"http://{HOST}{ARTICLE}")
    order = [c.email for c in result.contacts]
    scores = [c.confidence for c in result.contacts]
    assert scores == sorted(scores, reverse=True)
    assert set(order[:2]) == {"editor@bloom.example", "submissions@bloom.example"}
    assert order[2] == "jane.doe@bloom.example"  # the page's author, high
    found = by_email(result)
    assert found["submissions@bloom.example"].confidence >= 0.9
    assert found["jane.doe@bloom.example"].confidence >= 0.85
    assert 0.4 <= found["hello@bloom.example"].confidence <= 0.6  # only on the about page
    assert found["sales@bloom.example"].confidence < found["info@bloom.example"].confidence
    assert found["bloomgardener@gmail.com"].confidence < found["info@bloom.example"].confidence
    assert result.forms == ()  # addresses exist: the contact form is only noted
    assert any("contact form is also at" in n for n in result.notes)


def test_the_component_explains_the_best_contacts(local: LocalServer, tmp_path: Path) -> None:
    serve_bloom(local)
    result = find(settings(local, tmp_path), f"http://{HOST}{ARTICLE}")
    component = contacts_component(result)
    assert component.name == "contact"
    assert component.score == pytest.approx(100 * result.contacts[0].confidence)
    assert component.reasons[0].startswith("editor@bloom.example (role, on the write-for-us page")
    assert component.reasons[0].endswith("confidence 0.95)")
    assert any("dropped 3 address(es)" in r for r in component.reasons)
    assert component.evidence["contacts"][0]["source"] == "write_for_us:js"


def test_a_guest_post_prospect_favours_editorial_roles(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/pitching/"] = fixed(200, html("Pitching", "<p>Ideas: ideas@bloom.example</p>"))
    local.routes["/contact"] = fixed(200, html("Contact", "<p>editor@bloom.example</p>"))
    conf = settings(local, tmp_path)
    plain = by_email(find(conf, f"http://{HOST}/pitching/"))
    guest = by_email(find(conf, f"http://{HOST}/pitching/", opportunity="guest_post"))
    assert plain["ideas@bloom.example"].page == "prospect"
    assert guest["ideas@bloom.example"].page == "write_for_us"
    editor = guest["editor@bloom.example"].confidence
    assert editor > plain["editor@bloom.example"].confidence and editor >= 0.85


def test_the_write_for_us_page_as_the_prospect(local: LocalServer, tmp_path: Path) -> None:
    serve_bloom(local)
    result = find(settings(local, tmp_path), f"http://{HOST}/write-for-us/")
    found = by_email(result)
    assert (found["editor@bloom.example"].page, found["editor@bloom.example"].how) == (
        "write_for_us",
        "js",
    )
    assert found["submissions@bloom.example"].confidence >= 0.9
    assert local.paths().count("/write-for-us/") == 1  # not read again as a site page
    assert "/write-for-us" not in local.paths()


def test_a_comment_form_is_no_contact_form(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/post/"] = fixed(200, html("A post", "<p>Words.</p><form action='/comment'>"
                                             "<textarea name='comment'></textarea></form>"))  # fmt: skip
    result = find(settings(local, tmp_path), f"http://{HOST}/post/")
    assert (result.contacts, result.forms) == ((), ())


def test_forms_are_recorded_when_no_address_exists(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/resources/"] = fixed(200, RESOURCES)
    local.routes["/contact/"] = fixed(200, FORM_ONLY_CONTACT)
    local.routes["/write-for-us"] = fixed(200, FORM_ONLY_WRITE)
    result = find(settings(local, tmp_path), f"http://{HOST}/resources/")
    assert result.contacts == ()
    assert [(f.url, f.page, f.action) for f in result.forms] == [
        (f"http://{HOST}/write-for-us", "write_for_us", f"http://{HOST}/pitch"),
        (f"http://{HOST}/contact/", "contact", f"http://{HOST}/contact/send"),
    ]
    component = contacts_component(result)
    assert component.score == pytest.approx(45.0)
    assert component.reasons[0].startswith(f"contact form at http://{HOST}/write-for-us")
    # every configured path was tried; 404s are fine
    assert {"/contact", "/contact/", "/about", "/about/", "/about-us"} <= set(local.paths())
    assert "/contact-us" not in local.paths()  # the contact page was found before it


def test_nothing_found_is_a_zero_component(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/resources/"] = fixed(200, RESOURCES)
    result = find(settings(local, tmp_path), f"http://{HOST}/resources/")
    assert (result.contacts, result.forms) == ((), ())
    assert "no address and no contact form found" in result.notes
    component = contacts_component(result)
    assert component.score == 0.0 and component.reasons == ("no contact address or form found",)


def test_a_given_extraction_is_used_without_fetching_the_page(
    local: LocalServer, tmp_path: Path
) -> None:
    serve_bloom(local)
    url = f"http://{HOST}{ARTICLE}"
    result = find(settings(local, tmp_path), url, page_extraction=extract(ARTICLE_PAGE, url))
    assert ARTICLE not in local.paths()
    assert by_email(result)["jane.doe@bloom.example"].name_from == "page_author"


def test_robots_and_unreadable_pages_become_notes(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/robots.txt"] = fixed(200, b"User-agent: *\nDisallow: /contact\n",
                                        Content_Type="text/plain")  # fmt: skip
    local.routes["/resources/"] = fixed(200, RESOURCES)
    local.routes["/about"] = fixed(500, b"oops")
    result = find(settings(local, tmp_path), f"http://{HOST}/resources/")
    assert f"http://{HOST}/contact: disallowed by robots.txt" in result.notes
    assert f"http://{HOST}/about: HTTP 500" in result.notes
    assert "/contact" not in local.paths()


def test_an_unreachable_prospect_page_is_a_note(local: LocalServer, tmp_path: Path) -> None:
    result = find(settings(local, tmp_path), f"http://{HOST}/gone/")
    assert any(n.startswith("the prospect page could not be read: HTTP 404") for n in result.notes)


# -- MX -----------------------------------------------------------------------------------------


def test_mx_answers_from_a_local_dns_server(dns_server: LocalDns) -> None:
    domains = ["bloom.example", "nullmx.example", "aonly.example", "empty.example",
               "gone.example", "slow.example"]  # fmt: skip
    answers = asyncio.run(check_domains(domains, resolver=dns_server.resolver(lifetime=0.5)))
    got = {d: a.ok for d, a in answers.items()}
    assert got == {
        "bloom.example": True,
        "nullmx.example": False,
        "aonly.example": True,
        "empty.example": False,
        "gone.example": False,
        "slow.example": None,
    }
    assert answers["bloom.example"].detail == "MX mx1.bloom.example (10), mx2.bloom.example (20)"
    assert "null MX" in answers["nullmx.example"].detail
    assert "NXDOMAIN" in answers["gone.example"].detail


def test_a_blocking_resolver_can_be_injected(dns_server: LocalDns) -> None:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = dns_server.port
    answers = asyncio.run(check_domains(["bloom.example"], resolver=resolver))
    assert answers["bloom.example"].ok is True


def test_mx_answers_are_cached_per_domain(dns_server: LocalDns, tmp_path: Path) -> None:
    resolver = dns_server.resolver(lifetime=0.5)
    with open_db(tmp_path / "p.db") as store:
        first = asyncio.run(check_domains(["bloom.example", "slow.example"], resolver=resolver,
                                          cache=store, cache_days=7))  # fmt: skip
        assert not first["bloom.example"].cached
        asked = dns_server.count("bloom.example"), dns_server.count("slow.example")
        again = asyncio.run(check_domains(["bloom.example", "slow.example"], resolver=resolver,
                                          cache=store, cache_days=7))  # fmt: skip
        assert again["bloom.example"].cached and again["bloom.example"].ok is True
        assert dns_server.count("bloom.example") == asked[0]  # no query within the TTL
        assert dns_server.count("slow.example") > asked[1]  # unknown answers are not cached
        assert store.mx_cached("slow.example", 7) is None
        time.sleep(1.2)
        asyncio.run(check_domains(["bloom.example"], resolver=resolver, cache=store,
                                  cache_days=1 / 86400))  # fmt: skip
        assert dns_server.count("bloom.example") > asked[0]  # expired: asked again


def test_find_contacts_checks_mx_when_asked(
    local: LocalServer, dns_server: LocalDns, tmp_path: Path
) -> None:
    local.routes["/resources/"] = fixed(200, RESOURCES)
    local.routes["/contact"] = fixed(200, html(
        "Contact", "<p>info@bloom.example</p><p>Agency: pr@nullmx.example</p>"
        "<p>Old: editor@gone.example</p>"))  # fmt: skip
    url = f"http://{HOST}/resources/"
    resolver = dns_server.resolver()
    off = find(settings(local, tmp_path), url, resolver=resolver)
    assert all(c.mx_ok is None for c in off.contacts)
    assert sum(dns_server.queries.values()) == 0  # mx_check is off by default
    conf = settings(local, tmp_path, mx_check=True)
    with open_db(conf.database) as store:
        result = find(conf, url, resolver=resolver, store=store)
        found = by_email(result)
        assert found["info@bloom.example"].mx_ok is True
        assert found["pr@nullmx.example"].mx_ok is False
        assert found["editor@gone.example"].mx_ok is False
        assert found["pr@nullmx.example"].confidence <= 0.15
        assert found["editor@gone.example"].confidence <= 0.15
        assert result.contacts[0].email == "info@bloom.example"
        assert any("MX nullmx.example: null MX" in n for n in result.notes)
        queries = sum(dns_server.queries.values())
        cached = find(conf, url, resolver=resolver, store=store)
        assert sum(dns_server.queries.values()) == queries
        assert [c.mx_ok for c in cached.contacts] == [c.mx_ok for c in result.contacts]
        assert any("(cached)" in n for n in cached.notes)


# -- the store ----------------------------------------------------------------------------------


def _prospect(store: Store) -> int:
    prospect_id = store.add_prospect("demo", "guest_post", f"http://{HOST}/write-for-us/",
                                     HOST, {})  # fmt: skip
    assert prospect_id is not None
    return prospect_id


def test_contacts_are_saved_and_replaced_atomically(local: LocalServer, tmp_path: Path) -> None:
    serve_bloom(local)
    result = find(settings(local, tmp_path), f"http://{HOST}{ARTICLE}")
    with open_db(tmp_path / "p.db") as store:
        prospect_id = _prospect(store)
        store.save_contacts(prospect_id, result)
        store.save_contacts(prospect_id, result)  # again: nothing duplicated
        rows = store.contacts_of(prospect_id)
        assert [r["email"] for r in rows] == [c.email for c in result.contacts]
        top = rows[0]
        assert top["kind"] == "role" and top["page"] == "write_for_us"
        assert top["syntax_ok"] is True and top["mx_ok"] is None
        gmail = next(r for r in rows if r["email"] == "bloomgardener@gmail.com")
        assert (gmail["how"], gmail["offsite"]) == ("plain", "freemail")
        jane = next(r for r in rows if r["email"] == "jane.doe@bloom.example")
        assert jane["name"] == "Jane Doe"
        store.save_contacts(prospect_id, ContactResult(page_url=result.page_url))
        assert store.contacts_of(prospect_id) == []


def test_forms_are_saved_as_contact_rows(local: LocalServer, tmp_path: Path) -> None:
    local.routes["/resources/"] = fixed(200, RESOURCES)
    local.routes["/contact/"] = fixed(200, FORM_ONLY_CONTACT)
    result = find(settings(local, tmp_path), f"http://{HOST}/resources/")
    with open_db(tmp_path / "p.db") as store:
        prospect_id = _prospect(store)
        store.save_contacts(prospect_id, result)
        [row] = store.contacts_of(prospect_id)
        assert (row["kind"], row["email"], row["page"]) == ("form", None, "contact")
        assert row["form_url"] == f"http://{HOST}/contact/send"
        assert row["source_url"] == f"http://{HOST}/contact/"


# -- the demo web -------------------------------------------------------------------------------


def _expected(truth: dict[str, Any], page: dict[str, Any]) -> dict[str, str]:
    """The truth's addresses of a page and of its site's contact and write-for-us pages."""
    want = {e["address"]: e["type"] for e in page["emails"]}
    for other in truth["pages"]:
        if other["host"] == page["host"] and other["kind"] in ("contact", "guest_post"):
            want.update({e["address"]: e["type"] for e in other["emails"]})
    return want


@pytest.mark.integration
def test_demo_recall_on_guest_post_and_resource_pages(
    demo_web: DemoWeb, demo_settings: Settings
) -> None:
    truth = default_world().truth()
    pages = [p for p in truth["pages"] if p["kind"] in ("guest_post", "resource_page")]
    assert pages

    async def go() -> list[ContactResult]:
        async with Fetcher(demo_settings) as fetcher:
            jobs = (find_contacts(fetcher, demo_settings, p["url"]) for p in pages)
            return list(await asyncio.gather(*jobs))

    results = zip(pages, asyncio.run(go()), strict=True)
    expected = found = 0
    misses = []
    for page, result in results:
        got = {c.email: c.kind for c in result.contacts}
        for address, kind in _expected(truth, page).items():
            expected += 1
            if got.get(address) == kind:
                found += 1
            else:
                misses.append((page["url"], address, kind, got.get(address)))
        if page["kind"] == "guest_post" and page["emails"]:
            best = result.contacts[0]
            assert best.page == "write_for_us" and best.kind == "role", page["url"]
    recall = found / expected
    print(f"demo contact recall: {found}/{expected} = {recall:.0%}")
    assert expected >= 40
    assert misses == [] and recall == 1.0


@pytest.mark.integration
def test_demo_personal_address_matches_the_page_author(demo_web: DemoWeb, tmp_path: Path) -> None:
    truth = default_world().truth()
    page = next(p for p in truth["pages"] if p["url"].endswith("/guides/hot-composting"))
    conf = settings_for(demo_web, tmp_path)
    result = find(conf, page["url"])
    best = result.contacts[0]
    assert (best.email, best.kind, best.name) == (
        "hannah@soilsmith.example",
        "personal",
        page["author"],
    )
    assert best.name_from == "page_author" and best.confidence >= 0.85
