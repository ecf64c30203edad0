"""Settings of the web side: where connections may go (the network guard's mappings), how
pages are fetched, and how Chromium is run. Part of ``prospector.config`` (re-exported there)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from prospector.validation import Strict

DEFAULT_USER_AGENT = (
    "ProspectorBot/0.1 (+https://github.com/prospector-seo/prospector; outreach research)"
)

_HOST_PATTERN = re.compile(
    r"^(\*\.)?([a-z0-9_]([a-z0-9_\-]*[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_\-]*[a-z0-9_])?\.?$"
)


def parse_target(value: str) -> tuple[str, int | None] | None:
    """``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or ``NXDOMAIN`` (returned as None)."""
    if value.upper() == "NXDOMAIN":
        return None
    host, port = value, None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise ValueError(f"'{value}' is not IP, IP:PORT or NXDOMAIN")
        host, rest = value[1:end], value[end + 1 :]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise ValueError(f"'{value}' is not IP, IP:PORT or NXDOMAIN")
            port = int(rest[1:])
    elif value.count(":") == 1:
        host, _, tail = value.partition(":")
        if not tail.isdigit():
            raise ValueError(f"'{value}' is not IP, IP:PORT or NXDOMAIN")
        port = int(tail)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"'{value}' is not IP, IP:PORT or NXDOMAIN") from None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"port {port} out of range in '{value}'")
    return host, port


class NetworkSettings(Strict):
    allow_private: bool = False
    resolve: dict[str, str] = Field(default_factory=dict)
    ca_bundle: Path | None = None

    @field_validator("resolve")
    @classmethod
    def _check_resolve(cls, value: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for pattern, target in value.items():
            host = pattern.strip().lower()
            if not _HOST_PATTERN.match(host):
                raise ValueError(f"'{pattern}' is not a host name or *.pattern")
            parse_target(target.strip())
            out[host.rstrip(".")] = target.strip()
        return out


class FetchSettings(Strict):
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1)
    timeout_s: float = Field(20.0, gt=0)
    connect_timeout_s: float = Field(10.0, gt=0)
    max_body_bytes: int = Field(5_000_000, gt=0)
    max_decompressed_bytes: int = Field(20_000_000, gt=0)
    max_redirects: int = Field(20, ge=0, le=50)
    global_concurrency: int = Field(32, ge=1)
    per_host_concurrency: int = Field(2, ge=1)
    min_host_gap_s: float = Field(1.0, ge=0)
    retries: int = Field(2, ge=0, le=10)
    max_retry_after_s: float = Field(30.0, ge=0)
    respect_robots: bool = True
    head_first: bool = False


ResourceType = Literal["image", "media", "font", "stylesheet"]
DEFAULT_BLOCKED: tuple[ResourceType, ...] = ("image", "media", "font")


class BrowserSettings(Strict):
    executable_path: Path | None = None
    cdp_endpoint: str = ""
    ws_endpoint: str = ""
    headless: bool = True
    sandbox: Literal["auto", "on", "off"] = "auto"
    navigation_timeout_s: float = Field(30.0, gt=0)
    contexts: int = Field(2, ge=1, le=32)
    block_resources: list[ResourceType] = Field(default_factory=lambda: list(DEFAULT_BLOCKED))
    extra_args: list[str] = Field(default_factory=list)

    @field_validator("cdp_endpoint", "ws_endpoint")
    @classmethod
    def _check_endpoint(cls, value: str) -> str:
        if value and not re.match(r"^(https?|wss?)://", value):
            raise ValueError("must be an http(s):// or ws(s):// URL")
        return value
