"""The approval loop: approve, reject and edit drafts. Every action is an event naming who
did it; nothing is ever sent without an approval."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prospector.config import Settings
from prospector.errors import TemplateError, UserError
from prospector.outreach.templates import Draft, find_placeholders, format_draft, parse_draft
from prospector.store import open_db
from prospector.store.db import Store

EDITABLE = ("draft", "approved")


@dataclass(frozen=True)
class Outcome:
    prospect_id: int
    done: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.prospect_id, "done": self.done, "detail": self.detail}


def next_message(store: Store, prospect_id: int) -> dict[str, Any] | None:
    """The prospect's first message that has not gone out (a draft or an approved one)."""
    return next((m for m in store.thread(prospect_id) if m["state"] in EDITABLE), None)


def _approve_one(store: Store, prospect_id: int, actor: str) -> Outcome:
    prospect = store.prospect(prospect_id)
    if prospect is None:
        return Outcome(prospect_id, False, "no such prospect")
    message = next((m for m in store.thread(prospect_id) if m["state"] == "draft"), None)
    if message is None:
        state = prospect["state"]
        why = "already approved" if state == "approved" else f"no draft to approve ({state})"
        return Outcome(prospect_id, False, why)
    leftovers = find_placeholders(f"{message['subject']}\n{message['body_text']}")
    if leftovers:
        line, token = leftovers[0]
        return Outcome(prospect_id, False, f"draft line {line}: leftover placeholder '{token}'")
    reason = store.suppression_reason(message["to_email"], [prospect.get("domain") or ""])
    if reason:
        return Outcome(prospect_id, False, reason)
    if message["step"] == 0:
        other = store.domain_written(prospect["campaign"], prospect["domain"], prospect_id)
        if other is not None:
            return Outcome(
                prospect_id,
                False,
                f"{prospect['domain']} is already approved or written to in this campaign "
                f"(prospect #{other}): one prospect per domain",
            )
    changed = store.change_message(
        int(message["id"]),
        "approved",
        actor=actor,
        expect=["draft"],
        columns={"approved_by": actor, "approved_at": _now()},
        prospect_state="approved" if message["step"] == 0 else None,
    )
    if not changed:
        return Outcome(prospect_id, False, "the draft changed meanwhile; look again")
    return Outcome(prospect_id, True, f"approved: to {message['to_email']}")


def _now() -> str:
    from prospector.models import utcnow

    return utcnow()


def approve(
    settings: Settings,
    ids: list[int],
    *,
    actor: str,
    above: float | None = None,
    campaign: str | None = None,
) -> list[Outcome]:
    """Approve the drafts of ``ids``, or of every drafted prospect scoring above ``above``."""
    with open_db(settings.database) as store:
        if above is not None:
            rows = store.prospects(campaign, None, ["drafted"])
            rows.sort(key=lambda r: -(r.get("score") or 0))
            ids = [int(r["id"]) for r in rows if (r.get("score") or 0) > above]
        return [_approve_one(store, pid, actor) for pid in ids]


def reject(settings: Settings, ids: list[int], *, reason: str, actor: str) -> list[Outcome]:
    """Reject prospects with a reason; their unsent messages are rejected with them."""
    if not reason.strip():
        raise UserError("--reason is required: say why, so the next review knows")
    out = []
    with open_db(settings.database) as store:
        for pid in ids:
            prospect = store.prospect(pid)
            if prospect is None:
                out.append(Outcome(pid, False, "no such prospect"))
                continue
            thread = store.thread(pid)
            if any(m["state"] not in EDITABLE for m in thread):
                out.append(Outcome(pid, False, f"already written to ({prospect['state']})"))
                continue
            if prospect["state"] == "rejected":
                out.append(Outcome(pid, False, "already rejected"))
                continue
            with store.transaction():
                for message in thread:
                    store.change_message(int(message["id"]), "rejected", actor=actor, reason=reason)
                store.set_prospect_state(pid, "rejected", actor=actor, reason=reason)
            out.append(Outcome(pid, True, f"rejected: {reason}"))
    return out


def editor_command() -> list[str]:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(editor)


def edit(settings: Settings, prospect_id: int, *, actor: str) -> Outcome:
    """Open the prospect's next unsent message in $EDITOR; save it when it validates.

    An approved message that is edited goes back to draft: the approval was for the old
    text. A refused edit is kept in a file the error names, so no work is lost."""
    with open_db(settings.database) as store:
        message = next_message(store, prospect_id)
        if message is None:
            if store.prospect(prospect_id) is None:
                raise UserError(f"no prospect #{prospect_id}")
            raise UserError(f"prospect #{prospect_id} has no draft to edit")
        before = Draft(message["subject"], message["body_text"], message.get("body_html"))
    text = format_draft(before)
    handle, name = tempfile.mkstemp(prefix=f"prospector-{prospect_id}-", suffix=".txt")
    path = Path(name)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    try:
        result = subprocess.run([*editor_command(), str(path)], check=False)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise UserError(f"cannot run the editor {editor_command()[0]!r}: {exc.strerror}") from None
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        raise UserError(f"the editor exited with {result.returncode}; the draft is unchanged")
    edited = path.read_text(encoding="utf-8")
    if edited == text:
        path.unlink(missing_ok=True)
        return Outcome(prospect_id, False, "no changes")
    try:
        after = parse_draft(edited, str(path))
    except TemplateError as exc:
        raise TemplateError(
            f"{exc} (the draft is unchanged; your edit is kept in {path})"
        ) from None
    path.unlink(missing_ok=True)
    with open_db(settings.database) as store:
        was_approved = message["state"] == "approved"
        changed = store.change_message(
            int(message["id"]),
            "draft",
            actor=actor,
            expect=EDITABLE,
            columns={
                "subject": after.subject,
                "body_text": after.text,
                "body_html": after.html,
                "edited": 1,
                "approved_by": None,
                "approved_at": None,
            },
            prospect_state="drafted" if message["step"] == 0 and was_approved else None,
            reason="edited",
            data={"edited": True},
        )
    if not changed:
        raise UserError(f"prospect #{prospect_id}: the message went out meanwhile; not saved")
    note = "; approve it again" if was_approved else ""
    return Outcome(prospect_id, True, f"draft saved{note}")
