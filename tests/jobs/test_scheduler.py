"""The scheduler carries every job of the registry, coalesced, one at a time, on UTC cron."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.settings import Settings
from forwarder_insure import create_app
from forwarder_insure.domain.access import Role
from jobs.registry import JOBS
from jobs.scheduler import UnknownScheduledJob, build_scheduler, run_scheduled
from tests.fixtures.insurance import bound


def test_every_registered_job_is_scheduled_coalesced_and_alone(app):
    scheduler = build_scheduler(app.extensions["forwarder_insure"], background=True)
    scheduler.start(paused=True)  # jobs get their defaults when the scheduler starts
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert set(jobs) == set(JOBS)
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
    sweep = jobs["tracking-sweep"].trigger
    after = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert sweep.get_next_fire_time(None, after) == datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def test_a_schedule_can_be_overridden_from_the_environment(tmp_path, migrated):
    settings = Settings.from_env(
        {
            "FI_ENV": "testing",
            "FI_DATABASE_URL": migrated.url,
            "FI_SCHEDULE_TRACKING_SWEEP": "30 */6 * * *",
        },
        instance_path=tmp_path,
    )
    runtime = create_app(settings).extensions["forwarder_insure"]
    trigger = build_scheduler(runtime, background=True).get_job("tracking-sweep").trigger
    after = datetime(2026, 11, 21, 12, 40, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, after) == datetime(2026, 11, 21, 18, 30, tzinfo=UTC)


def test_a_schedule_for_an_unknown_job_is_refused(tmp_path, migrated):
    settings = Settings.from_env(
        {"FI_ENV": "testing", "FI_DATABASE_URL": migrated.url, "FI_SCHEDULE_NOPE": "* * * * *"},
        instance_path=tmp_path,
    )
    with pytest.raises(UnknownScheduledJob, match="nope"):
        build_scheduler(create_app(settings).extensions["forwarder_insure"], background=True)


def test_a_scheduled_run_uses_the_runtime_clock(app, clock, as_role, underwriter):
    bound(as_role(Role.SELLER), "SCHED-1")
    runtime = app.extensions["forwarder_insure"]
    clock.advance(days=15)
    assert run_scheduled(runtime, "tracking-sweep")["opened"] == 1
    clock.advance(days=1)
    assert run_scheduled(runtime, "tracking-sweep")["opened"] == 0
