"""Quoting through the API: offers and declines per package, exact money, nothing written."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from blueprints.quotes import QuoteSchema
from forwarder_insure.db.models import Base
from forwarder_insure.domain.access import Role
from tests.fixtures.insurance import add_underwriter, package, quote


def row_counts(app) -> dict[str, int]:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def test_rates_describe_what_an_order_form_needs(as_role):
    body = as_role(Role.SELLER).get("/api/v1/rates").get_json()
    assert body["version"] == "2026-11.1"
    assert "electronics" in body["categories"]
    assert "firearms_and_ammunition" in body["prohibited_categories"]
    assert set(body["prohibited_categories"]) <= set(body["categories"])
    assert body["currencies"]["USD"]["min_premium"] == {"amount": "1.00", "currency": "USD"}
    assert body["currencies"]["JPY"]["max_insured_value"] == {
        "amount": "1500000",
        "currency": "JPY",
    }
    assert body["quote_lifetime_seconds"] == 1800


def test_an_offer_states_premium_value_underwriter_and_expiry(as_role, underwriter):
    response = quote(as_role(Role.SELLER))
    assert response.status_code == 200
    [offer] = response.get_json()["quotes"]
    assert offer["status"] == "offered"
    assert offer["reference"] == "ORD-77/1"
    assert offer["premium"] == {"amount": "3.75", "currency": "USD"}  # 250.00 x 1.5 %
    assert offer["insured_value"] == {"amount": "250.00", "currency": "USD"}
    assert offer["deductible"] == {"amount": "0.00", "currency": "USD"}
    assert offer["underwriter"] == {
        "id": underwriter,
        "name": "Harbour Mutual Marine & Cargo Insurance",
        "licence_number": "HMC-2026-00042",
    }
    assert offer["rate_card_version"] == "2026-11.1"
    assert offer["expires_at"] == "2026-11-21T10:30:00Z"
    assert offer["quote_token"]


def test_domestic_base_cover_is_shown_and_only_the_excess_is_priced(as_role, underwriter):
    [offer] = quote(
        as_role(Role.SELLER), package(origin_country="US", destination_country="US")
    ).get_json()["quotes"]
    assert offer["carrier_base_cover"] == {"amount": "100.00", "currency": "USD"}
    assert offer["premium"] == {"amount": "2.25", "currency": "USD"}  # 150.00 x 1.5 %


def test_each_package_gets_its_own_answer_in_order(as_role, underwriter):
    packages = [
        package(reference="A"),
        package(reference="B", category="firearms_and_ammunition"),
        package(reference="C", declared_value={"amount": "10000.01", "currency": "USD"}),
        package(reference="D", declared_value={"amount": "50.00", "currency": "CHF"}),
        package(reference="E", declared_value={"amount": "10000.00", "currency": "USD"}),
    ]
    answers = quote(as_role(Role.WAREHOUSE), *packages, seller_id="S-1001").get_json()["quotes"]
    assert [a["reference"] for a in answers] == ["A", "B", "C", "D", "E"]
    assert [a["status"] for a in answers] == [
        "offered",
        "declined",
        "declined",
        "declined",
        "offered",
    ]
    assert answers[1]["decline"]["code"] == "prohibited_category"
    assert answers[2]["decline"]["code"] == "value_above_maximum"
    assert answers[3]["decline"]["code"] == "unsupported_currency"
    assert "quote_token" not in answers[1]


def test_a_lane_without_a_licensed_underwriter_is_declined(app, as_role):
    add_underwriter(app, jurisdictions=["US", "CA"])
    answers = quote(
        as_role(Role.SELLER),
        package(reference="in", origin_country="US", destination_country="CA"),
        package(reference="out", origin_country="CN", destination_country="US"),
    ).get_json()["quotes"]
    assert answers[0]["status"] == "offered"
    assert answers[1]["decline"]["code"] == "no_underwriter"


def test_premiums_round_half_up_in_zero_two_and_three_decimal_currencies(as_role, underwriter):
    """Each raw premium is exactly halfway; half-even rounding would give the other answer."""
    low_risk = {"category": "general", "destination_country": "GB", "carrier": "usps"}
    jpy, usd, kwd = quote(
        as_role(Role.SELLER),
        # 45,450 JPY x 1 % = 454.5 -> 455 (half-even: 454)
        package(reference="jpy", declared_value={"amount": "45450", "currency": "JPY"}, **low_risk),
        # 150.75 USD x 1 % = 1.5075 -> 1.51 (half-even: 1.50)
        package(
            reference="usd", declared_value={"amount": "150.75", "currency": "USD"}, **low_risk
        ),
        # 40.250 KWD x 1 % = 0.4025 -> 0.403 (half-even: 0.402)
        package(
            reference="kwd", declared_value={"amount": "40.250", "currency": "KWD"}, **low_risk
        ),
    ).get_json()["quotes"]
    assert jpy["premium"] == {"amount": "455", "currency": "JPY"}
    assert usd["premium"] == {"amount": "1.51", "currency": "USD"}
    assert kwd["premium"] == {"amount": "0.403", "currency": "KWD"}


def test_the_minimum_premium_applies_to_small_values(as_role, underwriter):
    [offer] = quote(
        as_role(Role.SELLER), package(declared_value={"amount": "20.00", "currency": "USD"})
    ).get_json()["quotes"]
    assert offer["premium"] == {"amount": "1.00", "currency": "USD"}  # 0.30 < minimum 1.00


def test_quoting_writes_nothing(app, as_role, underwriter):
    client = as_role(Role.SELLER)
    before = row_counts(app)
    for _ in range(3):
        assert (
            quote(client, package(), package(reference="x", category="perishables")).status_code
            == 200
        )
    assert row_counts(app) == before


def test_five_hundred_packages_in_one_call(as_role, underwriter):
    packages = [package(reference=f"P-{n}") for n in range(500)]
    answers = quote(as_role(Role.SELLER), *packages).get_json()["quotes"]
    assert len(answers) == 500
    assert answers[499]["reference"] == "P-499"
    assert len({a["quote_token"] for a in answers}) == 500


def test_package_count_must_be_between_one_and_five_hundred(as_role, underwriter):
    client = as_role(Role.SELLER)
    assert client.post("/api/v1/quotes", json={"packages": []}).status_code == 422
    too_many = [package(reference=f"P-{n}") for n in range(501)]
    response = quote(client, *too_many)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "#/packages"


def test_an_unknown_category_is_a_field_error_not_a_decline(as_role, underwriter):
    response = quote(as_role(Role.SELLER), package(), package(category="spaceships"))
    assert response.status_code == 422
    assert {e["pointer"] for e in response.get_json()["errors"]} == {"#/packages/1/category"}


def test_a_warehouse_must_name_the_seller(as_role, underwriter):
    response = quote(as_role(Role.WAREHOUSE))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "#/seller_id"


def test_a_seller_may_not_quote_for_another_seller(as_role, underwriter):
    client = as_role(Role.SELLER, "S-1001")
    assert quote(client, seller_id="S-1001").status_code == 200
    response = quote(client, seller_id="S-2002")
    assert response.status_code == 403
    assert response.get_json()["code"] == "seller_mismatch"


def test_bad_package_fields_are_listed_with_their_pointers(as_role, underwriter):
    response = quote(
        as_role(Role.SELLER),
        package(
            declared_value={"amount": 250.0, "currency": "USD"},
            origin_country="XX",
            weight_kg="-1",
            carrier="U S P S",
        ),
        package(declared_value={"amount": "0.00", "currency": "USD"}),
        package(declared_value={"amount": "1.001", "currency": "USD"}),
    )
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.get_json()["errors"]}
    assert {
        "#/packages/0/declared_value/amount",
        "#/packages/0/origin_country",
        "#/packages/0/weight_kg",
        "#/packages/0/carrier",
        "#/packages/1/declared_value",
        "#/packages/2/declared_value/amount",
    } <= pointers


def test_tracking_and_staff_keys_cannot_quote(as_role, underwriter):
    for role in (Role.TRACKING, Role.HANDLER):
        assert quote(as_role(role), seller_id="S-1001").status_code == 403


def _without_tokens(body: dict) -> dict:
    return {"quotes": [{**q, "quote_token": bool(q.get("quote_token"))} for q in body["quotes"]]}


def test_a_quote_reads_the_same_whatever_json_content_type_is_sent(as_role, underwriter):
    """Plain application/json takes the well-formed fast path; the rest go through webargs."""
    client = as_role(Role.SELLER)
    body = json.dumps({"packages": [package(), package(reference="B", origin_country="us")]})
    answers = [
        client.post("/api/v1/quotes", data=body, content_type=content_type)
        for content_type in ("application/json", "application/json; charset=utf-8")
    ]
    assert [a.status_code for a in answers] == [200, 200]
    plain, with_charset = (_without_tokens(a.get_json()) for a in answers)
    assert plain == with_charset


def test_a_quote_body_that_is_not_json_gets_the_usual_400(as_role, underwriter):
    client = as_role(Role.SELLER)
    for data in (b'{"packages": [', json.dumps({"packages": [package()]}).encode("utf-16")):
        response = client.post("/api/v1/quotes", data=data, content_type="application/json")
        assert response.status_code == 400
        assert response.get_json()["errors"] == [
            {"location": "json", "pointer": "#", "detail": "Invalid JSON body."}
        ]


def test_the_quote_body_is_compact_json_in_the_documented_field_order(as_role, underwriter):
    response = quote(
        as_role(Role.SELLER),
        package(reference='Zürich "7" \\ 東京'),
        package(reference="domestic", origin_country="US", destination_country="US"),
        package(reference="declined", category="firearms_and_ammunition"),
    )
    raw = response.get_data(as_text=True)
    document = json.loads(raw)
    assert raw == json.dumps(document, separators=(",", ":"))
    offered, domestic, declined = document["quotes"]
    assert offered["reference"] == 'Zürich "7" \\ 東京'
    assert list(offered) == [name for name in QuoteSchema().fields if name != "decline"]
    assert offered["carrier_base_cover"] is None
    assert domestic["carrier_base_cover"] == {"amount": "100.00", "currency": "USD"}
    assert list(declined) == ["reference", "status", "decline"]
    assert list(declined["decline"]) == ["code", "detail"]


def test_a_weight_under_a_gram_is_refused_by_either_reader(as_role, underwriter):
    seller = as_role(Role.SELLER)
    fast = quote(seller, package(weight_kg="0.0004"))  # would be stored as 0 g
    slow = quote(seller, package(weight_kg="0.0004", colour="red"))  # the schema's path
    assert fast.status_code == 422
    assert [e["pointer"] for e in fast.get_json()["errors"]] == ["#/packages/0/weight_kg"]
    assert "#/packages/0/weight_kg" in [e["pointer"] for e in slow.get_json()["errors"]]
    assert quote(seller, package(weight_kg="0.001")).status_code == 200
