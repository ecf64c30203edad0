"""Contacts of a prospect: who to write to, how sure we are, and why.

:func:`find_contacts` reads the prospect page and the site's write-for-us, contact and about
pages (see :mod:`prospector.qualify.contact_pages`), takes every address the extractor
decodes (``mailto:``, plain, character entities, ``[at]``/``[dot]``, ``(at)``, Cloudflare's
``data-cfemail``) plus those inline scripts assemble, drops no-reply and placeholder
addresses and those ``email-validator`` refuses (each with the reason), tells role from
personal addresses, matches personal ones to the authors named on the pages (meta, JSON-LD,
bylines), marks off-site ones, optionally checks the domains' MX records (cached through the
store), and gives each a confidence (rules in :mod:`prospector.qualify.contact_confidence`).
Contact forms are recorded when no address was found. :func:`contacts_component` turns the
result into the ``contact`` score component.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from email_validator import EmailNotValidError, validate_email

from prospector.config import Settings
from prospector.qualify import contact_pages as site
from prospector.qualify import contact_rules as rules
from prospector.qualify.contact_confidence import FORM_CONFIDENCE, PAGE_BASE, confidence
from prospector.qualify.contact_model import (
    PAGE_KINDS,
    Contact,
    ContactForm,
    ContactResult,
    Rejected,
)
from prospector.qualify.contact_mx import MxAnswer, MxCache, check_domains
from prospector.qualify.model import Component
from prospector.web.extract import Extraction
from prospector.web.fetch import Fetcher
from prospector.web.urls import host_of, normalize

__all__ = [
    "Contact",
    "ContactForm",
    "ContactResult",
    "Rejected",
    "contacts_component",
    "find_contacts",
]
# Ties between pages of equal base confidence go to the more telling page.
_PAGE_RANK = {kind: i for i, kind in enumerate(("write_for_us", "contact", *PAGE_KINDS))}


@dataclass
class _Sighting:
    address: str
    how: str
    page: str
    url: str


@dataclass
class _Gathered:
    """Everything read from the site before addresses are judged."""

    host: str
    prospect_kind: str
    guest_post: bool
    prospect: site.SitePage | None = None
    pages: list[site.SitePage] = field(default_factory=list)  # the prospect page first
    notes: list[str] = field(default_factory=list)


async def find_contacts(
    fetcher: Fetcher,
    settings: Settings,
    page_url: str,
    page_extraction: Extraction | None = None,
    *,
    resolver: Any = None,
    store: MxCache | None = None,
    opportunity: str | None = None,
) -> ContactResult:
    """The contacts of the prospect at ``page_url``, best first.

    ``page_extraction`` is the prospect page already extracted (raw or rendered); without it
    the page is fetched. ``opportunity`` (``guest_post``, ``resource_page``, ...) tunes the
    confidence: an editorial role address is worth more for a guest post. With
    ``settings.contacts.mx_check``, domains are checked with ``resolver`` (default: the
    system's DNS through dnspython) and the answers cached in ``store`` (anything with
    ``mx_cached``/``put_mx``, such as the Store) for ``contacts.mx_cache_days``.
    """
    gathered = await _gather(fetcher, settings, page_url, page_extraction, opportunity)
    contacts, rejected = _judge(gathered)
    notes = gathered.notes
    if settings.contacts.mx_check and contacts:
        answers = await check_domains(
            [rules.domain_part(c.email) for c in contacts],
            resolver=resolver,
            cache=store,
            cache_days=settings.contacts.mx_cache_days,
        )
        notes.extend(_mx_note(a) for a in answers.values())
        contacts = [_with_mx(c, answers, gathered) for c in contacts]
    contacts.sort(key=_order)
    forms = _forms(gathered.pages)
    usable = [c for c in contacts if c.mx_ok is not False]
    if forms and usable:
        notes.append(f"a contact form is also at {forms[0].url}")
        forms = []
    if not contacts and not forms:
        notes.append("no address and no contact form found")
    return ContactResult(
        page_url=page_url,
        contacts=tuple(contacts),
        forms=tuple(forms),
        rejected=tuple(rejected),
        pages_read=tuple(dict.fromkeys(p.url for p in gathered.pages)),
        notes=tuple(notes),
    )


async def _gather(
    fetcher: Fetcher,
    settings: Settings,
    page_url: str,
    extraction: Extraction | None,
    opportunity: str | None,
) -> _Gathered:
    base = page_url
    prospect: site.SitePage | None = None
    notes: list[str] = []
    have_html, given = False, extraction is not None
    if extraction is None:
        fetched = await fetcher.fetch(page_url)
        why = site.usable(fetched, None)
        if why is None:
            prospect, extraction = site.read(fetched, "prospect")
            base, have_html = fetched.final_url, True
        else:
            notes.append(f"the prospect page could not be read: {why}")
    else:
        base = extraction.url or page_url
    kind = _prospect_kind(base, extraction, opportunity)
    if prospect is not None:
        prospect = replace(prospect, kind=kind)
    elif extraction is not None:
        authors = tuple(dict.fromkeys(a.name for a in extraction.authors))
        prospect = site.SitePage(base, kind, extraction.emails, authors)
    guest = opportunity == "guest_post" or kind == "write_for_us"
    gathered = _Gathered(host_of(base), kind, guest, prospect, notes=notes)
    skip = {normalize(base)} if have_html else set()
    groups = site.plan(base, extraction, list(settings.contacts.pages), skip)
    if have_html and kind in groups:
        del groups[kind]  # the prospect page is that page, and was read
    elif given and kind in site.KIND_ORDER:
        # only the extraction was given: read the page itself for its forms and scripts
        groups[kind] = [base, *[u for u in groups.get(kind, []) if normalize(u) != normalize(base)]]
    pages, page_notes = await site.read_site(fetcher, groups, gathered.host)
    gathered.pages = ([prospect] if prospect is not None else []) + pages
    gathered.notes.extend(page_notes)
    return gathered


def _prospect_kind(url: str, extraction: Extraction | None, opportunity: str | None) -> str:
    """What the prospect page is: its path or title says; a guest-post prospect whose page
    says nothing is taken for the write-for-us page (discovery found it as one)."""
    kind = site.page_kind(url, extraction.title if extraction is not None else "")
    if kind is None and opportunity == "guest_post":
        return "write_for_us"
    return kind if kind in ("write_for_us", "contact") else "prospect"


def _judge(gathered: _Gathered) -> tuple[list[Contact], list[Rejected]]:
    """Valid, kept addresses as contacts (without MX yet), and the rejected ones."""
    sightings: dict[str, list[_Sighting]] = {}
    for page in gathered.pages:
        for email in page.emails:
            address = email.address.strip().lower()
            if email.source == "js" and rules.offsite(address, gathered.host) is not None:
                continue  # a script's string pair is trusted only on the site's own domain
            sightings.setdefault(address, []).append(
                _Sighting(address, email.source, page.kind, page.url)
            )
    page_authors = list(gathered.prospect.authors) if gathered.prospect is not None else []
    site_authors = [a for p in gathered.pages for a in p.authors if a not in page_authors]
    guest = gathered.guest_post
    contacts: list[Contact] = []
    rejected: list[Rejected] = []
    for address, seen in sightings.items():
        best = min(seen, key=lambda s: (-PAGE_BASE.get(s.page, 0.0), _PAGE_RANK[s.page]))
        reason = _refusal(address)
        if reason is not None:
            rejected.append(Rejected(address, reason, best.url))
            continue
        contacts.append(_contact(address, best, seen, gathered.host, page_authors,
                                 site_authors, guest))  # fmt: skip
    return contacts, rejected


def _refusal(address: str) -> str | None:
    if rules.is_noreply(address):
        return "a no-reply address"
    placeholder = rules.placeholder_reason(address)
    if placeholder is not None:
        return placeholder
    try:
        validate_email(address, check_deliverability=False, strict=True)
    except EmailNotValidError as exc:
        return f"invalid address: {exc}"
    return None


def _contact(
    address: str,
    best: _Sighting,
    seen: list[_Sighting],
    host: str,
    page_authors: list[str],
    site_authors: list[str],
    guest: bool,
) -> Contact:
    role = rules.role_group(address, host)
    name, name_from = None, None
    if role is None:
        name = rules.match_name(address, page_authors)
        name_from = "page_author" if name else None
        if name is None:
            name = rules.match_name(address, site_authors)
            name_from = "site_author" if name else None
    off = rules.offsite(address, host)
    urls = tuple(dict.fromkeys(s.url for s in seen))
    score, reasons = confidence(
        page=best.page,
        role=role,
        name_from=name_from,
        pages_seen=len({normalize(u) for u in urls}),
        offsite=off,
        mx_ok=None,
        guest_post=guest,
    )
    return Contact(
        email=address,
        kind="role" if role is not None else "personal",
        page=best.page,
        how=best.how,
        source_url=best.url,
        confidence=score,
        name=name,
        name_from=name_from,
        offsite=off,
        seen_on=urls,
        reasons=reasons,
    )


def _with_mx(contact: Contact, answers: dict[str, MxAnswer], gathered: _Gathered) -> Contact:
    answer = answers.get(rules.domain_part(contact.email))
    if answer is None or answer.ok is None:
        return contact
    score, reasons = confidence(
        page=contact.page,
        role=rules.role_group(contact.email, gathered.host),
        name_from=contact.name_from,
        pages_seen=len({normalize(u) for u in contact.seen_on}),
        offsite=contact.offsite,
        mx_ok=answer.ok,
        guest_post=gathered.guest_post,
    )
    return replace(contact, mx_ok=answer.ok, confidence=score, reasons=reasons)


def _mx_note(answer: MxAnswer) -> str:
    cached = " (cached)" if answer.cached else ""
    return f"MX {answer.domain}: {answer.detail}{cached}"


def _order(contact: Contact) -> tuple[float, int, int, str]:
    return (
        -contact.confidence,
        0 if contact.name_from == "page_author" else 1,
        _PAGE_RANK.get(contact.page, 99),
        contact.email,
    )


def _forms(pages: list[site.SitePage]) -> list[ContactForm]:
    forms: dict[str, ContactForm] = {}
    for page in pages:
        if page.kind not in FORM_CONFIDENCE or not page.forms:
            continue
        form = ContactForm(page.url, page.kind, page.forms[0], FORM_CONFIDENCE[page.kind])
        forms.setdefault(normalize(page.url), form)
    return sorted(forms.values(), key=lambda f: -f.confidence)


def contacts_component(result: ContactResult) -> Component:
    """The ``contact`` component: 0-100 from the best confidence, with the contacts (or the
    forms) as reasons and the whole result as evidence."""
    reasons = [c.describe() for c in result.contacts[:3]]
    if len(result.contacts) > 3:
        reasons.append(f"{len(result.contacts) - 3} more address(es)")
    reasons += [f.describe() for f in result.forms[:2]]
    if not reasons:
        reasons.append("no contact address or form found")
    if result.rejected:
        dropped = "; ".join(f"{r.address}: {r.reason}" for r in result.rejected[:3])
        reasons.append(f"dropped {len(result.rejected)} address(es) ({dropped})")
    score = round(100.0 * result.best_confidence, 1)
    return Component("contact", score, tuple(reasons), result.as_dict())
