"""Shared machinery for the TOML files people write: parse, validate, report errors well.

Config and campaign files are both TOML validated by pydantic models. Errors name the file,
the key path and, where it can be found, the line, one error per line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from prospector.errors import UserError

SECRET_WORDS = ("password", "passwd", "secret", "api_key", "apikey", "token")


class Strict(BaseModel):
    """Base of every file-backed model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


M = TypeVar("M", bound=BaseModel)


def read_toml(path: Path, error: type[UserError]) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into one line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None


def validate(
    model: type[M],
    data: Mapping[str, Any],
    *,
    source: str,
    error: type[UserError],
    text: str | None = None,
    context: dict[str, Any] | None = None,
) -> M:
    """Validate ``data`` against ``model``; raise ``error`` listing every problem."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        lines = [
            describe(model, err, source=source, text=text) for err in exc.errors(include_url=False)
        ]
        raise error("\n".join(dict.fromkeys(lines))) from None


def describe(model: type[BaseModel], err: Any, *, source: str, text: str | None) -> str:
    loc = [str(part) for part in err["loc"]]
    key = dotted(loc)
    where = source
    line = find_line(text, loc) if text else None
    if line:
        where = f"{source}:{line}"
    if err["type"] == "extra_forbidden":
        name = loc[-1] if loc else ""
        if any(word in name.lower() for word in SECRET_WORDS):
            return (
                f"{where}: {key}: secrets are never read from files; "
                f"put the secret in an environment variable and name it in {name_env(key)}"
            )
        hint = suggestion(model, loc)
        return f"{where}: {key}: unknown key" + (f" (did you mean '{hint}'?)" if hint else "")
    message = str(err["msg"])
    message = message.removeprefix("Value error, ")
    return f"{where}: {key}: {message}" if key else f"{where}: {message}"


def dotted(loc: Iterable[str]) -> str:
    out = ""
    for part in loc:
        if part.isdigit():
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def name_env(key: str) -> str:
    parent, _, name = key.rpartition(".")
    base = re.sub(r"(password|passwd|secret|api_?key|token)$", "", name.lower()).rstrip("_")
    field = f"{base}_{_secret_suffix(name)}_env" if base else f"{_secret_suffix(name)}_env"
    return f"{parent}.{field}" if parent else field


def _secret_suffix(name: str) -> str:
    lowered = name.lower()
    for word in ("password", "api_key", "token", "secret"):
        if word.replace("_", "") in lowered.replace("_", ""):
            return word
    return "secret"


def suggestion(model: type[BaseModel], loc: list[str]) -> str | None:
    """Closest known key for a misspelt one, walking nested models along ``loc``."""
    current: Any = model
    for part in loc[:-1]:
        if part.isdigit():
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return None
        current = _model_of(fields[part].annotation)
        if current is None:
            return None
    fields = getattr(current, "model_fields", None)
    if not fields:
        return None
    matches = difflib.get_close_matches(loc[-1], list(fields), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def find_line(text: str, loc: list[str]) -> int | None:
    """Best-effort line number of the key at ``loc`` in a TOML text (1-based)."""
    keys = [part for part in loc if not part.isdigit()]
    if not keys:
        return None
    table: list[str] = []
    fallback: int | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            table = [p.strip().strip("\"'") for p in header.group(1).split(".")]
            if table == keys:
                fallback = fallback or number
            continue
        match = _KEY.match(raw)
        if not match:
            continue
        key = [p.strip().strip("\"'") for p in match.group(1).split(".")]
        if table + key == keys:
            return number
        if keys[: len(table) + len(key)] == table + key and fallback is None:
            fallback = number
    return fallback
