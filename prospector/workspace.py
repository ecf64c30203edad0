"""Setting up a working folder: starter config, campaign, templates and the database."""

from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from prospector.config import load_settings
from prospector.errors import UserError
from prospector.store import open_db


def bundled(name: str) -> Traversable:
    """A starter file shipped with the package: config.example.toml, campaigns/, templates/."""
    return resources.files("prospector.resources").joinpath(name)


def bundled_templates_dir() -> Path:
    path = Path(str(bundled("templates")))
    if not path.is_dir():
        raise UserError(f"bundled templates not found at {path}; reinstall Prospector")
    return path.resolve()


@dataclass
class InitResult:
    config: Path
    database: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def init_workspace(directory: Path, *, force: bool = False) -> InitResult:
    """Write prospector.toml, campaigns/example.toml and templates/ unless present; create the DB."""
    _folder(directory)
    config = directory / "prospector.toml"
    result = InitResult(config=config, database=directory / "prospector.db")
    _copy(bundled("config.example.toml"), config, force, result)
    _copy(
        bundled("campaigns").joinpath("example.toml"),
        directory / "campaigns" / "example.toml",
        force,
        result,
    )
    for template in sorted(bundled("templates").iterdir(), key=lambda t: t.name):
        if template.name.endswith((".j2", ".md")):
            _copy(template, directory / "templates" / template.name, force, result)
    settings = load_settings(config, env={})
    result.database = settings.database
    open_db(settings.database).close()
    return result


def _copy(source: Traversable, target: Path, force: bool, result: InitResult) -> None:
    if target.exists() and not force:
        result.kept.append(target)
        return
    _folder(target.parent)
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    _shut_to_writers(target)
    result.written.append(target)


def _folder(path: Path) -> None:
    """Create ``path`` and its missing parents; what we create is never writable by others, so
    a permissive umask cannot let another user rewrite a campaign or a template."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        _shut_to_writers(folder)


def _shut_to_writers(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o022:
        path.chmod(mode & ~0o022)
