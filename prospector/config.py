"""Typed settings, resolved once: defaults -> config file -> environment -> flags.

The file is found as ``--config FILE``, else ``$PROSPECTOR_CONFIG``, else ``./prospector.toml``,
else built-in defaults. Environment overrides are ``PROSPECTOR_<SECTION>__<KEY>=value``
(values parsed as TOML, else taken as strings). Unknown keys, wrong types and bad values are
errors naming the file (or variable) and the key path. Secrets never live in the file: the file
names the environment variable that holds each one.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from prospector.errors import ConfigError
from prospector.mail_settings import ENV_NAME, env_name
from prospector.mail_settings import WEEKDAYS as WEEKDAYS
from prospector.mail_settings import ImapSettings as ImapSettings
from prospector.mail_settings import MailServer as MailServer
from prospector.mail_settings import SenderSettings as SenderSettings
from prospector.mail_settings import SendingSettings as SendingSettings
from prospector.mail_settings import SmtpSettings as SmtpSettings
from prospector.mail_settings import Weekday as Weekday
from prospector.schedule_settings import JOBS as JOBS
from prospector.schedule_settings import ScheduleSettings as ScheduleSettings
from prospector.schedule_settings import cron_trigger as cron_trigger
from prospector.validation import Strict, read_toml_text, validate
from prospector.web_settings import BrowserSettings as BrowserSettings
from prospector.web_settings import FetchSettings as FetchSettings
from prospector.web_settings import NetworkSettings as NetworkSettings
from prospector.web_settings import parse_target as parse_target

ENV_PREFIX = "PROSPECTOR_"
ENV_RESERVED = {"PROSPECTOR_CONFIG", "PROSPECTOR_DEBUG", "PROSPECTOR_USER"}
DEFAULT_FILE = Path("prospector.toml")
SearchProviderName = Literal["none", "searxng", "brave"]
BRAVE_ENDPOINT = "https://api.search.brave.com"


def _api_url(value: str) -> str:
    """An API base URL: http(s), a host, no query or fragment; trailing '/' dropped."""
    value = value.strip().rstrip("/")
    if not value:
        return value
    parts = urlsplit(value)
    if "@" in parts.netloc:  # never echoed: the part before '@' may be a password
        raise ValueError(
            "must not carry a user name or password (secrets come from the environment)"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{value}' is not an http(s):// URL")
    if parts.query or parts.fragment:
        raise ValueError(f"'{value}' must not carry a query or fragment")
    return value


class SearchSettings(Strict):
    """Where discovery's search queries go. Endpoints are configured by the user and trusted."""

    provider: SearchProviderName = "none"
    searxng_url: str = ""
    brave_endpoint: str = BRAVE_ENDPOINT
    brave_api_key_env: str = "BRAVE_API_KEY"
    results_per_query: int = Field(20, ge=1, le=20)
    pages_per_query: int = Field(1, ge=1, le=10)
    min_interval_s: float = Field(1.1, ge=0, le=3600)
    cache_ttl_hours: float = Field(168.0, ge=0)
    timeout_s: float = Field(20.0, gt=0, le=300)

    @field_validator("searxng_url", "brave_endpoint")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _api_url(value)

    @field_validator("brave_api_key_env")
    @classmethod
    def _check_env(cls, value: str) -> str:
        if value and not ENV_NAME.match(value):
            raise ValueError("must name an environment variable, e.g. BRAVE_API_KEY")
        return value

    @model_validator(mode="after")
    def _provider_needs(self) -> SearchSettings:
        if self.provider == "searxng" and not self.searxng_url:
            raise ValueError(
                'searxng_url is required when provider = "searxng" '
                '(e.g. searxng_url = "http://localhost:8888")'
            )
        if self.provider == "brave" and not self.brave_endpoint:
            raise ValueError('brave_endpoint is required when provider = "brave"')
        if self.provider == "brave" and not self.brave_api_key_env:
            raise ValueError(
                'brave_api_key_env is required when provider = "brave": '
                "name the environment variable that holds the API key"
            )
        return self


DEFAULT_PROBE_PATHS = (
    "/write-for-us",
    "/write-for-us/",
    "/contribute",
    "/contribute/",
    "/guest-post",
    "/guest-post-guidelines",
    "/submit-a-guest-post",
    "/resources",
    "/resources/",
    "/links",
    "/links/",
    "/useful-links",
    "/useful-links/",
)


class DiscoverySettings(Strict):
    concurrency: int = Field(8, ge=1, le=256)
    max_pages_per_run: int = Field(2000, ge=1)
    render: Literal["auto", "always", "never"] = "auto"
    probe_paths: list[str] = Field(default_factory=lambda: list(DEFAULT_PROBE_PATHS))
    sitemaps: bool = True
    recheck_after_hours: float = Field(20.0, ge=0)
    confirm_dead_after_hours: float = Field(6.0, ge=0)

    @field_validator("probe_paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/"):
                raise ValueError(f"'{path}' must start with '/'")
        return value


class WaybackSettings(Strict):
    enabled: bool = True
    availability_url: str = "https://archive.org/wayback/available"
    cdx_url: str = "https://web.archive.org/cdx/search/cdx"
    snapshot_url: str = "https://web.archive.org/web"

    @field_validator("availability_url", "cdx_url", "snapshot_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _api_url(value)


AuthorityProvider = Literal["ranks", "open_pagerank", "moz", "link_graph"]
DEFAULT_PROVIDERS: tuple[AuthorityProvider, ...] = ("ranks", "open_pagerank", "moz", "link_graph")


class ScoreSettings(Strict):
    relevance_weight: float = Field(0.4, ge=0)
    authority_weight: float = Field(0.25, ge=0)
    quality_weight: float = Field(0.2, ge=0)
    fit_weight: float = Field(0.15, ge=0)
    spam_threshold: float = Field(60.0, ge=0, le=100)

    @model_validator(mode="after")
    def _some_weight(self) -> ScoreSettings:
        total = (
            self.relevance_weight + self.authority_weight + self.quality_weight + self.fit_weight
        )
        if total <= 0:
            raise ValueError("at least one score weight must be above 0")
        return self


class RelevanceSettings(Strict):
    backend: Literal["tfidf", "embedding"] = "tfidf"
    embedding_model: str = ""

    @model_validator(mode="after")
    def _model_named(self) -> RelevanceSettings:
        if self.backend == "embedding" and not self.embedding_model:
            raise ValueError("backend 'embedding' needs relevance.embedding_model")
        return self


class AuthoritySettings(Strict):
    providers: list[AuthorityProvider] = Field(default_factory=lambda: list(DEFAULT_PROVIDERS))
    combine: Literal["first", "weighted"] = "first"
    weights: dict[AuthorityProvider, float] = Field(default_factory=dict)
    open_pagerank_endpoint: str = "https://openpagerank.com/api/v1.0/getPageRank"
    open_pagerank_key_env: str = "OPEN_PAGERANK_KEY"
    moz_endpoint: str = "https://lsapi.seomoz.com/v2/url_metrics"
    moz_token_env: str = "MOZ_API_TOKEN"
    cache_days: float = Field(30.0, ge=0)

    @field_validator("open_pagerank_key_env", "moz_token_env")
    @classmethod
    def _env(cls, value: str) -> str:
        return env_name(value, "the key's variable")

    @field_validator("open_pagerank_endpoint", "moz_endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return _api_url(value)


class ContactSettings(Strict):
    pages: list[str] = Field(
        default_factory=lambda: [
            "/contact",
            "/contact/",
            "/contact-us",
            "/about",
            "/about/",
            "/about-us",
            "/write-for-us",
            "/write-for-us/",
        ]
    )
    mx_check: bool = False
    mx_cache_days: float = Field(7.0, ge=0)


class VerifySettings(Strict):
    """Checking earned links and syndicated copies (``prospector verify``)."""

    render: bool = True
    concurrency: int = Field(4, ge=1, le=64)
    lost_after_misses: int = Field(2, ge=2, le=10)


class Settings(Strict):
    database: Path = Path("prospector.db")
    campaigns_dir: Path = Path("campaigns")
    templates_dir: Path = Path("templates")
    outbox_dir: Path = Path("outbox")
    reports_dir: Path = Path("reports")
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    browser: BrowserSettings = Field(default_factory=BrowserSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    imap: ImapSettings = Field(default_factory=ImapSettings)
    sender: SenderSettings = Field(default_factory=SenderSettings)
    sending: SendingSettings = Field(default_factory=SendingSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    discovery: DiscoverySettings = Field(default_factory=DiscoverySettings)
    wayback: WaybackSettings = Field(default_factory=WaybackSettings)
    scores: ScoreSettings = Field(default_factory=ScoreSettings)
    relevance: RelevanceSettings = Field(default_factory=RelevanceSettings)
    authority: AuthoritySettings = Field(default_factory=AuthoritySettings)
    contacts: ContactSettings = Field(default_factory=ContactSettings)
    verify: VerifySettings = Field(default_factory=VerifySettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    source: Path | None = Field(None, exclude=True)


_PATH_KEYS = (
    ("database",),
    ("campaigns_dir",),
    ("templates_dir",),
    ("outbox_dir",),
    ("reports_dir",),
    ("network", "ca_bundle"),
    ("browser", "executable_path"),
)


def find_config(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    """Which file to load: the flag, then $PROSPECTOR_CONFIG, then ./prospector.toml."""
    if explicit is not None:
        return explicit
    named = env.get("PROSPECTOR_CONFIG")
    if named:
        return Path(named)
    return DEFAULT_FILE if DEFAULT_FILE.exists() else None  # a folder by that name: an error


def load_settings(
    explicit: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Resolve settings once from defaults, the file, the environment and flags."""
    env = os.environ if env is None else env
    path = find_config(explicit, env)
    data: dict[str, Any] = {}
    text: str | None = None
    base = Path.cwd()
    if path is not None:
        if path.is_dir() or not path.exists():
            problem = (
                "is a directory, not a config file" if path.is_dir() else "config file not found"
            )
            raise ConfigError(f"{path}: {problem}")
        data, text = read_toml_text(path, ConfigError)
        base = path.resolve().parent
        validate(Settings, data, source=str(path), error=ConfigError, text=text)
    env_data = env_overrides(env)
    if env_data:
        try:
            validate(Settings, _merge(data, env_data), source="environment", error=ConfigError)
        except ConfigError as exc:
            raise ConfigError(_name_variables(str(exc), env_names(env))) from None
    merged = _merge(_merge(data, env_data), dict(overrides or {}))
    settings = validate(
        Settings, merged, source=str(path or "settings"), error=ConfigError, text=text
    )
    return _absolute(settings, base, path)


def _name_variables(message: str, names: Iterable[str]) -> str:
    """'environment: fetch.timeout_s: ...' -> 'environment: PROSPECTOR_FETCH__TIMEOUT_S: ...':
    the variable that set the key (or set something inside it)."""
    paths = {name: name[len(ENV_PREFIX) :].lower().split("__") for name in sorted(names)}

    def name(match: re.Match[str]) -> str:
        key = [part for part in re.sub(r"\[\d+\]", "", match.group(1)).split(".") if part]
        found = next((n for n, p in paths.items() if p[: len(key)] == key), None)
        found = found or next((n for n, p in paths.items() if key[: len(p)] == p), None)
        return f"environment: {found or ENV_PREFIX + '__'.join(key).upper()}:"

    return re.sub(r"^environment: ([^:\s]+):", name, message, flags=re.MULTILINE)


def env_names(env: Mapping[str, str]) -> list[str]:
    """The variables that override settings."""
    return [n for n in env if n.startswith(ENV_PREFIX) and n not in ENV_RESERVED]


def env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """``PROSPECTOR_FETCH__TIMEOUT_S=5`` -> ``{"fetch": {"timeout_s": 5}}``."""
    out: dict[str, Any] = {}
    for name, raw in sorted(env.items()):  # a whole section before its keys
        if not name.startswith(ENV_PREFIX) or name in ENV_RESERVED:
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if not all(path):
            raise ConfigError(f"environment: {name}: malformed variable name")
        if path[0] not in Settings.model_fields or path[0] == "source":
            raise ConfigError(f"environment: {name}: unknown setting '{'.'.join(path)}'")
        node = out
        for depth, part in enumerate(path[:-1], start=1):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                whole = ENV_PREFIX + "__".join(path[:depth]).upper()
                raise ConfigError(
                    f"environment: {name}: {whole} already sets {'.'.join(path[:depth])} "
                    "as a whole: set one of the two"
                )
        node[path[-1]] = _parse_env_value(raw)
    return out


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _absolute(settings: Settings, base: Path, source: Path | None) -> Settings:
    """Relative paths in a config file are relative to that file's folder."""
    update: dict[str, Any] = {"source": source.resolve() if source else None}
    sections: dict[str, dict[str, Any]] = {}
    for keys in _PATH_KEYS:
        holder: Any = settings
        for key in keys[:-1]:
            holder = getattr(holder, key)
        value = getattr(holder, keys[-1])
        if value is None:
            continue
        try:
            value = Path(value).expanduser()
        except RuntimeError:  # '~name/...' for a user that does not exist, or no home
            where = str(source) if source else "settings"
            raise ConfigError(
                f"{where}: {'.'.join(keys)}: '{value}': cannot expand '~' (no such user)"
            ) from None
        resolved = value if value.is_absolute() else base / value
        if len(keys) == 1:
            update[keys[0]] = resolved
        else:
            sections.setdefault(keys[0], {})[keys[1]] = resolved
    for section, values in sections.items():
        update[section] = getattr(settings, section).model_copy(update=values)
    return settings.model_copy(update=update)
