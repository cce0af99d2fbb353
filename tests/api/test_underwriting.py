"""The underwriter registry and exchange rates: admins write, ops and warehouses read."""

from __future__ import annotations

from forwarder_insure.domain.access import Role
from tests.fixtures.insurance import package, quote

NEW_UNDERWRITER = {
    "name": "Northsea Cargo Re",
    "licence_number": "NCR-77",
    "jurisdictions": ["DE", "FR", "NL"],
    "lines": ["apparel", "general"],
    "country": "DE",
    "currency": "EUR",
    "active_from": "2026-01-01",
}


def test_an_admin_registers_an_underwriter_and_quoting_uses_it_at_once(as_role):
    admin, seller = as_role(Role.ADMIN), as_role(Role.SELLER)
    lane = package(
        category="apparel",
        origin_country="DE",
        destination_country="FR",
        declared_value={"amount": "80.00", "currency": "EUR"},
        carrier="dhl",
    )
    assert quote(seller, lane).get_json()["quotes"][0]["decline"]["code"] == "no_underwriter"
    created = admin.post("/api/v1/underwriters", json=NEW_UNDERWRITER)
    assert created.status_code == 201
    body = created.get_json()
    assert body["id"].startswith("uw_")
    assert body["active_to"] is None
    assert body["priority"] == 100
    offer = quote(seller, lane).get_json()["quotes"][0]
    assert offer["underwriter"]["licence_number"] == "NCR-77"
    # Not licensed outside its jurisdictions, nor for other lines.
    assert (
        quote(seller, package(category="apparel")).get_json()["quotes"][0]["status"] == "declined"
    )


def test_setting_active_to_stops_new_business(as_role, clock):
    admin, seller = as_role(Role.ADMIN), as_role(Role.SELLER)
    created = admin.post(
        "/api/v1/underwriters", json=NEW_UNDERWRITER | {"jurisdictions": ["*"], "lines": ["*"]}
    )
    uw = created.get_json()["id"]
    assert quote(seller).get_json()["quotes"][0]["status"] == "offered"
    stopped = admin.patch(f"/api/v1/underwriters/{uw}", json={"active_to": "2026-11-21"})
    assert stopped.status_code == 200
    assert quote(seller).get_json()["quotes"][0]["decline"]["code"] == "no_underwriter"


def test_underwriter_input_is_validated(as_role):
    admin = as_role(Role.ADMIN)
    bad = admin.post(
        "/api/v1/underwriters",
        json=NEW_UNDERWRITER | {"jurisdictions": ["XX"], "currency": "eur", "country": "Germany"},
    )
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.get_json()["errors"]} >= {
        "#/jurisdictions/0",
        "#/currency",
        "#/country",
    }
    period = admin.post("/api/v1/underwriters", json=NEW_UNDERWRITER | {"active_to": "2025-12-31"})
    assert period.status_code == 422
    assert period.get_json()["code"] == "inactive_period"
    assert admin.patch("/api/v1/underwriters/uw_nope", json={"priority": 1}).status_code == 404


def test_only_admins_change_the_registry_and_sellers_do_not_read_it(as_role):
    for role in (Role.HANDLER, Role.SUPERVISOR, Role.WAREHOUSE):
        assert as_role(role).post("/api/v1/underwriters", json=NEW_UNDERWRITER).status_code == 403
    assert as_role(Role.SELLER).get("/api/v1/underwriters").status_code == 403
    assert as_role(Role.HANDLER).get("/api/v1/underwriters").status_code == 200


def test_exchange_rates_are_recorded_per_day_and_corrected_in_place(as_role):
    admin = as_role(Role.ADMIN)
    rate = {
        "base_currency": "EUR",
        "quote_currency": "USD",
        "rate": "1.0850",
        "effective_date": "2026-11-01",
    }
    assert admin.put("/api/v1/exchange-rates", json=rate).status_code == 200
    assert admin.put("/api/v1/exchange-rates", json=rate | {"rate": "1.0900"}).status_code == 200
    items = as_role(Role.HANDLER).get("/api/v1/exchange-rates").get_json()["items"]
    assert items == [rate | {"rate": "1.0900"}]
    for bad in (
        {"rate": "0"},
        {"rate": "-1"},
        {"rate": 1.08},
        {"quote_currency": "EUR"},
        {"base_currency": "ABC"},
    ):
        response = admin.put("/api/v1/exchange-rates", json=rate | bad)
        assert response.status_code == 422, bad
