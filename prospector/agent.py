"""The scheduled agent: APScheduler wiring only (the jobs themselves are in ``jobs``).

A ``BackgroundScheduler`` runs each job that has a cron expression in ``[schedule]`` on its
``CronTrigger`` (in ``schedule.timezone``, else ``sender.timezone``), in a thread pool, with
``max_instances=1`` (a job never overlaps itself), ``coalesce=True`` and
``misfire_grace_time = schedule.misfire_grace_s``. The main thread holds the database's
agent lock and waits for a stop request (SIGTERM or SIGINT); then the scheduler is shut down
waiting for the running jobs, which end at their next step (the send job between two
messages) — nothing is left half-written.

A run the schedule missed while no agent was running (since the last ``agent:`` run of that
job) is made at start if it is less than ``misfire_grace_s`` late, coalesced into one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from prospector.config import JOBS, Settings, cron_trigger
from prospector.errors import UserError
from prospector.jobs import PREFIX, Outcome, check_job, record_skip, run_job
from prospector.store import open_db
from prospector.store.locks import FileLock

log = logging.getLogger("prospector.agent")
POLL_S = 0.2


class Stop:
    """A stop request. The signal handler only appends to a list (nothing that takes a
    lock, so it is safe whatever the main thread was doing); the main thread turns that
    into ``event``, which the jobs wait on between their steps."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signals: list[int] = []

    def handler(self, signum: int, frame: object) -> None:
        self.signals.append(signum)

    def requested(self) -> bool:
        if self.signals and not self.event.is_set():
            name = signal.Signals(self.signals[0]).name
            log.info("%s received: stopping after the current step of the running jobs", name)
            self.event.set()
        return self.event.is_set()


@contextlib.contextmanager
def stop_on_signals(stop: Stop) -> Iterator[Stop]:
    """SIGTERM and SIGINT request a graceful stop while inside (main thread only)."""
    previous = {sig: signal.signal(sig, stop.handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def zone(settings: Settings) -> str:
    return settings.schedule.timezone or settings.sender.timezone


def triggers(settings: Settings) -> dict[str, Any]:
    """job -> CronTrigger, for the jobs that have a schedule."""
    tz = zone(settings)
    out: dict[str, Any] = {}
    for name in JOBS:
        expression = getattr(settings.schedule, name)
        if expression:
            out[name] = cron_trigger(expression, tz)
    return out


@dataclass
class Planned:
    job: str
    cron: str
    next_at: datetime | None
    last: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "cron": self.cron,
            "next_at": self.next_at.isoformat() if self.next_at else None,
            "last": self.last,
        }


def plan(settings: Settings, now: datetime | None = None) -> list[Planned]:
    """Each job's schedule, next fire time and last agent run (for ``agent --list``)."""
    now = now or datetime.now(ZoneInfo(zone(settings)))
    scheduled = triggers(settings)
    with open_db(settings.database) as store:
        last = store.last_runs([PREFIX + name for name in JOBS])
    return [
        Planned(
            name,
            getattr(settings.schedule, name),
            scheduled[name].get_next_fire_time(None, now) if name in scheduled else None,
            last.get(PREFIX + name),
        )
        for name in JOBS
    ]


@contextlib.contextmanager
def _holding_lock(settings: Settings) -> Iterator[dict[str, dict[str, Any]]]:
    """The agent lock for this database; inside, the last agent run of each job. Runs a
    dead agent left 'running' are closed as failed first."""
    with open_db(settings.database) as store:
        lock: FileLock = store.agent_lock().acquire()
        try:
            for run_id in store.abandon_runs(PREFIX):
                log.warning("run %d was left running by a stopped agent: marked failed", run_id)
            last = store.last_runs([PREFIX + name for name in JOBS])
        except BaseException:
            lock.release()
            raise
    try:
        yield last
    finally:
        lock.release()


def _missed(trigger: Any, last: dict[str, Any] | None, now: datetime, grace_s: int) -> bool:
    """Whether a fire time passed since the job's last agent run, less than the grace ago."""
    if last is None:
        return False
    since = datetime.fromisoformat(last["started_at"]) + timedelta(microseconds=1)
    due = trigger.get_next_fire_time(None, since)
    return due is not None and now - timedelta(seconds=grace_s) <= due <= now


def _on_refused(settings: Settings, event: Any) -> None:
    """EVENT_JOB_MAX_INSTANCES and EVENT_JOB_MISSED: the run is recorded as skipped."""
    from apscheduler.events import EVENT_JOB_MAX_INSTANCES

    times = getattr(event, "scheduled_run_times", None) or [event.scheduled_run_time]
    at = times[-1].isoformat(timespec="seconds")
    if event.code == EVENT_JOB_MAX_INSTANCES:
        reason = f"run due at {at} refused: the previous run is still going"
    else:
        reason = (
            f"run due at {at} missed: more than schedule.misfire_grace_s "
            f"({settings.schedule.misfire_grace_s}s) late"
        )
    try:
        record_skip(settings, event.job_id, reason)
    except Exception:  # recording must never take the scheduler down
        log.exception("%s: could not record the skipped run", event.job_id)


def serve(settings: Settings, stop: Stop) -> None:
    """Run the schedule until ``stop`` is requested; return once every running job has
    ended. Raises ``LockedError`` when another agent runs on this database."""
    from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduled = triggers(settings)
    if not scheduled:
        raise UserError("nothing to schedule: every job in [schedule] is empty")
    grace = settings.schedule.misfire_grace_s
    tz = ZoneInfo(zone(settings))
    with _holding_lock(settings) as last:
        scheduler = BackgroundScheduler(
            timezone=tz,
            executors={"default": ThreadPoolExecutor(len(JOBS))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        )
        scheduler.add_listener(
            partial(_on_refused, settings), EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED
        )
        now = datetime.now(tz)
        for name, trigger in scheduled.items():
            extra: dict[str, Any] = {}
            if _missed(trigger, last.get(PREFIX + name), now, grace):
                log.info("%s: a scheduled run was missed while no agent ran; running it now", name)
                extra["next_run_time"] = now
            scheduler.add_job(
                run_job,
                trigger,
                args=[name, settings, stop.event],
                id=name,
                name=name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=grace,
                **extra,
            )
        log.info("agent started (pid %d) on %s; times in %s", os.getpid(), settings.database, tz)
        scheduler.start()
        try:
            for job in scheduler.get_jobs():
                cron, at = getattr(settings.schedule, job.id), job.next_run_time
                log.info("%s: '%s', next at %s", job.id, cron, at.isoformat(timespec="seconds"))
            while not stop.requested():
                stop.event.wait(POLL_S)
        finally:
            stop.event.set()
            log.info("stopping: waiting for the running jobs to end their current step")
            scheduler.shutdown(wait=True)
    log.info("agent stopped")


def run_once(settings: Settings, name: str, stop: Stop) -> Outcome:
    """Run one job now, in the foreground, under the agent lock. The job runs in a thread
    so that the main thread can turn a signal into a stop request."""
    check_job(name)
    result: list[Outcome] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(run_job(name, settings, stop.event))
        except BaseException as exc:  # handed to the main thread
            failure.append(exc)

    with _holding_lock(settings):
        worker = threading.Thread(target=work, name=f"job-{name}")
        worker.start()
        while worker.is_alive():
            stop.requested()
            worker.join(POLL_S)
    if failure:
        raise failure[0]
    return result[0]
