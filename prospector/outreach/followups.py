"""Follow-ups: each campaign step is queued N days after the pitch went out, only while no
reply has come, threaded under the pitch (In-Reply-To and References)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prospector.campaigns import Campaign
from prospector.config import Settings
from prospector.errors import TemplateError
from prospector.outreach.context import pitch_context
from prospector.outreach.drafts import TemplateCache, with_footer
from prospector.store.db import Store

# Prospect states in which a thread is still waiting for an answer.
AWAITING = ("sent",)


@dataclass
class FollowupSummary:
    queued: int = 0
    awaiting_approval: int = 0
    due: int = 0
    refused: list[str] = field(default_factory=list)


def _due_step(
    campaign: Campaign, thread: list[dict[str, Any]], now: datetime
) -> tuple[int, int] | None:
    """(step number, after_days) of the follow-up due now, if any."""
    if not thread or thread[0]["step"] != 0 or thread[0]["state"] != "sent":
        return None
    last = thread[-1]
    if last["state"] != "sent":
        return None  # a follow-up is waiting, or something went wrong: a person looks
    step = int(last["step"]) + 1
    if step > len(campaign.followups):
        return None
    after_days = campaign.followups[step - 1].after_days
    pitched = datetime.fromisoformat(thread[0]["sent_at"])
    if now < pitched + timedelta(days=after_days):
        return None
    return step, after_days


def queue_followups(
    settings: Settings,
    campaigns: dict[str, Campaign],
    store: Store,
    now: datetime,
    *,
    write: bool = True,
    run_id: int | None = None,
) -> FollowupSummary:
    """Draft the follow-ups that are due (approved with the pitch unless
    ``sending.followups_need_approval``). With ``write=False`` only count them."""
    summary = FollowupSummary()
    templates = TemplateCache(settings.templates_dir)
    for prospect in store.prospects(states=list(AWAITING)):
        campaign = campaigns.get(prospect["campaign"])
        if campaign is None or not campaign.followups:
            continue
        paused = (prospect.get("evidence") or {}).get("paused_until")
        if paused and now < datetime.fromisoformat(paused):
            continue  # an auto-reply said when they are back
        thread = store.thread(int(prospect["id"]))
        due = _due_step(campaign, thread, now)
        if due is None:
            continue
        summary.due += 1
        if not write:
            continue
        step, after_days = due
        pitch, last = thread[0], thread[-1]
        template = campaign.followups[step - 1].template
        context = pitch_context(
            prospect,
            store.page_row(prospect["page_id"]) if prospect.get("page_id") else None,
            None,
            {"email": pitch["to_email"], "name": pitch["to_name"]},
            campaign,
            settings.sender,
            pitch["unsubscribe_token"] or "",
            original={
                "subject": pitch["subject"],
                "message_id": pitch["message_id"],
                "sent_at": pitch["sent_at"],
            },
            followup={"step": step, "after_days": after_days},
        )
        try:
            draft = templates.get(template).render(context)
        except TemplateError as exc:
            if str(exc) not in summary.refused:
                summary.refused.append(str(exc))
            continue
        draft = with_footer(draft, settings.sender, pitch["unsubscribe_token"] or "")
        needs_approval = settings.sending.followups_need_approval
        added = store.add_message(
            int(prospect["id"]),
            {
                "campaign": campaign.name,
                "step": step,
                "template": template,
                "to_email": pitch["to_email"],
                "to_name": pitch["to_name"],
                "subject": draft.subject,
                "body_text": draft.text,
                "body_html": draft.html,
                "state": "draft" if needs_approval else "approved",
                "in_reply_to": last["message_id"],
                "refs": " ".join(m["message_id"] for m in thread if m["message_id"]),
                "unsubscribe_token": pitch["unsubscribe_token"],
                "approved_by": None if needs_approval else f"{pitch['approved_by']} (sequence)",
                "approved_at": None if needs_approval else pitch["approved_at"],
            },
            actor="agent",
            run_id=run_id,
        )
        if added is not None:
            summary.queued += 1
            summary.awaiting_approval += needs_approval
    return summary
