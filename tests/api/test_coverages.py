"""Binding, tracking numbers, voiding and reading coverages through the API."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from sqlalchemy import func, select

from forwarder_insure.db.models import Coverage, LedgerTransaction, OutboxEvent
from forwarder_insure.domain.access import Role
from forwarder_insure.services import exchange_rates, ledger
from tests.fixtures.insurance import add_underwriter, bind, offered_token, quote

pytestmark = pytest.mark.usefixtures("balanced_books")  # binding and voiding move money


def session_of(app):
    return app.extensions["forwarder_insure"].database.unit_of_work()


def balances_by_currency(app) -> dict[str, Decimal]:
    with session_of(app) as session:
        totals: dict[str, Decimal] = {}
        for b in ledger.balances(session):
            totals[b.balance.currency] = (
                totals.get(b.balance.currency, Decimal(0)) + b.balance.amount
            )
    return totals


def mark_scanned(app, coverage_id: str, clock) -> None:
    """The carrier's first scan (tracking ingestion sets this; here we arrange it directly)."""
    with session_of(app) as session:
        coverage = session.get(Coverage, coverage_id)
        coverage.first_scan_at = clock.now()
        coverage.package_status = "in_transit"


def test_binding_creates_an_active_coverage_with_the_quoted_terms(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    response = bind(seller, offered_token(seller), tracking_number="9400 1118 9922 3197 4284 90")
    assert response.status_code == 201, response.get_json()
    coverage = response.get_json()
    assert coverage["status"] == "active"
    assert coverage["seller_id"] == "S-1001"
    assert coverage["order_reference"] == "ORD-77"
    assert coverage["premium"] == {"amount": "3.75", "currency": "USD"}
    assert coverage["insured_value"] == {"amount": "250.00", "currency": "USD"}
    assert coverage["underwriter"]["id"] == underwriter
    assert coverage["underwriter_exchange"] is None
    assert coverage["package"] == {
        "reference": "ORD-77/1",
        "carrier": "usps",
        "service": "priority",
        "tracking_number": "9400111899223197428490",
        "tracking_confirmed": False,
        "last_mile": None,
        "status": "awaiting_pickup",
        "last_event_at": None,
        "origin_country": "CN",
        "destination_country": "US",
        "category": "electronics",
        "weight_kg": "1.200",
    }
    assert coverage["bound_at"] == "2026-11-21T10:00:00Z"
    assert coverage["certificate_number"].startswith("FI-")
    assert coverage["verification_url"].endswith(coverage["certificate_number"])
    with session_of(app) as session:
        events = session.execute(select(OutboxEvent.type)).scalars().all()
    assert "coverage.bound" in events


def test_binding_books_the_premium_as_a_balanced_transaction(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bind(seller, offered_token(seller)).get_json()
    with session_of(app) as session:
        booking = session.execute(
            select(LedgerTransaction).where(LedgerTransaction.reference == coverage["id"])
        ).scalar_one()
        postings = {p.account: p.amount_minor for p in booking.postings}
    assert postings == {
        "premiums_receivable": 375,
        "fee_income": -94,  # 25 % of 3.75 = 0.9375 -> 0.94
        "premiums_payable_underwriter": -281,
    }
    assert balances_by_currency(app) == {"USD": 0}


def test_the_quoted_premium_is_honoured_even_if_the_clock_moves(as_role, underwriter, clock):
    seller = as_role(Role.SELLER)
    token = offered_token(seller)
    clock.advance(minutes=29)
    assert bind(seller, token).get_json()["premium"]["amount"] == "3.75"


def test_an_expired_quote_is_refused(as_role, underwriter, clock):
    seller = as_role(Role.SELLER)
    token = offered_token(seller)
    clock.advance(minutes=30)
    response = bind(seller, token)
    assert response.status_code == 422
    assert response.get_json()["code"] == "quote_expired"


def test_a_tampered_quote_is_refused(as_role, underwriter):
    seller = as_role(Role.SELLER)
    token = offered_token(seller)
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    for bad in (flipped, token.replace("k0.", "k9."), "k0.nonsense", "x"):
        response = bind(seller, bad)
        assert response.status_code == 422, bad
        assert response.get_json()["code"] == "invalid_quote_token"


def test_a_seller_cannot_bind_another_sellers_quote(as_role, underwriter):
    warehouse = as_role(Role.WAREHOUSE)
    token = offered_token(warehouse, seller_id="S-2002")
    response = bind(as_role(Role.SELLER, "S-1001"), token)
    assert response.status_code == 403
    assert response.get_json()["code"] == "quote_for_another_seller"
    assert bind(warehouse, token).status_code == 201


def test_one_quote_binds_one_coverage(as_role, underwriter):
    seller = as_role(Role.SELLER)
    token = offered_token(seller)
    assert bind(seller, token, key="first").status_code == 201
    second = bind(seller, token, key="second")
    assert second.status_code == 409
    assert second.get_json()["code"] == "quote_already_bound"


def test_retrying_a_bind_with_its_key_replays_without_a_second_coverage(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    token = offered_token(seller)
    first = bind(seller, token, key="retry-me")
    again = bind(seller, token, key="retry-me")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    with session_of(app) as session:
        assert session.execute(select(func.count()).select_from(Coverage)).scalar_one() == 1


def test_binding_needs_an_idempotency_key(as_role, underwriter):
    seller = as_role(Role.SELLER)
    response = seller.post(
        "/api/v1/coverages", json={"quote_token": offered_token(seller), "order_reference": "O"}
    )
    assert response.status_code == 400


def test_binding_with_another_carrier_than_quoted_is_refused(as_role, underwriter):
    seller = as_role(Role.SELLER)
    response = bind(seller, offered_token(seller), carrier="ups")
    assert response.status_code == 422
    assert response.get_json()["code"] == "carrier_differs_from_quote"


def test_an_underwriter_stopped_after_the_quote_cannot_be_bound(app, as_role, underwriter, clock):
    from forwarder_insure.services.underwriters import update_underwriter

    seller = as_role(Role.SELLER)
    token = offered_token(seller)
    with session_of(app) as session:
        update_underwriter(session, underwriter, active_to=clock.now().date())
    response = bind(seller, token)
    assert response.status_code == 422
    assert response.get_json()["code"] == "underwriter_unavailable"


def test_binding_freezes_the_exchange_rate_into_the_underwriters_currency(
    app, as_role, underwriter, clock
):
    seller = as_role(Role.SELLER)
    token = offered_token(seller, declared_value={"amount": "80.00", "currency": "EUR"})
    assert bind(seller, token).get_json()["code"] == "no_exchange_rate"
    with session_of(app) as session:
        exchange_rates.set_rate(
            session, "EUR", "USD", Decimal("1.0850"), date(2026, 11, 1), clock.now()
        )
        exchange_rates.set_rate(
            session, "EUR", "USD", Decimal("9.9999"), date(2026, 11, 22), clock.now()
        )
    coverage = bind(seller, token).get_json()
    assert coverage["insured_value"] == {"amount": "80.00", "currency": "EUR"}
    assert coverage["underwriter_exchange"] == {
        "currency": "USD",
        "rate": "1.0850",
        "rate_date": "2026-11-01",
        "insured_value": {"amount": "86.80", "currency": "USD"},
        "premium": {"amount": "1.30", "currency": "USD"},  # 1.20 EUR x 1.085 = 1.302
    }
    # A later rate never changes a bound coverage.
    with session_of(app) as session:
        exchange_rates.set_rate(session, "EUR", "USD", Decimal("2"), date(2026, 11, 1), clock.now())
    assert (
        seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["underwriter_exchange"]["rate"]
        == "1.0850"
    )


def test_a_tracking_number_belongs_to_one_live_package_per_carrier(as_role, underwriter):
    seller, warehouse = as_role(Role.SELLER), as_role(Role.WAREHOUSE)
    first = bind(warehouse, offered_token(seller), tracking_number="TRACK-0001").get_json()
    assert first["package"]["tracking_confirmed"] is True
    second = bind(seller, offered_token(seller)).get_json()
    clash = warehouse.patch(
        f"/api/v1/coverages/{second['id']}", json={"tracking_number": "track-0001"}
    )
    assert clash.status_code == 409
    assert clash.get_json()["code"] == "tracking_number_in_use"
    assert bind(warehouse, offered_token(seller), tracking_number="TRACK-0001").status_code == 409
    # Voiding the first frees its number.
    assert seller.post(f"/api/v1/coverages/{first['id']}/void").status_code == 200
    moved = warehouse.patch(
        f"/api/v1/coverages/{second['id']}", json={"tracking_number": "TRACK-0001"}
    )
    assert moved.status_code == 200
    assert moved.get_json()["package"]["tracking_number"] == "TRACK-0001"


def test_the_same_tracking_number_may_exist_at_two_carriers(as_role, underwriter):
    seller = as_role(Role.SELLER)
    assert bind(seller, offered_token(seller), tracking_number="SAME-1").status_code == 201
    assert (
        bind(seller, offered_token(seller, carrier="ups"), tracking_number="SAME-1").status_code
        == 201
    )


def test_patch_refuses_another_carrier_and_a_number_change_after_the_first_scan(
    app, as_role, underwriter, clock
):
    seller = as_role(Role.SELLER)
    coverage = bind(seller, offered_token(seller), tracking_number="TRACK-0002").get_json()
    other_carrier = seller.patch(
        f"/api/v1/coverages/{coverage['id']}", json={"carrier": "ups", "tracking_number": "X-123"}
    )
    assert other_carrier.status_code == 422
    mark_scanned(app, coverage["id"], clock)
    late = seller.patch(
        f"/api/v1/coverages/{coverage['id']}", json={"tracking_number": "TRACK-0003"}
    )
    assert late.status_code == 409
    assert late.get_json()["code"] == "already_scanned"


def test_voiding_before_the_first_scan_refunds_the_premium(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bind(seller, offered_token(seller)).get_json()
    voided = seller.post(f"/api/v1/coverages/{coverage['id']}/void")
    assert voided.status_code == 200
    assert voided.get_json()["status"] == "voided"
    assert voided.get_json()["voided_at"] == "2026-11-21T10:00:00Z"
    with session_of(app) as session:
        accounts = {b.account: b.balance.amount for b in ledger.balances(session)}
    assert accounts == {
        "premiums_receivable": 0,
        "fee_income": 0,
        "premiums_payable_underwriter": 0,
    }
    # Voiding again changes nothing and books nothing.
    assert seller.post(f"/api/v1/coverages/{coverage['id']}/void").status_code == 200
    with session_of(app) as session:
        kinds = session.execute(select(LedgerTransaction.kind)).scalars().all()
    assert sorted(kinds) == ["premium_booked", "premium_refunded"]


def test_voiding_after_the_first_scan_is_refused(app, as_role, underwriter, clock):
    seller = as_role(Role.SELLER)
    coverage = bind(seller, offered_token(seller)).get_json()
    mark_scanned(app, coverage["id"], clock)
    response = seller.post(f"/api/v1/coverages/{coverage['id']}/void")
    assert response.status_code == 409
    assert response.get_json()["code"] == "already_scanned"


def test_a_seller_sees_only_its_own_coverages(as_role, underwriter):
    mine, theirs = as_role(Role.SELLER, "S-1001"), as_role(Role.SELLER, "S-2002")
    own = bind(mine, offered_token(mine)).get_json()
    other = bind(theirs, offered_token(theirs)).get_json()
    assert mine.get(f"/api/v1/coverages/{other['id']}").status_code == 404
    assert mine.post(f"/api/v1/coverages/{other['id']}/void").status_code == 404
    assert mine.get(f"/api/v1/coverages/{other['id']}/certificate.pdf").status_code == 404
    listed = mine.get("/api/v1/coverages").get_json()
    assert [c["id"] for c in listed["items"]] == [own["id"]]
    handler = as_role(Role.HANDLER)
    assert {c["id"] for c in handler.get("/api/v1/coverages").get_json()["items"]} == {
        own["id"],
        other["id"],
    }
    assert [
        c["id"] for c in handler.get("/api/v1/coverages?seller_id=S-2002").get_json()["items"]
    ] == [other["id"]]


def test_lists_page_with_a_cursor_and_filter_by_status(as_role, underwriter):
    seller = as_role(Role.SELLER)
    ids = [bind(seller, offered_token(seller)).get_json()["id"] for _ in range(5)]
    seller.post(f"/api/v1/coverages/{ids[0]}/void")
    seen, cursor = [], None
    while True:
        url = "/api/v1/coverages?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = seller.get(url).get_json()
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    voided = seller.get("/api/v1/coverages?status=voided").get_json()["items"]
    assert [c["id"] for c in voided] == [ids[0]]
    assert seller.get("/api/v1/coverages?cursor=%%%").status_code == 422
    assert seller.get("/api/v1/coverages?limit=0").status_code == 422


def test_the_certificate_pdf_names_everything_a_claimant_needs(as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bind(seller, offered_token(seller), tracking_number="TRACK-0009").get_json()
    response = seller.get(f"/api/v1/coverages/{coverage['id']}/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (
        coverage["certificate_number"],
        "S-1001",
        "ORD-77/1",
        "TRACK-0009",
        "250.00 USD",
        "3.75 USD",
        "Harbour Mutual Marine & Cargo Insurance",
        "HMC-2026-00042",
        coverage["verification_url"],
    ):
        assert expected in text, expected


def test_anyone_can_verify_a_certificate_without_seeing_the_seller(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bind(seller, offered_token(seller)).get_json()
    number = coverage["certificate_number"]
    public = app.test_client()
    body = public.get(f"/api/v1/certificates/{number}").get_json()
    assert body["valid"] is True
    assert body["status"] == "active"
    assert body["underwriter"]["licence_number"] == "HMC-2026-00042"
    assert body["insured_value"] == {"amount": "250.00", "currency": "USD"}
    assert "S-1001" not in str(body)
    assert "ORD-77" not in str(body)
    # Typed sloppily, it still verifies.
    assert public.get(f"/api/v1/certificates/{number.replace('-', '').lower()}").status_code == 200
    seller.post(f"/api/v1/coverages/{coverage['id']}/void")
    assert public.get(f"/api/v1/certificates/{number}").get_json()["valid"] is False


def test_unknown_or_altered_certificate_numbers_are_404(as_role, app, underwriter):
    seller = as_role(Role.SELLER)
    number = bind(seller, offered_token(seller)).get_json()["certificate_number"]
    altered = number[:-1] + ("0" if number[-1] != "0" else "1")
    public = app.test_client()
    for bad in (altered, "FI-0000-0000-0000-0", "nonsense", "FI-" + "A" * 40):
        assert public.get(f"/api/v1/certificates/{bad}").status_code == 404, bad


def test_ledger_balances_sum_to_zero_per_currency(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    for currency, amount in (("USD", "250.00"), ("JPY", "30000"), ("USD", "99.99")):
        token = offered_token(seller, declared_value={"amount": amount, "currency": currency})
        if currency == "JPY":
            with session_of(app) as session:
                exchange_rates.set_rate(
                    session,
                    "JPY",
                    "USD",
                    Decimal("0.0067"),
                    date(2026, 1, 1),
                    app.extensions["forwarder_insure"].clock.now(),
                )
        assert bind(seller, token).status_code == 201
    body = as_role(Role.HANDLER).get("/api/v1/ledger/balances").get_json()
    totals: dict[str, Decimal] = {}
    for row in body["balances"]:
        assert row["balance"]["currency"] == row["currency"]
        totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + Decimal(
            row["balance"]["amount"]
        )
    assert totals == {"USD": 0, "JPY": 0}
    assert as_role(Role.SELLER).get("/api/v1/ledger/balances").status_code == 403


def test_quotes_use_the_new_underwriter_once_it_is_registered(app, as_role):
    seller = as_role(Role.SELLER)
    assert quote(seller).get_json()["quotes"][0]["decline"]["code"] == "no_underwriter"
    add_underwriter(app)
    assert quote(seller).get_json()["quotes"][0]["status"] == "offered"
