"""Pure rules about addresses: role or personal, no-reply, free mail, placeholders, and
whether a local part fits a person's name (``jane.doe@``, ``jane@``, ``jdoe@``...)."""

from __future__ import annotations

import re
import unicodedata

from prospector.web.urls import registrable_domain

# Local parts that reach whoever edits the site: the best role addresses for a pitch.
EDITORIAL_ROLES = frozenset(
    {"editor", "editors", "editorial", "submissions", "submission", "submit", "pitches",
     "pitch", "contributors", "contributor", "contribute", "contributions", "guestposts",
     "guestpost", "guest", "guests", "writers", "write", "writeforus", "content",
     "blog", "articles", "stories", "story", "tips", "letters", "newsdesk", "desk", "outreach",
     "partnerships", "partners", "collab", "collaborations", "collabs"}
)  # fmt: skip
# General inboxes: someone reads them, not necessarily the editor.
GENERIC_ROLES = frozenset(
    {"info", "information", "contact", "contactus", "hello", "hi", "hey", "hola", "howdy",
     "team", "office", "enquiries", "enquiry", "inquiries", "inquiry", "general", "mail",
     "email", "inbox", "post", "us", "staff", "crew", "studio", "questions", "ask",
     "feedback", "reception", "admissions", "extension", "membership", "members",
     "community", "events", "newsletter", "news", "newsroom"}
)  # fmt: skip
# Departments that seldom read link pitches.
DEPARTMENT_ROLES = frozenset(
    {"sales", "support", "help", "helpdesk", "service", "customerservice", "care",
     "billing", "accounts", "accounting", "finance", "invoices", "orders", "shop", "store",
     "marketing", "press", "media", "pr", "publicity", "comms", "communications", "admin",
     "administrator", "webmaster", "postmaster", "hostmaster", "abuse", "security",
     "privacy", "legal", "dpo", "gdpr", "compliance", "jobs", "careers", "hr", "recruiting",
     "ads", "advertising", "advertise", "sponsor", "sponsorship", "sponsors", "affiliates",
     "bookings", "booking", "reservations", "donations", "donate", "volunteer", "it",
     "tech", "dev", "developers", "web", "website", "root", "sysadmin"}
)  # fmt: skip
ROLE_LOCALS = EDITORIAL_ROLES | GENERIC_ROLES | DEPARTMENT_ROLES
NOREPLY_LOCALS = frozenset(
    {"noreply", "donotreply", "dontreply", "noreplies", "nobody", "mailerdaemon", "bounce",
     "bounces", "notifications", "notification", "alerts", "autoreply", "autoresponder"}
)  # fmt: skip
FREEMAIL_DOMAINS = frozenset(
    {"gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
     "ymail.com", "rocketmail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr",
     "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com",
     "protonmail.com", "proton.me", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de",
     "mail.com", "yandex.com", "yandex.ru", "mail.ru", "zoho.com", "zohomail.com",
     "fastmail.com", "hey.com", "tutanota.com", "tuta.io", "qq.com", "163.com", "126.com",
     "btinternet.com", "comcast.net", "verizon.net", "att.net", "sbcglobal.net",
     "orange.fr", "free.fr", "laposte.net", "libero.it", "t-online.de", "bigpond.com",
     "rediffmail.com", "seznam.cz", "wp.pl", "o2.pl", "naver.com", "hanmail.net"}
)  # fmt: skip
# Addresses from instructions and examples, never anyone's mailbox.
PLACEHOLDER_DOMAINS = frozenset(
    {"example.com", "example.org", "example.net", "domain.com", "yourdomain.com",
     "yoursite.com", "yourwebsite.com", "mysite.com", "email.com", "company.com",
     "website.com", "sentry.io", "wixpress.com", "sentry-next.wixpress.com"}
)  # fmt: skip
PLACEHOLDER_LOCALS = frozenset(
    {"you", "your", "yourname", "name", "user", "username", "someone", "firstname",
     "first.last", "john.doe", "jane.doe"}
)  # fmt: skip
_SEPARATORS = re.compile(r"[._+\-]+")
_HONORIFICS = frozenset(
    {"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sir", "dame", "jr", "sr", "ii", "iii",
     "iv", "phd", "md", "msc", "bsc"}
)  # fmt: skip


def local_part(address: str) -> str:
    """The local part without a ``+tag``, lower-cased."""
    return address.rsplit("@", 1)[0].split("+", 1)[0].lower()


def domain_part(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower().rstrip(".")


def compact(local: str) -> str:
    """``Guest.Posts-2`` -> ``guestposts2``."""
    return _SEPARATORS.sub("", local.lower())


def is_noreply(address: str) -> bool:
    local = compact(local_part(address))
    return local in NOREPLY_LOCALS or local.startswith(("noreply", "donotreply"))


def placeholder_reason(address: str) -> str | None:
    domain = domain_part(address)
    if domain in PLACEHOLDER_DOMAINS or registrable_domain(domain) in PLACEHOLDER_DOMAINS:
        return f"placeholder domain {domain}"
    if domain_part(address).split(".")[0] in ("domain", "yourdomain", "yoursite"):
        return f"placeholder domain {domain}"
    if local_part(address) in PLACEHOLDER_LOCALS and domain.startswith(("your", "my")):
        return "placeholder address"
    return None


def role_group(address: str, site_host: str = "") -> str | None:
    """``editorial``, ``generic`` or ``department`` for a role address, else None.

    A local part is a role when it is a known role word (separators and digits ignored:
    ``guest-posts``, ``info2``), when its first word is one (``editor.uk``, ``sales-team``),
    or when it is the site's own name (``wormwhisperer@wormwhisperer.example``).
    """
    local = local_part(address)
    words = [w for w in _SEPARATORS.split(local) if w]
    candidates = [compact(local), compact(local).rstrip("0123456789"), *(words[:1])]
    for word in candidates:
        if word in EDITORIAL_ROLES:
            return "editorial"
        if word in GENERIC_ROLES:
            return "generic"
        if word in DEPARTMENT_ROLES:
            return "department"
    if site_host:
        label = registrable_domain(site_host).split(".")[0]
        if compact(local) in (compact(label), compact(site_host.split(".")[0])):
            return "generic"
    return None


def offsite(address: str, site_host: str) -> str | None:
    """None when the address is on the site's own domain, else ``freemail`` or
    ``other_domain``."""
    domain = domain_part(address)
    if registrable_domain(domain) == registrable_domain(site_host):
        return None
    if domain in FREEMAIL_DOMAINS or registrable_domain(domain) in FREEMAIL_DOMAINS:
        return "freemail"
    return "other_domain"


def name_tokens(name: str) -> list[str]:
    """``Dr. Brian O'Neill-Smith`` -> ``['brian', 'oneillsmith']``: ASCII, no honorifics."""
    folded = unicodedata.normalize("NFKD", name)
    ascii_name = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    ascii_name = re.sub(r"['’`\-]", "", ascii_name)
    words = [w for w in re.split(r"[^a-z]+", ascii_name) if w]
    return [w for w in words if w not in _HONORIFICS]


def local_fits_name(local: str, name: str) -> bool:
    """True when a local part is how ``name`` would be written in an address:
    ``jane.doe``, ``janedoe``, ``jane_doe``, ``jane``, ``jdoe``, ``j.doe``, ``janed``,
    ``doe.jane``, ``doej``, ``doe``, ``jane.q.doe``; separators, case and ``+tags`` aside."""
    words = name_tokens(name)
    if not words:
        return False
    key = compact(local.split("+", 1)[0]).rstrip("0123456789")
    if len(key) < 2:
        return False
    first, last = words[0], words[-1]
    if len(words) == 1:
        return key == first and len(first) >= 3
    middle = "".join(w[0] for w in words[1:-1])
    forms = {
        first + last,
        first + middle + last,
        first[0] + last,
        first[0] + middle + last,
        first + last[0],
        last + first,
        last + first[0],
        "".join(words),
    }
    if len(first) >= 3:
        forms.add(first)
    if len(last) >= 4:
        forms.add(last)
    return key in forms


def match_name(address: str, names: list[str]) -> str | None:
    """The first of ``names`` the address's local part fits, or None."""
    local = local_part(address)
    for name in names:
        if local_fits_name(local, name):
            return name
    return None
