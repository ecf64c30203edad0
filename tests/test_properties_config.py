"""Property-based tests of the config loader and the campaign parser (hypothesis).

For any TOML document, any text and any bytes: loading gives a ``Settings`` (``Campaign``) or
a ``ConfigError`` (``CampaignError``) whose every line names the file and, for a bad value,
the key path, which is a key of the document; never another exception. Valid generated
configs and campaigns survive a round trip through TOML unchanged, and a valid one with one
value broken is refused naming exactly that key.

Runs are bounded (``max_examples``) and derandomized, with no example database, so CI sees
the same examples on every run.
"""

from __future__ import annotations

import re
import string
import zoneinfo
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from prospector.campaigns import Campaign, load_campaign
from prospector.config import Settings, load_settings
from prospector.errors import CampaignError, ConfigError, TemplateError

BOUNDED = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROOT = Path(__file__).resolve().parent.parent

# -- strategies -------------------------------------------------------------------------------

labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
hosts = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(labels, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "example", "co.uk", "io"]),
)
path_chars = string.ascii_letters + string.digits + "-._~/%"


@st.composite
def http_urls(draw: st.DrawFn) -> str:
    """Absolute http(s) URLs as people and exports write them (valid by construction)."""
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    host = draw(hosts)
    port = draw(st.one_of(st.none(), st.integers(1, 65535)))
    path = draw(st.text(path_chars, max_size=20))
    query = draw(st.one_of(st.none(), st.from_regex(r"[a-z]{1,5}=[a-z0-9]{0,5}", fullmatch=True)))
    url = f"{scheme}://{host}" + (f":{port}" if port else "") + "/" + path.lstrip("/")
    return url + (f"?{query}" if query else "")


one_line = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s != "")
emails = st.builds(
    lambda local, host: f"{local}@{host}",
    st.from_regex(r"[a-z0-9._+-]{1,10}", fullmatch=True),
    hosts,
).filter(lambda e: not e.startswith(".") and ".@" not in e)
zones = st.sampled_from(sorted(zoneinfo.available_timezones() - {"Factory", "localtime"}))
clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
weekdays = st.lists(
    st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, unique=True
)
crons = st.builds(
    lambda m, h, dow: f"{m} {h} * * {dow}",
    st.sampled_from(["*", "*/15", "0", "30", "5,35"]),
    st.sampled_from(["*", "9-17", "6", "0-23/2"]),
    st.sampled_from(["*", "mon-fri", "sat,sun", "mon"]),
)
positive = st.floats(0.01, 1000, allow_nan=False, allow_infinity=False)


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A config document every part of which is valid."""
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["database"] = draw(st.from_regex(r"[a-z]{1,8}\.db", fullmatch=True))
    doc["fetch"] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "timeout_s": positive,
                "max_redirects": st.integers(0, 50),
                "retries": st.integers(0, 10),
                "min_host_gap_s": st.floats(0, 60),
                "respect_robots": st.booleans(),
                "user_agent": one_line,
                "max_body_bytes": st.integers(1, 10**9),
            },
        )
    )
    doc["sender"] = draw(
        st.fixed_dictionaries(
            {},
            optional={"name": one_line, "email": emails, "timezone": zones, "website": one_line},
        )
    )
    window = draw(st.tuples(clock, clock).filter(lambda w: w[0] != w[1]))
    doc["sending"] = {
        "window": f"{window[0]}-{window[1]}",
        "days": draw(weekdays),
        "max_per_day": draw(st.integers(0, 10_000)),
        "jitter_s": draw(st.floats(0, 600)),
    }
    doc["schedule"] = draw(
        st.fixed_dictionaries(
            {},
            optional={"send": crons, "verify": crons | st.just(""), "timezone": zones},
        )
    )
    resolve = draw(
        st.dictionaries(
            hosts, st.builds(lambda p: f"127.0.0.1:{p}", st.integers(1, 65535)), max_size=3
        )
    )
    doc["network"] = {"allow_private": draw(st.booleans()), "resolve": resolve}
    doc["smtp"] = {
        "port": draw(st.integers(1, 65535)),
        "security": draw(st.sampled_from(["starttls", "tls", "none"])),
    }
    doc["verify"] = {"lost_after_misses": draw(st.integers(2, 10))}
    return doc


# strings that have broken loaders before or are likely to: paths, hosts, clocks, crons
tricky_strings = st.sampled_from(
    ["", " ", "~", "~nosuchuser/x", "a\x00b", "..", "/", "\n", "NXDOMAIN", "*", "* * * * *",
     "09:00-17:00", "UTC", "127.0.0.1:0", "http://", "https://x/{token}", "\u202e", "-1", "1e999"]
)  # fmt: skip
toml_scalars = st.one_of(
    tricky_strings,
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.text(max_size=20),
    st.dates(),
    st.times(),
    st.datetimes(min_value=datetime(1, 1, 2)),
)


def keys_of(model: type[BaseModel]) -> list[str]:
    out = list(model.model_fields)
    for field in model.model_fields.values():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += keys_of(annotation)
    return out


CONFIG_KEYS = sorted(set(keys_of(Settings)) - {"source"})
random_keys = st.one_of(
    st.sampled_from(CONFIG_KEYS), st.from_regex(r"[a-z_]{1,10}", fullmatch=True)
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(random_keys, inner, max_size=4),
    max_leaves=12,
)
toml_documents = st.dictionaries(random_keys, toml_values, max_size=6)

# -- helpers ------------------------------------------------------------------------------------

_WHERE = re.compile(r"^(?::(?P<line>\d+))?: (?P<rest>.*)$", re.DOTALL)


def check_error_lines(message: str, path: Path, text: str, doc: dict[str, Any] | None) -> None:
    """Every line names the file; a line number is in the file; a key path starts at a key
    of the document (unless the key is missing and required)."""
    lines = message.splitlines()
    assert lines
    for line in lines:
        assert line.startswith(str(path)), line
        match = _WHERE.match(line[len(str(path)) :])
        assert match is not None, line
        if match.group("line"):
            assert 1 <= int(match.group("line")) <= max(1, len(text.splitlines())), line
        rest = match.group("rest")
        whole_file = ("invalid TOML", "not UTF-8", "too large", "the campaign is empty")
        if doc is not None and not rest.startswith(whole_file) and "Field required" not in rest:
            key = rest.split(": ", 1)[0]
            top = re.split(r"[.\[]", key, maxsplit=1)[0]
            assert top in doc, (top, line)


def dump(doc: dict[str, Any]) -> str:
    return tomli_w.dumps(doc)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("props")


# -- the config loader --------------------------------------------------------------------------


@BOUNDED
@given(doc=toml_documents)
def test_any_toml_document_is_settings_or_a_config_error_naming_its_keys(
    folder: Path, doc: dict[str, Any]
) -> None:
    path = folder / "prospector.toml"
    text = dump(doc)
    path.write_text(text)
    try:
        assert isinstance(load_settings(path, env={}), Settings)
    except ConfigError as exc:
        check_error_lines(str(exc), path, text, doc)


@BOUNDED
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_are_settings_or_one_config_error_line(folder: Path, data: bytes) -> None:
    path = folder / "prospector.toml"
    path.write_bytes(data)
    try:
        assert isinstance(load_settings(path, env={}), Settings)
    except ConfigError as exc:
        check_error_lines(str(exc), path, data.decode("utf-8", "replace"), None)


@BOUNDED
@given(doc=valid_configs())
def test_valid_configs_load_and_round_trip(folder: Path, doc: dict[str, Any]) -> None:
    path = folder / "prospector.toml"
    path.write_text(dump(doc))
    first = load_settings(path, env={})
    path.write_text(dump(first.model_dump(mode="json", exclude_none=True)))
    assert load_settings(path, env={}) == first


@BOUNDED
@given(doc=valid_configs(), data=st.data())
def test_one_broken_value_is_refused_naming_exactly_its_key(
    folder: Path, doc: dict[str, Any], data: st.DataObject
) -> None:
    section = data.draw(st.sampled_from(sorted(k for k, v in doc.items() if isinstance(v, dict))))
    fields = type(getattr(Settings(), section)).model_fields
    key = data.draw(st.sampled_from(sorted(fields)))
    doc[section] = {**doc[section], key: data.draw(toml_values)}
    path = folder / "prospector.toml"
    path.write_text(dump(doc))
    try:
        load_settings(path, env={})
    except ConfigError as exc:
        for line in str(exc).splitlines():
            assert re.match(rf"^{re.escape(str(path))}(:\d+)?: {section}(\.{key}|: )", line), line


env_names = st.lists(
    st.sampled_from(CONFIG_KEYS) | st.from_regex(r"[a-z_]{1,6}", fullmatch=True),
    min_size=1,
    max_size=3,
).map(lambda parts: "PROSPECTOR_" + "__".join(part.upper() for part in parts))
env_values = (
    tricky_strings.filter(lambda s: "\x00" not in s)
    | st.sampled_from(
        ["5", "-1", "true", "yes", "[1, 2]", "{a = 1}", '"quoted"', "1979-05-27", "nan", "inf"]
    )
    | st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
)


@BOUNDED
@given(env=st.dictionaries(env_names, env_values, max_size=4))
def test_any_environment_is_settings_or_a_config_error_naming_the_variable(
    folder: Path, env: dict[str, str]
) -> None:
    path = folder / "empty.toml"
    path.write_text("")
    try:
        assert isinstance(load_settings(path, env=env), Settings)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            named = re.match(r"^environment: (PROSPECTOR_[A-Z0-9_]+):", line)
            assert (named and named.group(1) in env) or line.startswith(f"{path}: "), line


# -- the campaign parser ----------------------------------------------------------------------

names = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,15}", fullmatch=True)
words = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda s: s.strip() == s and s != ""
)


@st.composite
def valid_campaigns(draw: st.DrawFn) -> dict[str, Any]:
    targets = draw(
        st.lists(
            st.fixed_dictionaries(
                {"url": http_urls(), "title": words, "summary": words},
                optional={"keywords": st.lists(words, max_size=3)},
            ),
            min_size=1,
            max_size=3,
        )
    )
    days = draw(st.lists(st.integers(1, 90), max_size=3, unique=True))
    doc: dict[str, Any] = {
        "name": draw(names),
        "description": draw(st.text(max_size=40).filter(lambda s: "\x00" not in s)),
        "targets": targets,
        "keywords": draw(st.lists(words, min_size=1, max_size=4)),
        "opportunity_types": draw(
            st.lists(
                st.sampled_from(["broken_link", "resource_page", "guest_post"]),
                min_size=1,
                unique=True,
            )
        ),
        "seeds": {"urls": draw(st.lists(http_urls(), max_size=2))},
        "footprints": {"guest_post": [f"{{kw}} {w}" for w in draw(st.lists(words, max_size=2))]},
        "followups": [{"after_days": d, "template": "followup_1.j2"} for d in sorted(days)],
        "limits": {
            "max_depth": draw(st.integers(0, 10)),
            "prospects_per_domain": draw(st.integers(1, 100)),
        },
        "exclusions": {
            "domains": draw(st.lists(hosts, max_size=2)),
            "url_patterns": [re.escape(w) for w in draw(st.lists(words, max_size=2))],
        },
    }
    if draw(st.booleans()):
        doc["syndicated"] = [{"url": draw(http_urls()), "original": targets[0]["url"]}]
    return doc


@BOUNDED
@given(doc=valid_campaigns())
def test_valid_campaigns_load_and_round_trip(folder: Path, doc: dict[str, Any]) -> None:
    path = folder / f"{doc['name']}.toml"
    path.write_text(dump(doc))
    first = load_campaign(path)
    path.write_text(dump(first.model_dump(mode="json", exclude={"path"}, exclude_none=True)))
    assert load_campaign(path) == first


CAMPAIGN_KEYS = sorted(set(keys_of(Campaign)) - {"path"})
campaign_values = st.recursive(
    toml_scalars | http_urls(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(CAMPAIGN_KEYS), inner, max_size=4)
    ),
    max_leaves=10,
)


@BOUNDED
@given(doc=valid_campaigns(), data=st.data())
def test_any_campaign_document_is_a_campaign_or_an_error_naming_its_keys(
    folder: Path, doc: dict[str, Any], data: st.DataObject
) -> None:
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from([*CAMPAIGN_KEYS, "bogus"]))
        if data.draw(st.booleans()) and key in doc:
            del doc[key]
        else:
            doc[key] = data.draw(campaign_values)
    path = folder / "spring.toml"
    text = dump(doc)
    path.write_text(text)
    try:
        assert isinstance(load_campaign(path), Campaign)
    except CampaignError as exc:
        check_error_lines(str(exc), path, text, doc if doc else None)


@settings(BOUNDED, max_examples=25)
@given(doc=valid_campaigns())
def test_valid_campaigns_load_with_the_shipped_templates(folder: Path, doc: dict[str, Any]) -> None:
    path = folder / f"{doc['name']}.toml"
    path.write_text(dump(doc))
    try:
        assert load_campaign(path, ROOT / "templates").name == doc["name"]
    except TemplateError as exc:  # the shipped templates must render for any campaign
        pytest.fail(f"a shipped template refused a valid campaign: {exc}")


@BOUNDED
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_are_a_campaign_or_one_campaign_error(folder: Path, data: bytes) -> None:
    path = folder / "spring.toml"
    path.write_bytes(data)
    try:
        load_campaign(path)
    except CampaignError as exc:
        check_error_lines(str(exc), path, data.decode("utf-8", "replace"), None)
