"""Campaign files (``campaigns/NAME.toml``) -> validated ``Campaign`` objects."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from prospector.errors import CampaignError, TemplateError
from prospector.validation import (
    Strict,
    has_control,
    printable,
    read_toml_text,
    url_problem,
    validate,
)

OpportunityType = Literal["broken_link", "resource_page", "guest_post"]
OPPORTUNITY_TYPES: tuple[OpportunityType, ...] = ("broken_link", "resource_page", "guest_post")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]+$")


def _http_url(value: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(f"'{printable(value, 100)}' is not an absolute http(s) URL: {problem}")
    return value


class Target(Strict):
    """One of our pages that the campaign earns links for."""

    url: str
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


class Seeds(Strict):
    urls: list[str] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)

    @field_validator("urls", "sites")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        return [_http_url(item) for item in value]


class Footprints(Strict):
    """Search footprints per opportunity type; ``{kw}`` is replaced by each keyword.

    Absent (None) means Prospector's defaults for that type; an empty list means none.
    """

    broken_link: list[str] | None = None
    resource_page: list[str] | None = None
    guest_post: list[str] | None = None

    @field_validator("broken_link", "resource_page", "guest_post")
    @classmethod
    def _placeholder(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            if "{kw}" not in item:
                raise ValueError(f"footprint '{item}' has no {{kw}} placeholder")
        return value


def _file_name(value: str) -> str:
    if has_control(value):
        raise ValueError("a template file name must not contain control characters")
    return value


class Templates(Strict):
    broken_link: str = "broken_link.j2"
    resource_page: str = "resource_page.j2"
    guest_post: str = "guest_post.j2"

    @field_validator("broken_link", "resource_page", "guest_post")
    @classmethod
    def _names(cls, value: str) -> str:
        return _file_name(value)


class FollowUp(Strict):
    after_days: int = Field(ge=1, le=90)
    template: str = Field(min_length=1)

    @field_validator("template")
    @classmethod
    def _name(cls, value: str) -> str:
        return _file_name(value)


class Limits(Strict):
    max_prospects_per_run: int = Field(50, ge=1)
    max_pages_per_site: int = Field(30, ge=1)
    max_depth: int = Field(2, ge=0, le=10)
    max_sends_per_day: int = Field(20, ge=0)
    prospects_per_domain: int = Field(1, ge=1, le=100)


class Exclusions(Strict):
    domains: list[str] = Field(default_factory=list)
    url_patterns: list[str] = Field(default_factory=list)

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        out = []
        for item in value:
            domain = item.strip().lower()
            if not _DOMAIN.match(domain):
                raise ValueError(f"'{item}' is not a domain (e.g. example.com or *.example.com)")
            out.append(domain)
        return out

    @field_validator("url_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                re.compile(item)
            except re.error as exc:
                raise ValueError(f"'{item}' is not a regular expression: {exc}") from None
        return value


class SyndicatedCopy(Strict):
    """A copy of our content on a partner site, and what it must carry."""

    url: str
    original: str
    require: Literal["canonical", "noindex", "canonical_or_noindex", "none"] = (
        "canonical_or_noindex"
    )
    attribution: bool = True

    @field_validator("url", "original")
    @classmethod
    def _urls(cls, value: str) -> str:
        return _http_url(value)


class Campaign(Strict):
    name: str
    description: str = ""
    targets: list[Target] = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    opportunity_types: list[OpportunityType] = Field(min_length=1)
    seeds: Seeds = Field(default_factory=Seeds)
    footprints: Footprints = Field(default_factory=Footprints)
    templates: Templates = Field(default_factory=Templates)
    followups: list[FollowUp] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    exclusions: Exclusions = Field(default_factory=Exclusions)
    syndicated: list[SyndicatedCopy] = Field(default_factory=list)
    path: Path | None = Field(None, exclude=True)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str, info: ValidationInfo) -> str:
        if not _NAME.match(value):
            raise ValueError("must be lowercase letters, digits, '-' or '_' (at most 64)")
        stem = (info.context or {}).get("stem")
        if stem and stem != value:
            raise ValueError(f"'{value}' must match the file name '{stem}.toml'")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [k.strip() for k in value]
        if any(not k for k in cleaned):
            raise ValueError("keywords must not be empty strings")
        return cleaned

    @field_validator("opportunity_types")
    @classmethod
    def _unique(cls, value: list[OpportunityType]) -> list[OpportunityType]:
        if len(set(value)) != len(value):
            raise ValueError("each opportunity type may appear once")
        return value

    @model_validator(mode="after")
    def _followups_ordered(self) -> Campaign:
        days = [f.after_days for f in self.followups]
        if days != sorted(set(days)):
            raise ValueError("followups must be in increasing after_days order")
        return self

    def template_names(self) -> list[str]:
        names = [getattr(self.templates, kind) for kind in self.opportunity_types]
        return names + [f.template for f in self.followups]


def load_campaign(path: Path, templates_dir: Path | None = None) -> Campaign:
    """Load and validate one campaign file; templates it names must exist and render against
    sample values (a TemplateError names the template file and line)."""
    data, text = read_toml_text(path, CampaignError)
    if not data:
        raise CampaignError(
            f"{path}: the campaign is empty: it needs at least name, targets, keywords and "
            "opportunity_types (see campaigns/example.toml)"
        )
    campaign = validate(
        Campaign,
        data,
        source=str(path),
        error=CampaignError,
        text=text,
        context={"stem": path.stem},
    )
    if templates_dir is not None:
        _check_templates(path, campaign, templates_dir)
    return campaign.model_copy(update={"path": path.resolve()})


def _check_templates(path: Path, campaign: Campaign, templates_dir: Path) -> None:
    folders = [n for n in campaign.template_names() if (templates_dir / n).is_dir()]
    if folders:
        raise CampaignError(
            f"{path}: templates: {templates_dir / folders[0]} is a directory, not a template"
        )
    missing = [n for n in campaign.template_names() if not (templates_dir / n).is_file()]
    if missing:
        raise CampaignError(
            f"{path}: templates: not found in {templates_dir}: {', '.join(missing)}"
        )
    from prospector.outreach.templates import check_template  # no import cycle

    roles: list[tuple[str, str]] = [
        (getattr(campaign.templates, kind), kind) for kind in campaign.opportunity_types
    ]
    roles += [(followup.template, "followup") for followup in campaign.followups]
    for name, role in roles:
        try:
            check_template(templates_dir / name, role)
        except RecursionError:  # Jinja's parser and compiler recurse on nesting
            raise TemplateError(
                f"{templates_dir / name}: blocks or expressions nested too deeply"
            ) from None


def campaign_path(campaigns_dir: Path, name: str) -> Path:
    return campaigns_dir / f"{name}.toml"


def known_campaigns(campaigns_dir: Path) -> list[str]:
    """The names of the campaign files in ``campaigns_dir``."""
    return sorted(p.stem for p in campaigns_dir.glob("*.toml") if p.is_file())


def require_campaign(campaigns_dir: Path, name: str) -> Path:
    """The file of the campaign ``name``; CampaignError when there is none (a name that is not
    a campaign name, such as ``../x``, never leaves the folder)."""
    path = campaign_path(campaigns_dir, name)
    if _NAME.match(name) and path.is_file():
        return path
    if _NAME.match(name) and path.is_dir():
        raise CampaignError(f"{path}: is a directory, not a campaign file")
    known = ", ".join(known_campaigns(campaigns_dir)) or "none"
    raise CampaignError(f"no campaign '{printable(name)}' in {campaigns_dir} (known: {known})")


def load_named(campaigns_dir: Path, name: str, templates_dir: Path | None = None) -> Campaign:
    return load_campaign(require_campaign(campaigns_dir, name), templates_dir)


def load_all(campaigns_dir: Path, templates_dir: Path | None = None) -> list[Campaign]:
    return [load_campaign(p, templates_dir) for p in sorted(campaigns_dir.glob("*.toml"))]
