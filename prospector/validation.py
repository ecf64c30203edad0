"""Shared machinery for the files people write: parse, validate, report errors well.

Config and campaign files are both TOML validated by pydantic models. Errors name the file,
the key path and, where it can be found, the line, one error per line. ``url_problem`` is the
one check of an http(s) URL typed into a campaign or an imported file.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from prospector.errors import UserError

SECRET_WORDS = ("password", "passwd", "secret", "api_key", "apikey", "token")


class Strict(BaseModel):
    """Base of every file-backed model: unknown keys are errors, values are immutable, numbers
    are finite, and a TOML value must have the key's type (``true`` is not a port number, a
    quoted ``"5"`` is not a number)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _toml_type(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        expected = cls.model_fields[info.field_name].annotation
        if expected is bool and not isinstance(value, bool):
            raise ValueError(f"Input should be true or false, not {toml_type(value)}")
        if expected in (int, float) and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            noun = "a valid integer" if expected is int else "a valid number"
            raise ValueError(f"Input should be {noun}, not {toml_type(value)}")
        if _is_path(expected) and isinstance(value, str | Path) and has_control(str(value)):
            raise ValueError("a path must not contain control characters")
        return value


def printable(value: str, limit: int | None = 80) -> str:
    """``value`` fit for a one-line message: control characters escaped (a newline shows as
    ``\\n``), cut to ``limit`` characters."""
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in value)
    if limit is not None and len(text) > limit:
        return text[: limit - 3] + "..."
    return text


def has_control(text: str) -> bool:
    """Control characters (NUL, newlines, escapes...) that no path or one-line value holds."""
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def _is_path(annotation: Any) -> bool:
    return annotation is Path or Path in get_args(annotation)


def toml_type(value: Any) -> str:
    """What a TOML value is, in the words of the TOML spec."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'a string ("{shown}")'
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


M = TypeVar("M", bound=BaseModel)
MAX_TOML_BYTES = 10_000_000  # far more than any config or campaign a person writes
MAX_IMPORT_BYTES = 1 << 30  # an export of a few million backlinks
MAX_MAIL_BYTES = 100 << 20  # larger than any mail server accepts


def read_input(path: Path, limit: int, what: str, error: type[UserError]) -> bytes:
    """A file the user named, read whole but never past ``limit`` bytes: a device or a pipe
    that never ends (``/dev/zero``) is refused in one line instead of read forever."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{path}: too large for {what} (over {limit:,} bytes)")
    return data


def read_toml(path: Path, error: type[UserError]) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into one line naming the file."""
    return read_toml_text(path, error)[0]


def read_toml_text(path: Path, error: type[UserError]) -> tuple[dict[str, Any], str]:
    """Parse a TOML file: (the data, the text). Every failure is one line naming the file.
    A UTF-8 byte-order mark (which some editors write) is allowed."""
    if path.is_dir():
        raise error(f"{path}: is a directory, not a TOML file")
    if not path.exists():
        raise error(f"{path}: file not found")
    data = read_input(path, MAX_TOML_BYTES, "a TOML file", error)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8"
        ) from None
    text = text.removeprefix("\ufeff")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise error(f"{path}: invalid TOML: arrays or tables nested too deeply") from None


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
    as_key = bool(loc) and loc[-1] == "[key]"  # pydantic's mark of a bad key of a table
    if as_key:
        loc = loc[:-1]
    key = dotted(loc)
    where = source
    line = find_line(text, loc) if text else None
    if line:
        where = f"{source}:{line}"
    return printable(_describe(model, err, loc, key, where, as_key), limit=None)


def _describe(
    model: type[BaseModel], err: Any, loc: list[str], key: str, where: str, as_key: bool
) -> str:
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
    if as_key:
        message = f"not a valid key: {message}"
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


_HOST_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_ASCII_HOST = re.compile(rf"^{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?$")
MAX_HOST_CHARS = 253


def url_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) URL with a usable host, or None when it is one.

    Refused: other schemes, no host, a bad port (0 or over 65535), control characters or
    whitespace anywhere, and host names no DNS could hold (an empty or over-long label, stray
    punctuation, a name over 253 characters, an IDN that does not encode).
    """
    if has_control(url):
        return "control character in URL"
    if url != url.strip():
        return "whitespace around URL"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) URL (scheme '{parts.scheme}')" if parts.scheme else "not a URL"
    host = parts.hostname or ""
    if not host:
        return "URL has no host"
    if any(ch.isspace() for ch in parts.netloc):
        return "whitespace in host"
    if port == 0:
        return "port 0 is not a port"
    return _host_problem(host)


def _host_problem(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if len(host.rstrip(".")) > MAX_HOST_CHARS:
        return f"host name longer than {MAX_HOST_CHARS} characters"
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return f"'{host}' is not a valid host name"
    if not _ASCII_HOST.match(host.lower()):
        return f"'{host}' is not a valid host name"
    return None


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def find_line(text: str, loc: list[str]) -> int | None:
    """Best-effort line number of the key at ``loc`` in a TOML text (1-based): the key's own
    line, else the closest line about it (a dotted key or table inside it, or the table that
    should hold it)."""
    keys = [part for part in loc if not part.isdigit()]
    if not keys:
        return None
    table: list[str] = []
    best: tuple[int, int] | None = None  # (how close, line)

    def consider(path: list[str], number: int) -> None:
        nonlocal best
        if path[: len(keys)] == keys:
            closeness = len(keys) + 1  # inside the key: as good as it gets short of the key
        elif keys[: len(path)] == path:
            closeness = len(path)  # holds the key
        else:
            return
        if best is None or closeness > best[0]:
            best = (closeness, number)

    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            table = [p.strip().strip("\"'") for p in header.group(1).split(".")]
            consider(table, number)
            continue
        match = _KEY.match(raw)
        if not match:
            continue
        full = table + [p.strip().strip("\"'") for p in match.group(1).split(".")]
        if full == keys:
            return number
        consider(full, number)
    return best[1] if best else None
