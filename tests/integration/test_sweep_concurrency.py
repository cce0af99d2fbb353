"""The sweep under concurrency on PostgreSQL: each inquiry once; a delivery always wins."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forwarder_insure.db.models import Coverage, Inquiry, OutboxEvent
from forwarder_insure.domain.access import Role
from forwarder_insure.services.sweep import sweep
from forwarder_insure.services.tracking import IncomingEvent, ingest
from tests.fixtures.app import KeyedClient, issue_key
from tests.fixtures.insurance import add_underwriter, bound

pytestmark = pytest.mark.postgres_only


def seller_client(app) -> KeyedClient:
    return KeyedClient(
        app.test_client(), issue_key(app, Role.SELLER, "S-1001"), Role.SELLER, "S-1001"
    )


def count(app, model, *where) -> int:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_two_sweeps_at_once_open_each_inquiry_once(committing_app, clock, backend):
    add_underwriter(committing_app)
    client = seller_client(committing_app)
    for n in range(40):
        bound(client, f"RACE-{n}")
    database = committing_app.extensions["forwarder_insure"].database
    as_of = clock.now() + timedelta(days=20)
    start = threading.Barrier(2)

    def run(_):
        start.wait(10)
        with database.unit_of_work() as session:
            return sweep(session, as_of).opened

    with ThreadPoolExecutor(2) as pool:
        opened = list(pool.map(run, range(2)))
    assert sum(opened) == 40, opened
    assert count(committing_app, Inquiry) == 40
    assert count(committing_app, OutboxEvent, OutboxEvent.type == "inquiry.opened") == 40


def test_a_sweep_racing_deliveries_never_leaves_an_open_inquiry_on_a_delivered_parcel(
    committing_app, clock, backend
):
    add_underwriter(committing_app)
    client = seller_client(committing_app)
    numbers = [f"DLV-{n}" for n in range(60)]
    for number in numbers:
        bound(client, number)
    database = committing_app.extensions["forwarder_insure"].database
    as_of = clock.now() + timedelta(days=20)
    delivered_at = clock.now() + timedelta(days=19)
    start = threading.Barrier(2)

    def deliver():
        start.wait(10)
        for offset in range(0, len(numbers), 5):
            batch = [
                IncomingEvent(f"d-{n}", "usps", n, delivered_at, "delivered")
                for n in numbers[offset : offset + 5]
            ]
            with database.unit_of_work() as session:
                ingest(session, batch, as_of)

    def run_sweeps():
        start.wait(10)
        for _ in range(6):
            with database.unit_of_work() as session:
                sweep(session, as_of)

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(deliver), pool.submit(run_sweeps)]:
            future.result(60)
    with database.unit_of_work() as session:
        stuck = session.execute(
            select(func.count())
            .select_from(Inquiry)
            .join(Coverage, Coverage.id == Inquiry.coverage_id)
            .where(
                Inquiry.status.in_(("open", "presumed_lost")),
                Coverage.package_status == "delivered",
            )
        ).scalar_one()
        delivered = session.execute(
            select(func.count()).select_from(Coverage).where(Coverage.package_status == "delivered")
        ).scalar_one()
    assert delivered == len(numbers)
    assert stuck == 0


def test_a_delivery_arriving_while_a_sweep_is_uncommitted_still_resolves_its_inquiry(
    committing_app, clock, backend
):
    """The worst interleaving, forced: the sweep has inserted an inquiry but not committed when
    the delivery comes in. The delivery must wait for the sweep and then resolve the inquiry."""
    add_underwriter(committing_app)
    bound(seller_client(committing_app), "HOLD-1")
    database = committing_app.extensions["forwarder_insure"].database
    as_of = clock.now() + timedelta(days=20)
    sweeping = database.sessions()
    assert sweep(sweeping, as_of).opened == 1  # inserted, not committed

    def deliver():
        with database.unit_of_work() as session:
            event = IncomingEvent("h-1", "usps", "HOLD-1", as_of - timedelta(hours=1), "delivered")
            ingest(session, [event], as_of)

    thread = threading.Thread(target=deliver)
    thread.start()
    thread.join(0.5)
    sweeping.commit()
    sweeping.close()
    thread.join(10)
    assert not thread.is_alive()
    with database.unit_of_work() as session:
        statuses = session.execute(select(Inquiry.status, Inquiry.resolution)).all()
    assert statuses == [("resolved", "delivered")]


def test_a_sweep_while_a_delivery_is_uncommitted_leaves_that_parcel_alone(
    committing_app, clock, backend
):
    """The other interleaving, forced: the delivery holds the parcel's row when the sweep runs.
    The sweep skips the locked parcel rather than open an inquiry the delivery cannot see."""
    add_underwriter(committing_app)
    bound(seller_client(committing_app), "HOLD-2")
    database = committing_app.extensions["forwarder_insure"].database
    as_of = clock.now() + timedelta(days=20)
    delivering = database.sessions()
    event = IncomingEvent("h-2", "usps", "HOLD-2", as_of - timedelta(hours=1), "delivered")
    assert ingest(delivering, [event], as_of).accepted == 1  # applied, not committed
    results = []

    def run_sweep():
        with database.unit_of_work() as session:
            results.append(sweep(session, as_of).opened)

    thread = threading.Thread(target=run_sweep)
    thread.start()
    thread.join(2)
    delivering.commit()
    delivering.close()
    thread.join(10)
    assert results == [0]
    assert count(committing_app, Inquiry) == 0
