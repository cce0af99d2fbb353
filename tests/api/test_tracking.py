"""Tracking events through the API: stored once, applied in time order, matched late."""

from __future__ import annotations

from sqlalchemy import func, select

from forwarder_insure.db.models import TrackingEvent
from forwarder_insure.domain.access import Role
from tests.fixtures.insurance import bound, event, post_events


def test_events_move_the_parcel_and_count_duplicates_once(as_role, underwriter):
    seller, carrier = as_role(Role.SELLER), as_role(Role.TRACKING)
    coverage = bound(seller, "TRK-1")
    first = post_events(
        carrier,
        event("e1", "TRK-1", "2026-11-21T11:00:00Z", "picked_up"),
        event("e1", "TRK-1", "2026-11-21T11:00:00Z", "picked_up"),
        event("e2", " trk-1 ", "2026-11-21T15:00:00+02:00", "in_transit"),
    )
    assert first == {
        "accepted": 2,
        "duplicates": 1,
        "unmatched": 0,
        "rejected": [],
        "rejected_count": 0,
    }
    again = post_events(carrier, event("e2", "TRK-1", "2026-11-21T13:00:00Z"))
    assert again["duplicates"] == 1
    package = seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert package["status"] == "in_transit"
    assert package["last_event_at"] == "2026-11-21T13:00:00Z"


def test_late_old_news_never_undoes_a_delivery(as_role, underwriter):
    seller, carrier = as_role(Role.SELLER), as_role(Role.TRACKING)
    coverage = bound(seller, "TRK-2")
    post_events(carrier, event("d", "TRK-2", "2026-11-25T10:00:00Z", "delivered"))
    post_events(carrier, event("t", "TRK-2", "2026-11-22T10:00:00Z", "in_transit"))
    package = seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert package["status"] == "delivered"
    assert package["last_event_at"] == "2026-11-25T10:00:00Z"


def test_events_for_an_unknown_number_wait_for_it(app, as_role, underwriter):
    seller, carrier = as_role(Role.SELLER), as_role(Role.TRACKING)
    early = post_events(carrier, event("w1", "TRK-3", "2026-11-21T11:00:00Z", "picked_up"))
    assert early["unmatched"] == 1
    coverage = bound(seller)
    attached = as_role(Role.WAREHOUSE).patch(
        f"/api/v1/coverages/{coverage['id']}", json={"tracking_number": "TRK-3"}
    )
    assert attached.get_json()["package"]["status"] == "in_transit"
    assert attached.get_json()["package"]["last_event_at"] == "2026-11-21T11:00:00Z"
    # The first scan now forbids voiding.
    assert seller.post(f"/api/v1/coverages/{coverage['id']}/void").status_code == 409
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        linked = session.execute(
            select(func.count())
            .select_from(TrackingEvent)
            .where(TrackingEvent.coverage_id == coverage["id"])
        ).scalar_one()
    assert linked == 1


def test_label_created_does_not_count_as_a_scan(as_role, underwriter):
    seller, carrier = as_role(Role.SELLER), as_role(Role.TRACKING)
    coverage = bound(seller, "TRK-4")
    post_events(carrier, event("l", "TRK-4", "2026-11-21T11:00:00Z", "label_created"))
    package = seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert package["status"] == "awaiting_pickup"
    assert package["last_event_at"] is None
    assert seller.post(f"/api/v1/coverages/{coverage['id']}/void").status_code == 200


def test_bad_events_are_listed_by_index_and_the_good_ones_kept(as_role, underwriter):
    carrier = as_role(Role.TRACKING)
    body = post_events(
        carrier,
        event("ok", "TRK-5", "2026-11-21T11:00:00Z"),
        {
            "event_id": "x",
            "carrier": "usps",
            "tracking_number": "TRK-5",
            "occurred_at": "2026-11-21T11:00",
            "code": "in_transit",
        },
        event("y", "T", "2026-11-21T11:00:00Z", code="teleported"),
        "not an object",
        event("z", "TRK-5", "0001-01-01T00:00:00+21:00"),  # before the year 1 in UTC
    )
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1, 2, 3, 4]
    assert body["rejected_count"] == 4
    pointers = {e["pointer"] for e in body["rejected"][1]["errors"]}
    assert {"#/tracking_number", "#/code"} <= pointers


def test_a_batch_is_one_to_a_thousand_events_from_tracking_or_warehouse_keys(as_role, underwriter):
    carrier = as_role(Role.TRACKING)
    many = [event(f"e{n}", "TRK-6", "2026-11-21T11:00:00Z") for n in range(1001)]
    assert carrier.post("/api/v1/tracking/events", json={"events": many}).status_code == 422
    assert carrier.post("/api/v1/tracking/events", json={"events": []}).status_code == 422
    assert post_events(carrier, *many[:1000])["accepted"] == 1000
    assert (
        as_role(Role.SELLER).post("/api/v1/tracking/events", json={"events": many[:1]}).status_code
        == 403
    )
    assert (
        as_role(Role.WAREHOUSE)
        .post("/api/v1/tracking/events", json={"events": many[:1]})
        .status_code
        == 202
    )
