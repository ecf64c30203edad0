"""Search footprints per opportunity type, and the queries a campaign asks: keywords x footprints.

A footprint is a query template where ``{kw}`` stands for each campaign keyword. A campaign's
``[footprints]`` list for a type replaces the defaults for that type; an empty list turns search
off for it. Only the campaign's ``opportunity_types`` are searched.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from prospector.campaigns import Campaign, OpportunityType

KEYWORD = "{kw}"

DEFAULT_FOOTPRINTS: MappingProxyType[OpportunityType, tuple[str, ...]] = MappingProxyType(
    {
        # Pages that list many outbound links are where dead links are found.
        "broken_link": (
            "{kw} intitle:links",
            '{kw} "recommended sites"',
            '{kw} "further reading"',
            '{kw} "helpful links"',
        ),
        "resource_page": (
            "{kw} intitle:resources",
            '{kw} "useful links"',
            "{kw} inurl:links",
            '{kw} "useful resources"',
            '{kw} intitle:"resource list"',
        ),
        "guest_post": (
            '{kw} "write for us"',
            '{kw} "guest post guidelines"',
            '{kw} "become a contributor"',
            '{kw} "submit a guest post"',
            '{kw} "contributor guidelines"',
        ),
    }
)


@dataclass(frozen=True)
class Query:
    """One search query, and what it was built from."""

    text: str
    opportunity_type: OpportunityType
    keyword: str
    footprint: str


def footprints_for(campaign: Campaign, kind: OpportunityType) -> tuple[str, ...]:
    """The campaign's footprints for ``kind``: its own list if it has one, else the defaults."""
    own: list[str] | None = getattr(campaign.footprints, kind)
    return DEFAULT_FOOTPRINTS[kind] if own is None else tuple(own)


def render(footprint: str, keyword: str) -> str:
    """``'{kw} "write for us"'`` + ``compost`` -> ``'compost "write for us"'``."""
    return " ".join(footprint.replace(KEYWORD, keyword).split())


def queries(campaign: Campaign) -> list[Query]:
    """Every query for the campaign, in type, footprint, keyword order; each text once."""
    out: list[Query] = []
    seen: set[str] = set()
    for kind in campaign.opportunity_types:
        for footprint in footprints_for(campaign, kind):
            for keyword in campaign.keywords:
                text = render(footprint, keyword)
                if text and text.casefold() not in seen:
                    seen.add(text.casefold())
                    out.append(Query(text, kind, keyword, footprint))
    return out
