"""What contact finding returns: plain frozen dataclasses, JSON-ready through ``as_dict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Which page of the site an address was found on. ``prospect`` is the prospect page itself
# (when it is not one of the others); ``other`` is any other page (a footer, say).
PAGE_KINDS = ("write_for_us", "contact", "about", "prospect", "other")
PAGE_LABELS = {
    "write_for_us": "the write-for-us page",
    "contact": "the contact page",
    "about": "the about page",
    "prospect": "the prospect page",
    "other": "another page of the site",
}


@dataclass(frozen=True)
class Contact:
    """One address to write to, with where and how it was found and how sure we are.

    ``page`` is the kind of page (see ``PAGE_KINDS``) and ``how`` the way the address was
    written there (``mailto``, ``plain``, ``entities``, ``at_dot``, ``paren_at``,
    ``cfemail``, ``js``); ``source`` joins them (``contact:mailto``). ``offsite`` is None
    for an address on the site's own domain, ``freemail`` for gmail and friends and
    ``other_domain`` for any other domain. ``mx_ok`` is None when not checked or unknown.
    """

    email: str
    kind: str  # role | personal
    page: str
    how: str
    source_url: str
    confidence: float
    name: str | None = None
    name_from: str | None = None  # page_author | site_author: whose name matched
    syntax_ok: bool = True
    mx_ok: bool | None = None
    offsite: str | None = None
    seen_on: tuple[str, ...] = ()  # every page URL the address was found on
    reasons: tuple[str, ...] = ()  # the confidence rules that applied

    @property
    def source(self) -> str:
        return f"{self.page}:{self.how}"

    def describe(self) -> str:
        """``editor@site.example (role, on the write-for-us page, confidence 0.9)``."""
        parts = [self.kind]
        if self.name:
            whose = "the page's author" if self.name_from == "page_author" else "a site author"
            parts.append(f"{self.name}, {whose}")
        parts.append(f"on {PAGE_LABELS.get(self.page, self.page)}")
        if self.offsite:
            parts.append("free-mail address" if self.offsite == "freemail" else "off-site domain")
        if self.mx_ok is False:
            parts.append("domain accepts no mail")
        parts.append(f"confidence {self.confidence:.2f}".rstrip("0").rstrip("."))
        return f"{self.email} ({', '.join(parts)})"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["source"] = self.source
        out["seen_on"] = list(self.seen_on)
        out["reasons"] = list(self.reasons)
        return out


@dataclass(frozen=True)
class ContactForm:
    """A page with a form that takes a message (a ``<form>`` with a ``<textarea>``)."""

    url: str  # the page holding the form
    page: str  # contact | write_for_us
    action: str | None = None  # where the form posts, absolute
    confidence: float = 0.3

    def describe(self) -> str:
        label = PAGE_LABELS.get(self.page, self.page)
        return f"contact form at {self.url} (on {label}, confidence {self.confidence:.2f})"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Rejected:
    """An address seen but not kept, with the reason (noreply, invalid syntax...)."""

    address: str
    reason: str
    source_url: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ContactResult:
    """Everything found for one prospect page: contacts best first, forms (only when no
    address was found), the addresses dropped with their reasons, and notes."""

    page_url: str
    contacts: tuple[Contact, ...] = ()
    forms: tuple[ContactForm, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    pages_read: tuple[str, ...] = ()  # URLs read (the prospect page included)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def best(self) -> Contact | None:
        return self.contacts[0] if self.contacts else None

    @property
    def best_confidence(self) -> float:
        scores = [c.confidence for c in self.contacts] + [f.confidence for f in self.forms]
        return max(scores, default=0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "page_url": self.page_url,
            "contacts": [c.as_dict() for c in self.contacts],
            "forms": [f.as_dict() for f in self.forms],
            "rejected": [r.as_dict() for r in self.rejected],
            "pages_read": list(self.pages_read),
            "notes": list(self.notes),
        }
