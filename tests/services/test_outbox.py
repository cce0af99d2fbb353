"""Events are written in the transaction of the change they announce: both or neither."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forwarder_insure.db.models import OutboxEvent, Seller
from forwarder_insure.domain.access import SYSTEM
from forwarder_insure.services.events import emit
from forwarder_insure.services.sellers import ensure_seller


def announce_new_seller(session, seller_id, now):
    ensure_seller(session, seller_id, now)
    return emit(
        session,
        "seller.created",
        subject_type="seller",
        subject_id=seller_id,
        data={"seller_id": seller_id},
        actor=SYSTEM,
        now=now,
        seller_id=seller_id,
    )


def counts(database):
    with database.unit_of_work() as session:
        return (
            session.execute(select(func.count()).select_from(Seller)).scalar_one(),
            session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one(),
        )


def test_an_event_commits_with_its_change(database, clock):
    with database.unit_of_work() as session:
        event = announce_new_seller(session, "S-7", clock.now())
    assert event.id.startswith("evt_")
    assert counts(database) == (1, 1)
    with database.unit_of_work() as session:
        stored = session.get(OutboxEvent, event.id)
        assert stored.data == {"seller_id": "S-7"}
        assert stored.created_at == clock.now()
        assert stored.actor == "system"


def test_an_event_rolls_back_with_its_change(database, clock):
    def crash_before_commit():
        with database.unit_of_work() as session:
            announce_new_seller(session, "S-8", clock.now())
            session.flush()
            raise RuntimeError("crash after the change, before commit")

    with pytest.raises(RuntimeError):
        crash_before_commit()
    assert counts(database) == (0, 0)


def test_event_ids_are_unique(database, clock):
    with database.unit_of_work() as session:
        ids = {announce_new_seller(session, f"S-{n}", clock.now()).id for n in range(50)}
    assert len(ids) == 50
