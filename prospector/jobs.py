"""The agent's jobs: each name -> a function(settings, context) -> counts, calling the cores.

``run_job`` runs one and records it as a run named ``agent:<job>`` (start, end, status,
counts, the error or the reason it was skipped). The cores that keep runs of their own
(``prospect``, ``send``, ``replies``, ``verify``) still do, exactly as when a person runs the
command, so the core's rows say what the work did and the ``agent:`` rows say what the
schedule did, including the runs it skipped or refused.

Statuses: ``ok``; ``skipped`` (a prerequisite is not configured, the previous run is still
going, or the run was missed); ``stopped`` (the agent was asked to stop and the job ended
between two steps); ``failed`` (an error, recorded and logged; the agent goes on).

Cores are imported inside the job functions: importing this module never imports the
browser, the mail or the report stacks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prospector.config import JOBS, Settings
from prospector.errors import ProspectorError, UserError
from prospector.store import open_db

log = logging.getLogger("prospector.agent")
PREFIX = "agent:"


class Skipped(ProspectorError):
    """The job cannot run as configured (no SMTP, no IMAP, no sender, no campaigns)."""


class Stopped(ProspectorError):
    """The agent is stopping: the job ended between two steps, nothing half-written."""


@dataclass
class Context:
    """What a job gets besides the settings: the stop request to honour between steps,
    its run id (for the events it writes) and notes for the log."""

    stop: threading.Event
    run_id: int
    notes: list[str] = field(default_factory=list)


Job = Callable[[Settings, Context], dict[str, int]]


def _ints(data: Mapping[str, Any], prefix: str = "") -> dict[str, int]:
    """The countable values of a summary: ints as they are, lists by length, dicts
    flattened with their key as a prefix (booleans and text left out)."""
    out: dict[str, int] = {}
    for key, value in data.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            out[prefix + key] = value
        elif isinstance(value, list | tuple):
            out[prefix + key] = len(value)
        elif isinstance(value, Mapping):
            out.update(_ints(value, f"{prefix}{key}_"))
    return out


def _add(total: dict[str, int], counts: Mapping[str, int]) -> None:
    for key, value in counts.items():
        total[key] = total.get(key, 0) + value


def _need_sender(settings: Settings) -> None:
    from prospector.outreach.drafts import sender_missing

    missing = sender_missing(settings.sender)
    if missing:
        raise Skipped(f"no sender: {missing}")


def _summary_counts(summary: Any) -> dict[str, int]:
    """Counts of a summary object from a core: ``counts()``, else ``as_dict()``."""
    if callable(getattr(summary, "counts", None)):
        return dict(summary.counts())
    if callable(getattr(summary, "as_dict", None)):
        return _ints(summary.as_dict())
    return {}


def prospect_job(settings: Settings, ctx: Context) -> dict[str, int]:
    from prospector.pipeline import prospect

    if not any(settings.campaigns_dir.glob("*.toml")):
        raise Skipped(f"no campaigns in {settings.campaigns_dir}")
    total: dict[str, int] = {}
    for summary in prospect(settings, []):
        _add(total, summary.counts())
        _add(total, {"qualified": summary.qualified, "spam_rejected": summary.spam_rejected})
        _add(total, _ints(summary.drafts, "drafts_"))
        ctx.notes.extend(f"{summary.campaign}: {note}" for note in summary.notes)
    return total


def send_job(settings: Settings, ctx: Context) -> dict[str, int]:
    """Approved pitches and due follow-ups. The wait between two messages is where a stop
    request ends the run: the message in flight is finished and recorded first."""
    from prospector.outreach.sender import STOPPED, send

    _need_sender(settings)
    if not settings.smtp.configured:
        raise Skipped("no SMTP server: smtp.host is not set")

    summary = send(settings, stop=ctx.stop)
    if summary.stopped == STOPPED:  # the core's own 'send' run keeps the counts
        raise Stopped(f"{STOPPED}: {len(summary.sent)} sent before the stop")
    if summary.stopped:
        ctx.notes.append(summary.stopped)
    return {
        **summary.counts(),
        "queued": summary.queued,
        **_ints(vars(summary.reconciled), "reconciled_"),
        **_ints(vars(summary.followups), "followups_"),
    }


def followups_job(settings: Settings, ctx: Context) -> dict[str, int]:
    """Draft the follow-ups that are due; the send job sends them."""
    from prospector.campaigns import load_all
    from prospector.outreach.followups import queue_followups

    _need_sender(settings)
    campaigns = {c.name: c for c in load_all(settings.campaigns_dir, settings.templates_dir)}
    with open_db(settings.database) as store:
        summary = queue_followups(settings, campaigns, store, datetime.now(UTC), run_id=ctx.run_id)
    ctx.notes.extend(summary.refused)
    return _ints(vars(summary))


def replies_job(settings: Settings, ctx: Context) -> dict[str, int]:
    from prospector.inbox.poll import poll_replies

    if not settings.imap.configured:
        raise Skipped("no IMAP server: imap.host is not set")
    summary = poll_replies(settings)
    if summary.more_waiting:
        ctx.notes.append("more mail is waiting: the next run reads on")
    return {
        "new": summary.new,
        "processed": summary.processed,
        "already_seen": summary.already_seen,
        "unmatched": summary.unmatched,
        **dict(summary.kinds),
    }


def verify_job(settings: Settings, ctx: Context) -> dict[str, int]:
    from prospector.verify.run import verify

    summary = verify(settings)
    ctx.notes.extend(getattr(summary, "notes", None) or [])
    return _summary_counts(summary)


def report_job(settings: Settings, ctx: Context) -> dict[str, int]:
    from prospector.report.job import write_daily_report

    path = write_daily_report(settings)
    ctx.notes.append(f"report written to {path}")
    return {"reports": 1}


JOB_TABLE: dict[str, Job] = {
    "prospect": prospect_job,
    "send": send_job,
    "followups": followups_job,
    "replies": replies_job,
    "verify": verify_job,
    "report": report_job,
}


def check_job(name: str) -> str:
    if name not in JOB_TABLE:
        raise UserError(f"no job '{name}' (jobs: {', '.join(JOBS)})")
    return name


@dataclass
class Outcome:
    job: str
    status: str
    run_id: int
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def describe(self) -> str:
        """One line: 'send ok in 2.1s: sent=3, refused=1 (note)'."""
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.items() if v)
        text = f"{self.job} {self.status} in {self.elapsed_s:.1f}s"
        text += f": {counts or 'nothing to do'}" if self.status == "ok" else f": {self.error}"
        if self.notes:
            text += " (" + "; ".join(self.notes) + ")"
        return text

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def run_job(name: str, settings: Settings, stop: threading.Event) -> Outcome:
    """Run one job now and record it as ``agent:<name>``. Errors are recorded, logged and
    returned, never raised (except a database that cannot be opened at all)."""
    job = JOB_TABLE[check_job(name)]
    started = time.monotonic()
    with open_db(settings.database) as store:
        ctx = Context(stop=stop, run_id=store.start_run(PREFIX + name))
        outcome = Outcome(name, "failed", ctx.run_id, notes=ctx.notes)
        log.info("%s started (run %d)", name, ctx.run_id)
        try:
            if stop.is_set():
                raise Stopped("not started: the agent is shutting down")
            outcome.counts = job(settings, ctx)
            outcome.status = "ok"
        except Skipped as exc:
            outcome.status, outcome.error = "skipped", str(exc)
        except Stopped as exc:
            outcome.status, outcome.error = "stopped", str(exc)
        except ProspectorError as exc:
            outcome.error = str(exc)
        except Exception as exc:  # a bug in one job must not stop the agent
            outcome.error = f"internal error: {type(exc).__name__}: {exc}"
            log.exception("%s: internal error (please report it)", name)
        finally:
            outcome.elapsed_s = round(time.monotonic() - started, 1)
            store.finish_run(
                ctx.run_id,
                status=outcome.status,
                counts=outcome.counts,
                error=outcome.error[:500] or None,
            )
    level = logging.ERROR if outcome.status == "failed" else logging.INFO
    log.log(level, "%s", outcome.describe())
    return outcome


def record_skip(settings: Settings, name: str, reason: str) -> None:
    """A run the schedule wanted but did not make (the previous one still going, or too
    late): recorded as a skipped ``agent:<name>`` run."""
    with open_db(settings.database) as store, store.transaction():  # one row, never 'running'
        run_id = store.start_run(PREFIX + name)
        store.finish_run(run_id, status="skipped", counts={}, error=reason)
    log.warning("%s skipped: %s", name, reason)
