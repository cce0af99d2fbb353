"""Last-mile hand-off: a cross-border parcel changes carrier and number at the destination
(Yanwen hands it to USPS). Scans on either number move the package, on the same terms of
authority as the main number: a seller's last-mile number takes no scans."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

import pytest

from forwarder_insure.domain.access import SYSTEM, Role
from forwarder_insure.services import coverages
from tests.api.test_claim_documents import file_claim
from tests.api.test_claim_evidence import document_of, pdf_text
from tests.api.test_sweep_and_inquiries import inquiries, sweep
from tests.fixtures.app import KeyedClient, issue_key
from tests.fixtures.insurance import add_underwriter, bound, event, post_events

VICTIM, SQUATTER = "S-1001", "S-6666"
YANWEN = "UV123456789CN"


def last_mile(client, coverage_id: str, number: str, carrier: str = "usps", **fields):
    body = {"last_mile_carrier": carrier, "last_mile_tracking_number": number} | fields
    return client.patch(f"/api/v1/coverages/{coverage_id}", json=body)


def package_of(client, coverage_id: str) -> dict:
    return client.get(f"/api/v1/coverages/{coverage_id}").get_json()["package"]


def cross_border(client, number: str = YANWEN, seller_id: str | None = None) -> dict:
    """A CN → US parcel whose label the warehouse printed with a Yanwen number."""
    return bound(client, number, seller_id=seller_id, carrier="yanwen")


def yanwen(event_id: str, number: str, at: str, code: str = "in_transit") -> dict:
    return event(event_id, number, at, code, carrier="yanwen")


def test_the_warehouse_attaches_the_last_mile_and_usps_delivers_after_yanwen(as_role, underwriter):
    seller, warehouse, feed = as_role(Role.SELLER), as_role(Role.WAREHOUSE), as_role(Role.TRACKING)
    coverage = cross_border(seller)
    response = last_mile(warehouse, coverage["id"], "9400 1000 0000 0000 0000 01")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["package"]["last_mile"] == {
        "carrier": "usps",
        "tracking_number": "9400100000000000000001",
        "confirmed": True,
    }
    assert response.get_json()["package"]["tracking_number"] == YANWEN
    post_events(feed, yanwen("y1", YANWEN, "2026-11-21T12:00:00Z", "picked_up"))
    assert package_of(seller, coverage["id"])["status"] == "in_transit"
    counts = post_events(
        feed, event("u1", "9400100000000000000001", "2026-11-30T09:00:00Z", "delivered")
    )
    assert counts["accepted"] == 1
    assert counts["unmatched"] == 0
    delivered = package_of(seller, coverage["id"])
    assert delivered["status"] == "delivered"
    assert delivered["last_event_at"] == "2026-11-30T09:00:00Z"
    # Scans on the main number still apply too (and a delivered parcel stays so).
    post_events(feed, yanwen("y2", YANWEN, "2026-11-29T09:00:00Z", "in_transit"))
    assert package_of(seller, coverage["id"])["status"] == "delivered"


def test_a_new_package_shows_no_last_mile(as_role, underwriter):
    coverage = cross_border(as_role(Role.SELLER))
    assert coverage["package"]["last_mile"] is None


def test_an_event_posted_before_the_last_mile_number_applies_when_it_is_attached(
    as_role, underwriter
):
    seller, warehouse, feed = as_role(Role.SELLER), as_role(Role.WAREHOUSE), as_role(Role.TRACKING)
    coverage = cross_border(seller)
    counts = post_events(feed, event("u1", "LM-0001", "2026-11-28T09:00:00Z", "out_for_delivery"))
    assert counts["unmatched"] == 1
    assert package_of(seller, coverage["id"])["status"] == "awaiting_pickup"
    package = last_mile(warehouse, coverage["id"], "LM-0001").get_json()["package"]
    assert package["status"] == "in_transit"
    assert package["last_event_at"] == "2026-11-28T09:00:00Z"


def test_a_sellers_last_mile_on_another_parcels_usps_number_takes_no_scans(as_role, underwriter):
    victim, squatter = as_role(Role.SELLER, VICTIM), as_role(Role.SELLER, SQUATTER)
    feed = as_role(Role.TRACKING)
    real = bound(victim, "9400100000000000000077")  # a USPS parcel, label by the warehouse
    # The squatter's own parcel has a warehouse-confirmed Yanwen number: the strongest case.
    squat = cross_border(squatter, "UV000000077CN", seller_id=SQUATTER)

    def answer(number: str) -> tuple[int, dict]:
        response = last_mile(squatter, squat["id"], number)
        return response.status_code, response.get_json()["package"]["last_mile"]

    status, shown = answer("9400100000000000000077")
    assert status == 200
    assert shown["confirmed"] is False
    # The same answer for a number nobody uses: the attach tells nothing about other parcels.
    assert answer("9400100000000000000078")[0] == 200
    assert answer("9400100000000000000077") == (200, shown)

    post_events(feed, event("v1", "9400100000000000000077", "2026-11-22T12:00:00Z", "delivered"))
    assert package_of(victim, real["id"])["status"] == "delivered"
    taken = package_of(squatter, squat["id"])
    assert taken["status"] == "awaiting_pickup"
    assert taken["last_event_at"] is None


def test_a_warehouse_last_mile_counts_once_the_main_number_is_confirmed(as_role, underwriter):
    seller, warehouse, feed = as_role(Role.SELLER), as_role(Role.WAREHOUSE), as_role(Role.TRACKING)
    coverage = bound(seller, carrier="yanwen")
    seller.patch(f"/api/v1/coverages/{coverage['id']}", json={"tracking_number": "UV000000001CN"})
    shown = last_mile(warehouse, coverage["id"], "LM-0002").get_json()["package"]
    assert shown["last_mile"]["confirmed"] is False  # the main number is only the seller's word
    post_events(feed, event("w1", "LM-0002", "2026-11-23T09:00:00Z", "in_transit"))
    assert package_of(seller, coverage["id"])["status"] == "awaiting_pickup"
    confirmed = warehouse.patch(
        f"/api/v1/coverages/{coverage['id']}", json={"tracking_number": "UV000000001CN"}
    ).get_json()["package"]
    assert confirmed["last_mile"]["confirmed"] is True
    assert confirmed["status"] == "in_transit"
    assert confirmed["last_event_at"] == "2026-11-23T09:00:00Z"


def test_a_seller_cannot_change_a_confirmed_last_mile_number(as_role, underwriter):
    seller, warehouse = as_role(Role.SELLER), as_role(Role.WAREHOUSE)
    coverage = cross_border(seller)
    last_mile(warehouse, coverage["id"], "LM-0003")
    swap = last_mile(seller, coverage["id"], "LM-0004")
    assert swap.status_code == 409
    assert swap.get_json()["code"] == "last_mile_number_confirmed"
    assert last_mile(seller, coverage["id"], "LM-0003").status_code == 200


def test_the_last_mile_fields_come_together(as_role, underwriter):
    warehouse = as_role(Role.WAREHOUSE)
    coverage = cross_border(as_role(Role.SELLER))
    response = warehouse.patch(
        f"/api/v1/coverages/{coverage['id']}", json={"last_mile_carrier": "usps"}
    )
    assert response.status_code == 422
    assert "last_mile_tracking_number" in str(response.get_json()["errors"])
    bad = last_mile(warehouse, coverage["id"], "no spaces? no!")
    assert bad.status_code == 422


def test_uniqueness_across_main_and_last_mile_numbers_answers_409(as_role, underwriter):
    seller, warehouse = as_role(Role.SELLER), as_role(Role.WAREHOUSE)
    first = cross_border(seller, "UV000000010CN")
    second = cross_border(seller, "UV000000011CN")
    assert last_mile(warehouse, first["id"], "LM-0010").status_code == 200
    # Another package's confirmed last-mile number.
    taken = last_mile(warehouse, second["id"], "LM-0010")
    assert taken.status_code == 409
    assert taken.get_json()["code"] == "last_mile_number_in_use"
    # Another package's confirmed main number.
    usps = bound(seller, "LM-0011")
    taken = last_mile(warehouse, second["id"], "LM-0011")
    assert taken.status_code == 409
    assert taken.get_json()["code"] == "last_mile_number_in_use"
    # A main number that is another package's confirmed last-mile number.
    other = bound(seller)
    main = warehouse.patch(f"/api/v1/coverages/{other['id']}", json={"tracking_number": "LM-0010"})
    assert main.status_code == 409
    assert main.get_json()["code"] == "tracking_number_in_use"
    # Nor its own: a parcel's last-mile number is not also its main number, either way round.
    lm_first = bound(seller, "LM-0013")
    last_mile(warehouse, lm_first["id"], "LM-0012")
    own_main = warehouse.patch(
        f"/api/v1/coverages/{lm_first['id']}", json={"tracking_number": "LM-0012"}
    )
    assert own_main.status_code == 409
    assert own_main.get_json()["code"] == "tracking_number_in_use"
    # The parcel's own main number is not a last-mile number.
    own = last_mile(warehouse, second["id"], "UV000000011CN", carrier="yanwen")
    assert own.status_code == 422
    assert own.get_json()["code"] == "last_mile_same_as_tracking_number"
    assert package_of(seller, second["id"])["last_mile"] is None
    assert package_of(seller, usps["id"])["last_mile"] is None


def test_the_delivery_record_names_both_legs(as_role, underwriter):
    seller, warehouse, feed = as_role(Role.SELLER), as_role(Role.WAREHOUSE), as_role(Role.TRACKING)
    coverage = cross_border(seller)
    last_mile(warehouse, coverage["id"], "9400100000000000000099")
    post_events(
        feed,
        yanwen("y1", YANWEN, "2026-11-21T12:00:00Z", "picked_up") | {"location": "Shenzhen"},
        event("u1", "9400100000000000000099", "2026-11-29T09:00:00Z", "in_transit")
        | {"location": "Chicago IL"},
    )
    claim = file_claim(seller, coverage["id"])
    record = seller.get(
        f"/api/v1/claims/{claim['id']}/documents/{document_of(claim, 'delivery_record')['id']}"
    )
    text = pdf_text(record.data)
    for fact in ("yanwen", YANWEN, "Last-mile carrier", "usps", "9400100000000000000099"):
        assert fact in text, fact
    # Each event's row says which leg reported it (the text reads cell by cell).
    assert "Leg" in text
    assert "main\npicked_up" in text, text
    assert "last mile\nin_transit" in text, text


def test_the_sweep_measures_silence_over_both_legs(app, clock, as_role, underwriter):
    seller, warehouse, feed = as_role(Role.SELLER), as_role(Role.WAREHOUSE), as_role(Role.TRACKING)
    handler = as_role(Role.HANDLER)
    coverage = cross_border(seller)
    silent = cross_border(seller, "UV000000020CN")
    last_mile(warehouse, coverage["id"], "LM-0020")
    post_events(
        feed,
        yanwen("y1", YANWEN, "2026-11-21T12:00:00Z", "picked_up"),
        yanwen("y2", "UV000000020CN", "2026-11-21T12:00:00Z", "picked_up"),
        event("u1", "LM-0020", "2026-12-01T12:00:00Z", "in_transit"),
    )
    # 16 days on: the Yanwen scans are 16 days old (past the 14-day international silent
    # period), but the first parcel's USPS leg was scanned 6 days ago.
    assert sweep(app, clock, 16)["opened"] == 1
    [opened] = inquiries(handler)
    assert opened["coverage_id"] == silent["id"]


def test_a_tracking_provider_attaches_the_last_mile_through_the_service(
    app, clock, as_role, underwriter
):
    """What the feed code calls when a provider's payload names the destination carrier's
    number: a system caller's word counts as the warehouse's."""
    seller, feed = as_role(Role.SELLER), as_role(Role.TRACKING)
    coverage = cross_border(seller)
    post_events(feed, event("u1", "LM-0030", "2026-11-30T09:00:00Z", "delivered"))
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        attached = coverages.attach_last_mile(
            session, SYSTEM, coverage["id"], "usps", "LM-0030", clock.now()
        )
        assert attached.last_mile_source == "warehouse"
        # Told twice (providers re-deliver): nothing changes.
        coverages.attach_last_mile(session, SYSTEM, coverage["id"], "usps", "LM-0030", clock.now())
    package = package_of(seller, coverage["id"])
    assert package["last_mile"] == {
        "carrier": "usps",
        "tracking_number": "LM-0030",
        "confirmed": True,
    }
    assert package["status"] == "delivered"


@pytest.mark.postgres_only
def test_a_number_confirmed_as_a_last_mile_and_as_a_main_number_at_once_is_refused(
    committing_app, clock, backend
):
    """The two unique indexes each see one pair of columns; the check across them runs under
    an advisory lock on the number, so a main-number attach racing a last-mile attach of the
    same USPS number waits for it and then answers 409."""
    add_underwriter(committing_app)

    def client(role: Role, seller_id: str | None = None) -> KeyedClient:
        key = issue_key(committing_app, role, seller_id)
        return KeyedClient(committing_app.test_client(), key, role, seller_id)

    seller, warehouse = client(Role.SELLER, "S-1001"), client(Role.WAREHOUSE)
    cross = cross_border(seller, "UV000000040CN")
    domestic = bound(seller)
    database = committing_app.extensions["forwarder_insure"].database
    with database.unit_of_work() as running:  # a feed's last-mile attach, not yet committed
        coverages.attach_last_mile(running, SYSTEM, cross["id"], "usps", "LM-0040", clock.now())
        with ThreadPoolExecutor(1) as pool:
            attaching = pool.submit(
                warehouse.patch,
                f"/api/v1/coverages/{domestic['id']}",
                json={"tracking_number": "LM-0040"},
            )
            done, _ = wait([attaching], timeout=1.5)
            assert not done, "the main-number attach did not wait for the number's lock"
            running.commit()
            answer = attaching.result(timeout=10)
    assert answer.status_code == 409
    assert answer.get_json()["code"] == "tracking_number_in_use"
    assert package_of(seller, cross["id"])["last_mile"]["confirmed"] is True
