"""How sure we are that an address reaches someone who can place a link: 0-1.

The rules, applied in this order (every one that fires is kept as a reason):

1. **Where it was found** sets the base: the write-for-us page 0.70; the contact page and
   the prospect page 0.60; the about page 0.50; any other page of the site (a footer) 0.40.
2. **Role addresses:** an editorial role (``editor``, ``submissions``, ``pitches``,
   ``contributors``, ``guestposts``...) +0.15, or +0.25 for a guest post (the opportunity is
   a guest post or the address is on the write-for-us page); a general inbox (``info``,
   ``hello``, ``contact``, ``team``...) +0; a department (``sales``, ``support``,
   ``press``, ``admin``, ``webmaster``...) -0.10.
3. **Personal addresses:** the local part fits the prospect page's author (``jane.doe@``,
   ``jane@``, ``jdoe@`` for Jane Doe) +0.30; fits another author seen on the site +0.15;
   any other personal address +0.05.
4. Found on more than one page of the site +0.05.
5. **Off-site:** a free-mail address (gmail...) -0.10 unless it fits an author; any other
   domain -0.20.
6. **MX** (when checked): the domain takes mail +0.05; no MX, no address records, a null
   MX or NXDOMAIN caps the confidence at 0.15; an unknown answer (timeout) changes nothing.
7. The result is clamped to 0.01-0.99.

So an ``editor@``/``submissions@`` address on the write-for-us page of a guest-post
prospect is 0.95, a personal address that fits the page's author 0.90, an address found
only on the about page 0.50-0.55, and any address whose domain takes no mail 0.15 or less.
A contact form (kept only when no address was found) is 0.45 on the write-for-us page and
0.30 on the contact page.
"""

from __future__ import annotations

from prospector.qualify.contact_model import PAGE_LABELS

PAGE_BASE = {"write_for_us": 0.70, "contact": 0.60, "prospect": 0.60, "about": 0.50, "other": 0.40}
FORM_CONFIDENCE = {"write_for_us": 0.45, "contact": 0.30}  # a comment form is no contact
ROLE_BONUS = {"editorial": 0.15, "generic": 0.0, "department": -0.10}
GUEST_EDITORIAL_BONUS = 0.25
PAGE_AUTHOR_BONUS = 0.30
SITE_AUTHOR_BONUS = 0.15
OTHER_PERSONAL_BONUS = 0.05
SEVERAL_PAGES_BONUS = 0.05
FREEMAIL_PENALTY = -0.10
OTHER_DOMAIN_PENALTY = -0.20
MX_OK_BONUS = 0.05
MX_FAILED_CAP = 0.15


def confidence(
    *,
    page: str,
    role: str | None,
    name_from: str | None,
    pages_seen: int,
    offsite: str | None,
    mx_ok: bool | None,
    guest_post: bool,
) -> tuple[float, tuple[str, ...]]:
    """The confidence of one address and the rules that produced it."""
    score = PAGE_BASE.get(page, PAGE_BASE["other"])
    reasons = [f"found on {PAGE_LABELS.get(page, page)} ({score:+.2f})"]

    def add(delta: float, why: str) -> None:
        nonlocal score
        if delta:
            score += delta
            reasons.append(f"{why} ({delta:+.2f})")
        else:
            reasons.append(why)

    if role is not None:
        if role == "editorial" and (guest_post or page == "write_for_us"):
            add(GUEST_EDITORIAL_BONUS, "an editorial role address for a guest post")
        else:
            add(ROLE_BONUS.get(role, 0.0), f"a {role} role address")
    elif name_from == "page_author":
        add(PAGE_AUTHOR_BONUS, "a personal address that fits the page's author")
    elif name_from == "site_author":
        add(SITE_AUTHOR_BONUS, "a personal address that fits an author of the site")
    else:
        add(OTHER_PERSONAL_BONUS, "a personal address")
    if pages_seen > 1:
        add(SEVERAL_PAGES_BONUS, f"found on {pages_seen} pages")
    if offsite == "freemail" and name_from is None:
        add(FREEMAIL_PENALTY, "a free-mail address")
    elif offsite == "other_domain":
        add(OTHER_DOMAIN_PENALTY, "on another domain than the site's")
    if mx_ok is True:
        add(MX_OK_BONUS, "the domain takes mail (MX)")
    elif mx_ok is False and score > MX_FAILED_CAP:
        add(MX_FAILED_CAP - score, "the domain takes no mail (MX)")
    return round(min(0.99, max(0.01, score)), 2), tuple(reasons)
