"""The carriers of the China cross-border trade: quoted, bound, numbered, scanned and swept like
any other, with the silent period and loss window config/carriers.toml gives them frozen on the
coverage. `4px` (an id that starts with a digit) goes through every path that names a carrier."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from forwarder_insure.db.models import Coverage
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from tests.fixtures.insurance import bind, event, offered_token, post_events, warehouse_of

DAY = timedelta(days=1)

CHINA_CARRIERS = ("china_post", "china_ems", "yanwen", "yunexpress", "4px", "cainiao", "sf_express")


def sweep(app, clock, days_later: float) -> dict:
    as_of = format_instant(clock.now() + days_later * DAY)
    result = app.test_cli_runner().invoke(args=["sweep", "--as-of", as_of])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def frozen_windows(app, coverage_id: str) -> tuple[int, int]:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        row = session.get(Coverage, coverage_id)
        return row.silent_period_days, row.loss_window_days


def china_parcel(seller, carrier: str, service: str | None, destination: str = "US") -> dict:
    """Quoted by the seller, bound without a number (the label is not printed yet)."""
    token = offered_token(
        seller, carrier=carrier, service=service, origin_country="CN",
        destination_country=destination,
    )  # fmt: skip
    response = bind(seller, token)
    assert response.status_code == 201, response.get_json()
    coverage = response.get_json()
    assert coverage["package"]["carrier"] == carrier
    return coverage


@pytest.mark.parametrize("carrier", CHINA_CARRIERS)
def test_each_china_carrier_is_quoted_bound_numbered_and_scanned(
    app, clock, as_role, underwriter, carrier
):
    seller, feed = as_role(Role.SELLER), as_role(Role.TRACKING)
    coverage = china_parcel(seller, carrier, None)
    number = f"LX{CHINA_CARRIERS.index(carrier):09d}CN"
    # The warehouse attaches the label's number, naming the carrier the quote priced.
    warehouse = warehouse_of(seller)
    response = warehouse.patch(
        f"/api/v1/coverages/{coverage['id']}", json={"carrier": carrier, "tracking_number": number}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["package"]["tracking_confirmed"] is True
    # A carrier scan (the feed may send the id in any case) moves the parcel.
    at = format_instant(clock.now() + DAY)
    summary = post_events(feed, event(f"{carrier}-1", number, at, "picked_up", carrier.upper()))
    assert summary["accepted"] == 1, summary
    package = seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert (package["status"], package["last_event_at"]) == ("in_transit", at)


def test_the_coverage_freezes_the_carrier_lane_of_each_china_carrier(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    expected = {
        ("china_post", "epacket"): (10, 40),
        ("china_post", "registered"): (14, 60),
        ("china_post", None): (14, 60),
        ("china_ems", None): (7, 30),
        ("yanwen", None): (14, 45),
        ("yunexpress", None): (14, 45),
        ("yunexpress", "express"): (10, 35),
        ("4px", None): (14, 45),
        ("cainiao", None): (10, 40),
        ("cainiao", "premium"): (7, 30),
        ("cainiao", "economy"): (21, 75),
        ("sf_express", None): (10, 40),
    }
    for (carrier, service), windows in expected.items():
        coverage = china_parcel(seller, carrier, service, destination="DE")
        assert frozen_windows(app, coverage["id"]) == windows, (carrier, service)
        assert coverage["carrier_base_cover"] is None


def test_an_epacket_parcel_is_asked_after_and_lost_on_its_own_windows(
    app, clock, as_role, underwriter
):
    """China Post ePacket: silent 10 days, presumed lost 40 days after its last scan."""
    seller, feed = as_role(Role.SELLER), as_role(Role.TRACKING)
    coverage = china_parcel(seller, "china_post", "epacket")
    warehouse_of(seller).patch(
        f"/api/v1/coverages/{coverage['id']}",
        json={"carrier": "china_post", "tracking_number": "LX123456785CN"},
    )
    scan = clock.now() + DAY
    post_events(feed, event("ep-1", "LX123456785CN", format_instant(scan), carrier="china_post"))
    assert sweep(app, clock, 10.9)["opened"] == 0
    assert sweep(app, clock, 11) == {"opened": 1, "presumed_lost": 0, "resolved": 0}
    assert sweep(app, clock, 40.9)["presumed_lost"] == 0
    assert sweep(app, clock, 41) == {"opened": 0, "presumed_lost": 1, "resolved": 0}
    package = seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert package["status"] == "presumed_lost"


def test_a_4px_parcel_fed_from_csv_is_swept_on_the_4px_windows(
    app, clock, as_role, underwriter, tmp_path
):
    """4PX through the CSV import, then the sweep: silent 14 days, lost 45 days after its scan
    (the default lane would say the same, so the test also checks the scan restarted the watch)."""
    seller = as_role(Role.SELLER)
    token = offered_token(seller, carrier="4px", service=None, destination_country="GB")
    bound = bind(warehouse_of(seller), token, tracking_number="4PX0012345678")
    assert bound.status_code == 201, bound.get_json()
    scan = format_instant(clock.now() + 3 * DAY)
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,carrier,tracking_number,occurred_at,code,description,location\n"
        f"p1,4PX,4px0012345678,{scan},in_transit,Departed hub,Shenzhen\n"
    )
    result = app.test_cli_runner().invoke(args=["import-tracking", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["accepted"] == 1
    assert sweep(app, clock, 16.9)["opened"] == 0
    assert sweep(app, clock, 17)["opened"] == 1
    assert sweep(app, clock, 47.9)["presumed_lost"] == 0
    assert sweep(app, clock, 48)["presumed_lost"] == 1


def test_a_4px_quote_is_priced_with_the_default_carrier_multiplier(as_role, underwriter):
    """Carriers the rate card does not name pay its default factor (1.10): 4PX, like any."""
    seller = as_role(Role.SELLER)
    body = {"packages": [
        {"reference": "P/1", "declared_value": {"amount": "250.00", "currency": "USD"},
         "category": "electronics", "origin_country": "CN", "destination_country": "US",
         "carrier": carrier, "weight_kg": "1.00"}
        for carrier in ("4px", "usps")
    ]}  # fmt: skip
    response = seller.post("/api/v1/quotes", json=body)
    assert response.status_code == 200, response.get_json()
    fourpx, usps = response.get_json()["quotes"]
    assert fourpx["status"] == usps["status"] == "offered"
    # 250 x 1.5 % x 1.00 (US) x 1.10 = 4.13 (half up); USPS, multiplier 1.00: 3.75.
    assert fourpx["premium"] == {"amount": "4.13", "currency": "USD"}
    assert usps["premium"] == {"amount": "3.75", "currency": "USD"}
