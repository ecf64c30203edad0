"""Config: defaults, precedence, file discovery, and errors that name the file and key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from prospector.config import Settings, load_settings
from prospector.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_when_no_file_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None, env={})
    assert settings.source is None
    assert settings.database == tmp_path / "prospector.db"
    assert settings.network.allow_private is False
    assert settings.fetch.max_redirects == 20


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = write(tmp_path / "p.toml", "[fetch]\ntimeout_s = 7\nretries = 4\nmax_redirects = 9\n")
    env = {"PROSPECTOR_FETCH__RETRIES": "5", "PROSPECTOR_FETCH__MAX_REDIRECTS": "8"}
    settings = load_settings(config, env=env, overrides={"fetch": {"max_redirects": 3}})
    assert settings.fetch.timeout_s == 7  # file
    assert settings.fetch.retries == 5  # environment beats file
    assert settings.fetch.max_redirects == 3  # flag beats environment


def test_config_found_via_env_then_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "prospector.toml", 'database = "cwd.db"\n')
    named = write(tmp_path / "named.toml", 'database = "named.db"\n')
    assert load_settings(None, env={}).database.name == "cwd.db"
    assert load_settings(None, env={"PROSPECTOR_CONFIG": str(named)}).database.name == "named.db"


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    config = write(sub / "p.toml", 'database = "data/x.db"\n[network]\nca_bundle = "ca.pem"\n')
    settings = load_settings(config, env={})
    assert settings.database == sub / "data" / "x.db"
    assert settings.network.ca_bundle == sub / "ca.pem"


def test_misspelt_key_names_file_line_key_and_suggestion(tmp_path: Path) -> None:
    config = write(tmp_path / "p.toml", '[fetch]\ntimeout_s = 5\nuser_agnt = "x"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    assert str(caught.value) == (
        f"{config}:3: fetch.user_agnt: unknown key (did you mean 'user_agent'?)"
    )


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('[fetch]\ntimeout_s = "slow"\n', "fetch.timeout_s", "valid number"),
        ("[fetch]\nmax_redirects = 500\n", "fetch.max_redirects", "less than or equal to 50"),
        ('[smtp]\nsecurity = "ssl"\n', "smtp.security", "'starttls', 'tls' or 'none'"),
        (
            '[network.resolve]\n"a.example" = "not-an-ip"\n',
            "network.resolve",
            "not IP, IP:PORT or NXDOMAIN",
        ),
        ('[browser]\ncdp_endpoint = "localhost:9222"\n', "browser.cdp_endpoint", "ws(s)://"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    config = write(tmp_path / "p.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    message = str(caught.value)
    assert message.startswith(str(config))
    assert f": {key}: " in message
    assert fragment in message


def test_every_error_is_listed(tmp_path: Path) -> None:
    config = write(tmp_path / "p.toml", "databse = 1\n[fetch]\nretries = -1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert any("databse: unknown key" in line for line in lines)
    assert any("fetch.retries" in line for line in lines)


def test_secrets_in_the_file_are_refused_with_the_env_key_to_use(tmp_path: Path) -> None:
    config = write(tmp_path / "p.toml", '[smtp]\nhost = "mail"\npassword = "hunter2"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    assert "smtp.password: secrets are never read from files" in str(caught.value)
    assert "smtp.password_env" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_secret_comes_from_the_named_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "p.toml", '[imap]\nhost = "mail"\npassword_env = "MY_IMAP_PW"\n')
    settings = load_settings(config, env={})
    monkeypatch.setenv("MY_IMAP_PW", "s3cret")
    assert settings.imap.password() == "s3cret"
    monkeypatch.delenv("MY_IMAP_PW")
    with pytest.raises(ConfigError, match="MY_IMAP_PW is not set"):
        settings.imap.password()


def test_environment_errors_name_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env={"PROSPECTOR_FETCH__TIMEOUT_S": "abc"})
    assert str(caught.value).startswith("environment: PROSPECTOR_FETCH__TIMEOUT_S:")
    with pytest.raises(ConfigError, match="PROSPECTOR_NOSUCH"):
        load_settings(None, env={"PROSPECTOR_NOSUCH": "1"})


def test_invalid_toml_reports_the_position(tmp_path: Path) -> None:
    config = write(tmp_path / "p.toml", "[fetch]\ntimeout_s = \n")
    with pytest.raises(ConfigError, match=re.escape(str(config)) + r": invalid TOML: .*line 2"):
        load_settings(config, env={})


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", env={})


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += _keys(annotation, f"{prefix}{name}.")
        else:
            out.append(prefix + name)
    return out


def test_example_config_documents_every_key_with_its_default() -> None:
    example = ROOT / "config.example.toml"
    text = example.read_text()
    settings = load_settings(example, env={})
    defaults = load_settings(None, env={}, overrides={})
    for key in _keys(Settings):
        section, _, name = key.rpartition(".")
        assert re.search(rf"^#? ?{re.escape(name)} = ", text, re.M) or (f"[{key}]" in text), (
            f"{key} is not documented in config.example.toml"
        )
        if section:
            assert f"[{section}]" in text
    # the example's values are the defaults (paths differ only by base folder)
    for section in ("fetch", "browser", "smtp", "imap"):
        assert getattr(settings, section) == getattr(defaults, section), section
    parsed = tomllib.loads(text)
    assert set(parsed) <= set(Settings.model_fields)
