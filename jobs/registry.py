"""The one list of jobs, with stable ids, and how one run of a job happens.

Most runs are one transaction. On PostgreSQL such a run first takes a transaction-level advisory
lock named after the job, without waiting: if another scheduler (a standby, or a CLI run) holds
it, this run is skipped (its summary: the job's keys at zero plus ``"skipped": true``), and
the lock disappears with the transaction even if the process dies.
A job that must not hold a transaction open (webhook delivery waits on HTTP) manages its own
short transactions and stays safe by claiming rows with ``SKIP LOCKED``. Every job is written so
that running it twice, or two at once, does each thing once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forwarder_insure.db.session import Database
from forwarder_insure.services.grace_deadlines import GraceSummary
from forwarder_insure.services.insurer import SlaRun
from forwarder_insure.services.payouts import PayoutRun
from forwarder_insure.services.sweep import SweepSummary
from jobs import claims, maintenance, tracking, webhooks


@dataclass(frozen=True)
class Job:
    id: str
    #: One run in one transaction (the advisory-locked kind), or …
    run: Callable[[Session, datetime], dict[str, Any]] | None
    #: APScheduler cron fields for the scheduler process.
    cron: dict[str, Any]
    description: str
    #: … a run that opens its own short transactions.
    run_with_database: Callable[[Database, datetime], dict[str, Any]] | None = None
    #: The summary of a run that did nothing: what a skipped run reports, so a skipped
    #: summary has the same keys as any other (plus ``"skipped": true``).
    idle: Callable[[], dict[str, Any]] = dict


JOBS: dict[str, Job] = {
    job.id: job
    for job in (
        Job(
            id="tracking-sweep",
            run=tracking.tracking_sweep,
            cron={"hour": 2, "minute": 0},
            description="Inquiries for silent parcels; presumed loss after the loss window.",
            idle=lambda: SweepSummary().as_dict(),
        ),
        Job(
            id="grace-deadlines",
            run=claims.grace_deadlines,
            cron={"hour": 3, "minute": 0},
            description="Remind sellers of missing grace documents; lapse claims past deadline.",
            idle=lambda: GraceSummary().as_dict(),
        ),
        Job(
            id="advance-payouts",
            run=claims.advance_payouts,
            cron={"minute": "*/10"},
            description="Pay payable claims not yet paid; recovery tasks for delivered parcels.",
            idle=lambda: PayoutRun().as_dict(),
        ),
        Job(
            id="insurer-sla",
            run=claims.insurer_sla,
            cron={"hour": "*/4", "minute": 5},
            description="Flag insurer settlements past their due date.",
            idle=lambda: SlaRun().as_dict(),
        ),
        Job(
            id="deliver-webhooks",
            run=None,
            run_with_database=webhooks.deliver,
            cron={"second": "*/20"},
            description="Send outbox events to webhook subscribers, retrying with backoff.",
        ),
        Job(
            id="purge-idempotency-keys",
            run=maintenance.purge_idempotency_keys,
            cron={"minute": 17},
            description="Forget stored Idempotency-Key answers older than their lifetime.",
            idle=lambda: {"purged": 0},
        ),
        Job(
            id="purge-feed-payloads",
            run=maintenance.purge_feed_payloads,
            cron={"minute": 47},
            description="Delete tracking providers' stored pushes past their retention.",
            idle=lambda: {"purged": 0},
        ),
    )
}


class UnknownJob(KeyError):
    pass


def job_lock_id(job_id: str) -> int:
    digest = hashlib.sha256(f"job\x00{job_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def run_job(database: Database, job_id: str, as_of: datetime) -> dict[str, Any]:
    """Run ``job_id`` once as of ``as_of``; returns its JSON-able summary."""
    try:
        job = JOBS[job_id]
    except KeyError:
        raise UnknownJob(job_id) from None
    if job.run_with_database is not None:
        return {"job": job_id, **job.run_with_database(database, as_of)}
    assert job.run is not None
    with database.unit_of_work() as session:
        if database.dialect == "postgresql":
            locked = session.execute(select(func.pg_try_advisory_xact_lock(job_lock_id(job_id))))
            if not locked.scalar_one():
                return {"job": job_id, **job.idle(), "skipped": True}
        summary = job.run(session, as_of)
    return {"job": job_id, **summary}
