"""Running jobs: by id, as of a given instant, twice safely, once at a time on PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forwarder_insure.db.models import IdempotencyRecord
from forwarder_insure.domain.access import Role
from forwarder_insure.services import idempotency
from forwarder_insure.services.credentials import create_api_key
from jobs.registry import JOBS, job_lock_id, run_job


def store_answers(database, now, ages_hours):
    with database.unit_of_work() as session:
        key = create_api_key(session, Role.WAREHOUSE, now)
        for n, age in enumerate(ages_hours):
            idempotency.remember(
                session,
                api_key_id=key.id,
                key=f"k{n}",
                request_fingerprint="0" * 64,
                status=201,
                headers={},
                body=b"{}",
                now=now - timedelta(hours=age),
                ttl=timedelta(hours=24),
            )


def remaining(database):
    with database.unit_of_work() as session:
        return session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar_one()


def test_purge_forgets_only_expired_answers_and_is_safe_twice(database, clock):
    store_answers(database, clock.now(), [1, 23, 25, 48])
    first = run_job(database, "purge-idempotency-keys", clock.now())
    second = run_job(database, "purge-idempotency-keys", clock.now())
    assert first == {"job": "purge-idempotency-keys", "purged": 2}
    assert second["purged"] == 0
    assert remaining(database) == 2


def test_run_job_command_takes_as_of_and_prints_json_last(app, database, clock):
    store_answers(database, clock.now(), [1])
    later = (clock.now() + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    result = app.test_cli_runner().invoke(
        args=["run-job", "purge-idempotency-keys", "--as-of", later]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["purged"] == 1


def test_run_job_refuses_unknown_jobs_and_naive_times(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["run-job", "no-such-job"]).exit_code == 2
    naive = runner.invoke(args=["run-job", "purge-idempotency-keys", "--as-of", "2026-11-21T10:00"])
    assert naive.exit_code == 2
    assert "timezone" in naive.output


@pytest.mark.postgres_only
def test_a_job_held_by_another_scheduler_is_skipped(committing_database, clock, backend):
    holding = threading.Event()
    done = threading.Event()

    def other_scheduler():
        with committing_database.unit_of_work() as session:
            session.execute(
                select(func.pg_advisory_xact_lock(job_lock_id("purge-idempotency-keys")))
            )
            holding.set()
            done.wait(10)

    thread = threading.Thread(target=other_scheduler)
    thread.start()
    try:
        assert holding.wait(10)
        summary = run_job(committing_database, "purge-idempotency-keys", clock.now())
    finally:
        done.set()
        thread.join(10)
    assert summary == {"job": "purge-idempotency-keys", "purged": 0, "skipped": True}
    assert run_job(committing_database, "purge-idempotency-keys", clock.now())["purged"] == 0


def _held_lock(database, job_id: str):
    """A context in which another scheduler holds ``job_id``'s advisory lock."""

    @contextlib.contextmanager
    def held():
        holding, done = threading.Event(), threading.Event()

        def other_scheduler():
            with database.unit_of_work() as session:
                session.execute(select(func.pg_advisory_xact_lock(job_lock_id(job_id))))
                holding.set()
                done.wait(10)

        thread = threading.Thread(target=other_scheduler)
        thread.start()
        try:
            assert holding.wait(10)
            yield
        finally:
            done.set()
            thread.join(10)

    return held()


@pytest.mark.postgres_only
def test_a_skipped_sweep_prints_the_documented_summary_with_zeros(committing_app, backend):
    database = committing_app.extensions["forwarder_insure"].database
    runner = committing_app.test_cli_runner()
    with _held_lock(database, "tracking-sweep"):
        sweep = runner.invoke(args=["sweep"])
        run_job_ = runner.invoke(args=["run-job", "tracking-sweep"])
    assert sweep.exit_code == 0, sweep.output
    assert json.loads(sweep.stdout.splitlines()[-1]) == {
        "opened": 0,
        "presumed_lost": 0,
        "resolved": 0,
        "skipped": True,
    }
    assert json.loads(run_job_.stdout.splitlines()[-1]) == {
        "job": "tracking-sweep",
        "opened": 0,
        "presumed_lost": 0,
        "resolved": 0,
        "skipped": True,
    }


@pytest.mark.postgres_only
@pytest.mark.parametrize("job_id", sorted(j.id for j in JOBS.values() if j.run is not None))
def test_a_skipped_run_has_the_keys_of_a_real_run(committing_database, clock, backend, job_id):
    with _held_lock(committing_database, job_id):
        skipped = run_job(committing_database, job_id, clock.now())
    real = run_job(committing_database, job_id, clock.now())
    assert skipped.pop("skipped") is True
    assert "skipped" not in real
    assert skipped.keys() == real.keys()
