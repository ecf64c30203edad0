"""Shared fixtures: the local multi-host web, settings pointed at it, real mail servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prospector.config import Settings, load_settings
from prospector.demo.server import DemoWeb
from tests.mailservers import Dovecot, SmtpSink, dovecot_available


@pytest.fixture(scope="session")
def demo_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWeb]:
    with DemoWeb(cert_dir=tmp_path_factory.mktemp("demo-ca")) as web:
        yield web


def settings_for(web: DemoWeb, tmp_path: Path, **extra: Any) -> Settings:
    """Settings that reach the demo web by host name, with its test CA trusted."""
    overrides: dict[str, Any] = {
        "database": str(tmp_path / "prospector.db"),
        "campaigns_dir": str(tmp_path / "campaigns"),
        "network": {"resolve": web.resolve_map(), "ca_bundle": str(web.ca_pem_path)},
        "fetch": {"timeout_s": 10.0, "connect_timeout_s": 5.0, "min_host_gap_s": 0.0},
        "browser": {"navigation_timeout_s": 15.0},
    }
    for key, value in extra.items():
        if isinstance(value, dict):
            overrides.setdefault(key, {}).update(value)
        else:
            overrides[key] = value
    return load_settings(None, env={}, overrides=overrides)


@pytest.fixture
def demo_settings(demo_web: DemoWeb, tmp_path: Path) -> Settings:
    return settings_for(demo_web, tmp_path)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    if not dovecot_available():
        pytest.fail("Dovecot is not installed: run 'make test', which installs dovecot-imapd")
    with Dovecot(tmp_path / "dovecot") as server:
        yield server
