"""Tracking numbers: the warehouse prints the labels, so its number is believed.

A seller who attaches another parcel's number first must neither block the warehouse's attach,
nor take the parcel's scans or our records of it, nor learn from the answer that somebody else
uses the number.
"""

from __future__ import annotations

from forwarder_insure.domain.access import Role
from tests.api.test_claim_documents import file_claim, submitted_claim
from tests.api.test_sweep_and_inquiries import inquiries, sweep
from tests.fixtures.insurance import bind, bound, event, offered_token, post_events

VICTIM, SQUATTER = "S-1001", "S-6666"


def attach(client, coverage_id: str, number: str):
    return client.patch(f"/api/v1/coverages/{coverage_id}", json={"tracking_number": number})


def package_of(client, coverage_id: str) -> dict:
    return client.get(f"/api/v1/coverages/{coverage_id}").get_json()["package"]


def checklist_status(claim: dict, kind: str) -> str:
    return next(c["status"] for c in claim["checklist"] if c["kind"] == kind)


def test_a_squatted_number_never_blocks_the_warehouse_nor_takes_its_scans(as_role, underwriter):
    victim, squatter = as_role(Role.SELLER, VICTIM), as_role(Role.SELLER, SQUATTER)
    warehouse, feed = as_role(Role.WAREHOUSE), as_role(Role.TRACKING)
    squat = bound(squatter, seller_id=SQUATTER)
    assert attach(squatter, squat["id"], "REAL-0001").status_code == 200
    # The squatter bound a second order with the number too: no collision among sellers.
    assert bind(squatter, offered_token(squatter), tracking_number="REAL-0001").status_code == 201
    # The warehouse prints the real label: its attach and its bind are never blocked.
    real = bound(victim)
    attached = attach(warehouse, real["id"], "REAL-0001")
    assert attached.status_code == 200, attached.get_json()
    assert attached.get_json()["package"]["tracking_confirmed"] is True
    assert bind(warehouse, offered_token(victim), tracking_number="REAL-0001").status_code == 409

    post_events(
        feed,
        event("r1", "REAL-0001", "2026-11-21T12:00:00Z", "picked_up"),
        event("r2", "REAL-0001", "2026-11-22T12:00:00Z", "delivered"),
    )
    assert package_of(victim, real["id"])["status"] == "delivered"
    squatted = package_of(squatter, squat["id"])
    assert squatted["status"] == "awaiting_pickup"
    assert squatted["last_event_at"] is None
    assert squatted["tracking_confirmed"] is False


def test_a_sellers_attach_answers_the_same_whoever_else_uses_the_number(as_role, underwriter):
    victim, squatter = as_role(Role.SELLER, VICTIM), as_role(Role.SELLER, SQUATTER)
    feed = as_role(Role.TRACKING)
    confirmed = bound(victim, "USED-0001")  # confirmed by the warehouse, and scanned
    post_events(feed, event("u1", "USED-0001", "2026-11-21T12:00:00Z", "picked_up"))
    other_sellers = bound(victim)
    assert attach(victim, other_sellers["id"], "USED-0002").status_code == 200

    def answer(number: str) -> tuple[int, dict]:
        coverage = bound(squatter, seller_id=SQUATTER)
        response = attach(squatter, coverage["id"], number)
        body = response.get_json()
        package = {k: v for k, v in body["package"].items() if k != "tracking_number"}
        return response.status_code, package

    assert answer("USED-0001") == answer("USED-0002") == answer("FREE-0001")
    assert answer("USED-0001")[0] == 200
    assert package_of(victim, confirmed["id"])["status"] == "in_transit"


def test_a_sellers_unconfirmed_number_earns_none_of_our_records(as_role, underwriter):
    victim, squatter = as_role(Role.SELLER, VICTIM), as_role(Role.SELLER, SQUATTER)
    feed = as_role(Role.TRACKING)
    squat = bound(squatter, seller_id=SQUATTER)
    attach(squatter, squat["id"], "REAL-0002")
    post_events(feed, event("h1", "REAL-0002", "2026-11-21T12:00:00Z", "picked_up"))
    real = bound(victim, "REAL-0002")  # the warehouse attaches it later: the scans follow it

    stolen = file_claim(squatter, squat["id"])
    assert checklist_status(stolen, "delivery_record") == "missing"
    assert checklist_status(stolen, "delivery_certificate") == "missing"
    assert stolen["documents"] == []
    mine = file_claim(victim, real["id"])
    assert checklist_status(mine, "delivery_record") == "received"
    assert checklist_status(mine, "delivery_certificate") == "received"


def test_the_warehouse_confirms_a_sellers_number_and_its_waiting_scans_apply(as_role, underwriter):
    seller, warehouse = as_role(Role.SELLER), as_role(Role.WAREHOUSE)
    feed = as_role(Role.TRACKING)
    coverage = bound(seller)
    mine = attach(seller, coverage["id"], "OWN-0001").get_json()["package"]
    assert mine["tracking_confirmed"] is False
    post_events(feed, event("o1", "OWN-0001", "2026-11-21T12:00:00Z", "picked_up"))
    assert package_of(seller, coverage["id"])["status"] == "awaiting_pickup"
    confirmed = attach(warehouse, coverage["id"], "OWN-0001").get_json()["package"]
    assert confirmed["tracking_confirmed"] is True
    assert confirmed["status"] == "in_transit"
    assert confirmed["last_event_at"] == "2026-11-21T12:00:00Z"
    # Once confirmed, the seller cannot swap the number for another.
    swap = attach(seller, coverage["id"], "OWN-0002")
    assert swap.status_code == 409
    assert swap.get_json()["code"] == "tracking_number_confirmed"
    assert attach(seller, coverage["id"], "OWN-0001").status_code == 200


def test_silence_is_measured_on_the_scans_that_apply_to_the_parcel(
    app, clock, as_role, underwriter
):
    victim, squatter = as_role(Role.SELLER, VICTIM), as_role(Role.SELLER, SQUATTER)
    feed, handler = as_role(Role.TRACKING), as_role(Role.HANDLER)
    squat = bound(squatter, seller_id=SQUATTER)
    attach(squatter, squat["id"], "REAL-0003")
    real = bound(victim, "REAL-0003")
    post_events(feed, event("s1", "REAL-0003", "2026-11-28T12:00:00Z", "in_transit"))
    # 15 days after binding: the squatter's parcel has had no scan of its own; the real one
    # was scanned 8 days ago, within its silent period.
    assert sweep(app, clock, 15)["opened"] == 1
    [opened] = inquiries(handler)
    assert opened["coverage_id"] == squat["id"]
    assert package_of(victim, real["id"])["status"] == "in_transit"


def test_a_squatters_inquiry_does_not_flag_the_real_parcels_claim(app, clock, as_role, underwriter):
    victim, squatter = as_role(Role.SELLER, VICTIM), as_role(Role.SELLER, SQUATTER)
    handler = as_role(Role.HANDLER)
    squat = bound(squatter, seller_id=SQUATTER)
    attach(squatter, squat["id"], "REAL-0004")
    assert sweep(app, clock, 15)["opened"] == 1  # the squatter's parcel, silent since binding
    clock.advance(days=16)
    claim = submitted_claim(victim, handler, clock, "REAL-0004")  # bound by the warehouse now
    flags = handler.get(f"/api/v1/claims/{claim['id']}").get_json()["risk"]["flags"]
    assert "bound_after_inquiry" not in {flag["code"] for flag in flags}
