"""The scheduler: APScheduler 3 running every job of the registry on its cron schedule.

One process runs it (``forwarder-insure scheduler``), a second may run as a standby: each run
takes the job's PostgreSQL advisory lock, so only one of them does the work. Jobs coalesce
(missed runs collapse into one) and never overlap within a process. The demo runs the same
scheduler in a background thread of the web process.
"""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from forwarder_insure.runtime import Runtime
from jobs.registry import JOBS, run_job

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


class UnknownScheduledJob(ValueError):
    pass


def trigger_for(job_id: str, runtime: Runtime) -> CronTrigger:
    overrides = dict(runtime.settings.job_schedules)
    if job_id in overrides:
        return CronTrigger.from_crontab(overrides[job_id], timezone=UTC)
    return CronTrigger(timezone=UTC, **JOBS[job_id].cron)


def build_scheduler(runtime: Runtime, *, background: bool) -> BaseScheduler:
    """A scheduler with every registered job; not started."""
    unknown = {job_id for job_id, _ in runtime.settings.job_schedules} - set(JOBS)
    if unknown:
        raise UnknownScheduledJob(
            f"FI_SCHEDULE_ names unknown job(s): {', '.join(sorted(unknown))}"
        )
    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler = cls(timezone=UTC, job_defaults=JOB_DEFAULTS)
    for job_id in JOBS:
        scheduler.add_job(
            run_scheduled,
            trigger_for(job_id, runtime),
            args=[runtime, job_id],
            id=job_id,
            name=JOBS[job_id].description,
        )
    return scheduler


def run_scheduled(runtime: Runtime, job_id: str) -> dict:
    """One scheduled run, as of the runtime's clock; its summary is logged."""
    summary = run_job(runtime.database, job_id, runtime.clock.now())
    did_something = any(isinstance(v, int) and v for v in summary.values())
    log.log(logging.INFO if did_something else logging.DEBUG, "job %s: %s", job_id, summary)
    return summary
