"""Parcel state from carrier scans, and the sweep's deadlines (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forwarder_insure.domain.tracking import (
    ParcelState,
    Scan,
    apply_scans,
    deadlines,
    moved_since,
)

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)
NEW = ParcelState("awaiting_pickup", None, None)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_the_first_scan_moves_the_parcel_and_stamps_both_times():
    state = apply_scans(NEW, [Scan(at(1), "picked_up")])
    assert state == ParcelState("in_transit", at(1), at(1))


def test_label_created_is_not_a_carrier_scan():
    assert apply_scans(NEW, [Scan(at(1), "label_created")]) == NEW


def test_events_in_any_order_give_the_same_state():
    scans = [Scan(at(1), "picked_up"), Scan(at(5), "out_for_delivery"), Scan(at(3), "exception")]
    forward = apply_scans(NEW, scans)
    assert forward == apply_scans(NEW, list(reversed(scans)))
    one_by_one = NEW
    for scan in reversed(scans):
        one_by_one = apply_scans(one_by_one, [scan])
    assert one_by_one == forward == ParcelState("in_transit", at(5), at(1))


def test_an_older_event_never_moves_last_event_back_but_may_move_the_first_scan_back():
    state = apply_scans(NEW, [Scan(at(5), "in_transit")])
    later = apply_scans(state, [Scan(at(2), "exception")])
    assert later == ParcelState("in_transit", at(5), at(2))


def test_a_delivered_parcel_stays_delivered():
    delivered = apply_scans(NEW, [Scan(at(1), "picked_up"), Scan(at(9), "delivered")])
    assert apply_scans(delivered, [Scan(at(4), "in_transit")]).status == "delivered"
    newer = apply_scans(delivered, [Scan(at(12), "in_transit")])
    assert newer.status == "delivered"
    assert newer.last_event_at == at(12)


def test_a_presumed_lost_parcel_that_moves_is_in_transit_again():
    lost = ParcelState("presumed_lost", at(1), at(1))
    assert apply_scans(lost, [Scan(at(800), "in_transit")]).status == "in_transit"


def test_deadlines_count_from_the_last_scan_or_from_binding():
    silent, loss = timedelta(days=7), timedelta(days=21)
    never = deadlines("awaiting_pickup", None, T0, silent, loss)
    assert (never.inquiry_due_at, never.loss_due_at) == (T0 + silent, T0 + loss)
    scanned = deadlines("in_transit", at(48), T0, silent, loss)
    assert scanned.inquiry_due_at == at(48) + silent
    for final in ("delivered", "returned", "presumed_lost"):
        assert deadlines(final, at(48), T0, silent, loss).inquiry_due_at is None


def test_moved_since_compares_with_what_the_inquiry_knew():
    state = ParcelState("in_transit", at(10), at(1))
    assert moved_since(at(5), state)
    assert not moved_since(at(10), state)
    assert moved_since(None, state)
    assert not moved_since(None, NEW)
