"""Campaign files: the bundled ones load; every kind of mistake names the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from prospector.campaigns import load_all, load_campaign, load_named
from prospector.errors import CampaignError

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

MINIMAL = """
name = "{name}"
keywords = ["compost"]
opportunity_types = ["resource_page"]
[[targets]]
url = "https://soilsmith.example/guides/hot-composting"
title = "Hot composting"
summary = "A guide."
"""


def write(tmp_path: Path, text: str, name: str = "spring") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_campaign_is_complete_and_valid() -> None:
    campaign = load_campaign(ROOT / "campaigns" / "example.toml", TEMPLATES)
    assert campaign.name == "example"
    assert set(campaign.opportunity_types) == {"broken_link", "resource_page", "guest_post"}
    assert campaign.targets and campaign.keywords and campaign.followups
    assert campaign.seeds.urls and campaign.seeds.sites
    assert campaign.footprints.resource_page and campaign.syndicated
    assert campaign.exclusions.domains


def test_demo_campaign_is_valid() -> None:
    campaign = load_campaign(ROOT / "prospector" / "demo" / "demo.toml", TEMPLATES)
    assert campaign.name == "demo"
    assert all(t.url.startswith("https://soilsmith.example/") for t in campaign.targets)


def test_minimal_campaign_gets_defaults(tmp_path: Path) -> None:
    campaign = load_campaign(write(tmp_path, MINIMAL.format(name="spring")), TEMPLATES)
    assert campaign.limits.max_pages_per_site == 30
    assert campaign.footprints.resource_page is None  # None = Prospector's defaults


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda t: t.replace('name = "spring"', 'name = "autumn"'),
            "name: 'autumn' must match the file name 'spring.toml'",
        ),
        (
            lambda t: t.replace('["resource_page"]', '["link_exchange"]'),
            "opportunity_types[0]: Input should be 'broken_link', 'resource_page' or 'guest_post'",
        ),
        (
            lambda t: t.replace('keywords = ["compost"]', "keywords = []"),
            "keywords: List should have at least 1 item",
        ),
        (
            lambda t: t.replace("https://soilsmith.example/guides/hot-composting", "soilsmith"),
            "targets[0].url: 'soilsmith' is not an absolute http(s) URL",
        ),
        (
            lambda t: t + '\n[footprints]\nguest_post = ["write for us"]\n',
            "footprints.guest_post: footprint 'write for us' has no {kw} placeholder",
        ),
        (
            lambda t: t + "\n[limits]\nmax_pagse_per_site = 3\n",
            "limits.max_pagse_per_site: unknown key (did you mean 'max_pages_per_site'?)",
        ),
        (
            lambda t: t + '\n[exclusions]\nurl_patterns = ["(unclosed"]\n',
            "exclusions.url_patterns: '(unclosed' is not a regular expression",
        ),
        (
            lambda t: (
                t + "\n[[followups]]\nafter_days = 9\ntemplate = 'followup_1.j2'\n"
                "[[followups]]\nafter_days = 3\ntemplate = 'followup_2.j2'\n"
            ),
            "followups must be in increasing after_days order",
        ),
    ],
)
def test_mistakes_are_reported_with_file_and_key(tmp_path: Path, change, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, change(MINIMAL.format(name="spring")))
    with pytest.raises(CampaignError) as caught:
        load_campaign(path, TEMPLATES)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message


def test_missing_template_is_reported(tmp_path: Path) -> None:
    text = MINIMAL.format(name="spring") + '\n[templates]\nresource_page = "nope.j2"\n'
    with pytest.raises(CampaignError, match=r"templates: not found in .*: nope\.j2"):
        load_campaign(write(tmp_path, text), TEMPLATES)


def test_unknown_campaign_lists_known_ones(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL.format(name="spring"))
    with pytest.raises(CampaignError, match=r"no campaign 'winter' .*known: spring"):
        load_named(tmp_path, "winter", TEMPLATES)
    assert [c.name for c in load_all(tmp_path, TEMPLATES)] == ["spring"]
