"""Drafting: a pitch per qualified prospect with an email contact, rendered from the
campaign's template, with the footer the law asks for. Drafts wait for a person."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospector.campaigns import Campaign
from prospector.config import SenderSettings, Settings
from prospector.errors import TemplateError
from prospector.outreach.compose import new_token, unsubscribe_links
from prospector.outreach.context import pitch_context
from prospector.outreach.templates import Draft, PitchTemplate, load_template
from prospector.store.db import Store


@dataclass
class DraftSummary:
    drafted: int = 0
    no_contact: int = 0
    suppressed: int = 0
    refused: list[str] = field(default_factory=list)
    not_configured: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "drafted": self.drafted,
            "no_contact": self.no_contact,
            "suppressed": self.suppressed,
            "refused": self.refused,
            "not_configured": self.not_configured,
        }


def sender_missing(sender: SenderSettings) -> str:
    """Why nothing can be drafted or sent with this sender, or ''."""
    missing = sender.missing_for_sending()
    if not missing:
        return ""
    return f"set {', '.join(missing)} in the config's [sender] section"


def with_footer(draft: Draft, sender: SenderSettings, token: str) -> Draft:
    """The draft with the sender's postal address and an unsubscribe line, added only when
    the template did not already render them."""
    links = unsubscribe_links(sender, token)
    unsubscribe = links["url"] or f"reply with 'unsubscribe' or write to {sender.email}"
    address = sender.postal_address.strip()
    first_line = address.splitlines()[0] if address else ""
    text = draft.text
    lines = []
    if first_line and first_line not in text:
        who = ", ".join(part for part in (sender.name, sender.organisation) if part)
        lines += [who, address]
    if not any(link and link in text for link in (links["url"], links["mailto"], sender.email)):
        lines.append(f"To stop hearing from me: {unsubscribe}")
    if lines:
        text = text.rstrip("\n") + "\n\n--\n" + "\n".join(lines) + "\n"
    body_html = draft.html
    if body_html is not None and first_line and first_line not in body_html:
        footer = "<br>".join(html.escape(line) for line in address.splitlines())
        link = html.escape(links["url"] or f"mailto:{sender.email}")
        body_html += (
            f'<p style="font-size:small;color:#666">{footer}<br>'
            f'<a href="{link}">Unsubscribe</a></p>'
        )
    return Draft(subject=draft.subject, text=text, html=body_html)


def choose_contact(store: Store, prospect: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The best email contact that may be written to; (None, True) when every one found
    is suppressed."""
    suppressed = False
    for contact in store.contacts_of(int(prospect["id"])):
        email = contact.get("email")
        if not email:
            continue
        if store.suppression_reason(email, [prospect.get("domain") or ""]):
            suppressed = True
            continue
        return contact, False
    return None, suppressed


class TemplateCache:
    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir
        self.loaded: dict[str, PitchTemplate] = {}

    def get(self, name: str) -> PitchTemplate:
        if name not in self.loaded:
            self.loaded[name] = load_template(self.templates_dir / name)
        return self.loaded[name]


def draft_campaign(
    settings: Settings, campaign: Campaign, store: Store, run_id: int | None = None
) -> DraftSummary:
    """Draft the pitch of every qualified prospect of ``campaign`` that has none yet."""
    summary = DraftSummary()
    summary.not_configured = sender_missing(settings.sender)
    if summary.not_configured:
        return summary
    templates = TemplateCache(settings.templates_dir)
    for prospect in store.prospects(campaign.name, states=["qualified"]):
        prospect_id = int(prospect["id"])
        if store.thread(prospect_id):
            continue
        contact, suppressed = choose_contact(store, prospect)
        if contact is None:
            summary.suppressed += suppressed
            summary.no_contact += not suppressed
            continue
        name = getattr(campaign.templates, prospect["type"], None)
        if name is None:  # reclaim prospects: no pitch template yet, a person writes to them
            continue
        token = new_token()
        page = store.page_row(prospect["page_id"]) if prospect.get("page_id") else None
        facts = store.page_facts([prospect["page_id"]]) if prospect.get("page_id") else {}
        context = pitch_context(
            prospect,
            page,
            facts.get(prospect["page_id"]) if prospect.get("page_id") else None,
            contact,
            campaign,
            settings.sender,
            token,
        )
        try:
            draft = templates.get(name).render(context)
        except TemplateError as exc:
            if str(exc) not in summary.refused:
                summary.refused.append(str(exc))
            store.add_event(
                "prospect", str(prospect_id), "draft_refused", "agent", {"error": str(exc)}, run_id
            )
            continue
        draft = with_footer(draft, settings.sender, token)
        store.add_message(
            prospect_id,
            {
                "campaign": campaign.name,
                "step": 0,
                "template": name,
                "to_email": contact["email"],
                "to_name": contact.get("name") or "",
                "subject": draft.subject,
                "body_text": draft.text,
                "body_html": draft.html,
                "state": "draft",
                "unsubscribe_token": token,
            },
            actor="agent",
            prospect_state="drafted",
            run_id=run_id,
        )
        summary.drafted += 1
    return summary
