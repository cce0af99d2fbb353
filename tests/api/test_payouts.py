"""Advancing payouts, taking them back, and recovering them from the underwriter and carrier.

Every test here moves money, so each ends by proving the whole book balances.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forwarder_insure.db.models import LedgerTransaction, OutboxEvent
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from tests.api.test_claim_documents import file_claim, ready_claim, submitted_claim, upload
from tests.fixtures.insurance import bound, event, post_events
from tests.storage.test_local_store import png_bytes

pytestmark = pytest.mark.usefixtures("balanced_books")
DAY = timedelta(days=1)


def balances(client) -> dict[str, str]:
    body = client.get("/api/v1/ledger/balances").get_json()
    return {
        b["account"]: b["balance"]["amount"]
        for b in body["balances"]
        if b["balance"]["amount"] not in ("0", "0.00")
    }


def claim_of(client, claim_id: str) -> dict:
    return client.get(f"/api/v1/claims/{claim_id}").get_json()


def approve(client, claim_id: str, amount: str):
    return client.post(
        f"/api/v1/claims/{claim_id}/approve",
        json={"amount": {"amount": amount, "currency": "USD"}},
    )


def add_grace_documents(seller, handler, claim_id: str, seed: int) -> None:
    assert upload(seller, claim_id, "dispute_screenshot", png_bytes(seed)).status_code == 201
    assert upload(handler, claim_id, "carrier_loss_letter", png_bytes(seed + 1)).status_code == 201


def outbox(app, kind: str) -> list[dict]:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return list(session.scalars(select(OutboxEvent.data).where(OutboxEvent.type == kind)))


def run(app, job: str, as_of) -> dict:
    result = app.test_cli_runner().invoke(args=["run-job", job, "--as-of", format_instant(as_of)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def paid_claim(seller, handler, clock, number: str, amount: str = "200.00") -> dict:
    """A submitted claim with every document in, approved: paid at once."""
    claim = submitted_claim(seller, handler, clock, number)
    add_grace_documents(seller, handler, claim["id"], 500 + len(number) + sum(map(ord, number)))
    approved = approve(handler, claim["id"], amount)
    assert approved.status_code == 200, approved.get_json()
    return approved.get_json()


def carrier_liable_claim(seller, handler, clock, number: str) -> dict:
    """A complete, submitted claim on a domestic USPS Priority parcel, whose carrier is liable
    for the first 100 USD (its base cover)."""
    coverage = bound(seller, number, origin_country="US")
    claim = file_claim(seller, coverage["id"])
    seed = 800 + sum(map(ord, number))
    upload(seller, claim["id"], "value_proof", png_bytes(seed))
    upload(handler, claim["id"], "delivery_certificate", png_bytes(seed + 1))
    clock.advance(days=20)
    seller.post(f"/api/v1/claims/{claim['id']}/submit")
    add_grace_documents(seller, handler, claim["id"], seed + 2)
    return claim


def test_approving_a_complete_claim_pays_it_at_once(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    body = paid_claim(seller, handler, clock, "PAY-1", amount="190.00")
    assert body["status"] == "payout_advanced"
    payout = body["payout"]
    assert payout["amount"] == {"amount": "190.00", "currency": "USD"}
    assert payout["fast_track"] is False
    assert payout["underwriter_part"] == {"amount": "190.00", "currency": "USD"}
    assert payout["carrier_part"] == {"amount": "0.00", "currency": "USD"}
    assert [e["reference"] for e in outbox(app, "payout.advanced")] == [payout["id"]]
    money = balances(handler)
    assert money["seller_payable"] == "-190.00"
    assert money["claims_receivable_underwriter"] == "190.00"
    # A second approval is a step the claim no longer allows; no second payout.
    assert approve(handler, body["id"], "190.00").status_code == 409
    assert run(app, "advance-payouts", clock.now())["advanced"] == 0


def test_an_approved_claim_is_paid_when_its_last_document_arrives(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "PAY-2")
    assert approve(handler, claim["id"], "200.00").get_json()["status"] == "approved"
    assert claim_of(seller, claim["id"])["payout"] is None
    upload(seller, claim["id"], "dispute_screenshot", png_bytes(610))
    assert claim_of(seller, claim["id"])["status"] == "approved"
    upload(handler, claim["id"], "carrier_loss_letter", png_bytes(611))
    paid = claim_of(seller, claim["id"])
    assert paid["status"] == "payout_advanced"
    assert paid["timeline"][-1]["actor"] == "system"


def test_a_fast_tracked_advance_becomes_the_sellers_debt_if_documents_never_come(
    app, as_role, underwriter, clock
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = ready_claim(seller, handler, "PAY-3", amount="80.00")
    clock.advance(days=20)
    assert seller.post(f"/api/v1/claims/{claim['id']}/submit").get_json()["status"] == (
        "payout_advanced"
    )
    assert run(app, "grace-deadlines", clock.now() + 30 * DAY)["lapsed"] == 1
    lapsed = claim_of(seller, claim["id"])
    assert lapsed["status"] == "lapsed"
    assert lapsed["payout"]["status"] == "clawed_back"
    assert [e["claim_id"] for e in outbox(app, "payout.clawback")] == [claim["id"]]
    money = balances(handler)
    assert money["seller_receivable"] == "80.00"
    assert money["seller_payable"] == "-80.00"
    assert "claims_receivable_underwriter" not in money


def test_a_clawed_back_advance_takes_no_carrier_payment(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    coverage = bound(seller, "PAY-3B", origin_country="US")  # the carrier is liable up to 100
    claim = file_claim(seller, coverage["id"], amount="80.00")
    upload(seller, claim["id"], "value_proof", png_bytes(331))
    upload(handler, claim["id"], "delivery_certificate", png_bytes(332))
    clock.advance(days=20)
    paid = seller.post(f"/api/v1/claims/{claim['id']}/submit").get_json()
    assert paid["payout"]["carrier_part"] == {"amount": "80.00", "currency": "USD"}
    assert run(app, "grace-deadlines", clock.now() + 30 * DAY)["lapsed"] == 1
    refused = handler.post(
        f"/api/v1/claims/{claim['id']}/carrier-recovery",
        json={
            "amount": {"amount": "80.00", "currency": "USD"},
            "paid_at": format_instant(clock.now()),
        },
    )
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "payout_clawed_back"
    assert "claims_receivable_carrier" not in balances(handler)


def test_an_instant_outside_the_calendar_in_utc_is_a_field_error(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "PAY-3C")
    for instant in ("0001-01-01T00:00:00+21:00", "9999-12-31T23:59:59-05:00"):
        response = handler.post(
            f"/api/v1/claims/{claim['id']}/insurer-settlement",
            json={"amount": {"amount": "200.00", "currency": "USD"}, "paid_at": instant},
        )
        assert response.status_code == 422, response.get_json()
        assert [e["pointer"] for e in response.get_json()["errors"]] == ["#/paid_at"]


def test_the_underwriter_settles_within_its_working_days(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "PAY-4", amount="200.00")
    url = f"/api/v1/claims/{claim['id']}"
    early = handler.post(
        f"{url}/insurer-settlement",
        json={"amount": {"amount": "200.00", "currency": "USD"}, "paid_at": "2026-12-10T10:00:00Z"},
    )
    assert early.status_code == 409  # not accepted yet
    assert handler.post(f"{url}/insurer-filing").get_json()["insurer"]["filed_at"] is not None
    assert handler.post(f"{url}/insurer-filing").status_code == 409
    # Accepted Wednesday 25 November 2026: Thursday is Thanksgiving, then Fri, Mon, Tue.
    accepted = handler.post(
        f"{url}/insurer-acceptance",
        json={"insurer_reference": "HM-CLM-991", "accepted_at": "2026-11-25T15:00:00Z"},
    )
    assert accepted.status_code == 200, accepted.get_json()
    insurer = accepted.get_json()["insurer"]
    assert insurer["settlement_due_at"] == "2026-12-01T15:00:00Z"
    assert accepted.get_json()["status"] == "insurer_accepted"

    too_much = handler.post(
        f"{url}/insurer-settlement",
        json={"amount": {"amount": "200.01", "currency": "USD"}, "paid_at": "2026-12-01T09:00:00Z"},
    )
    assert too_much.status_code == 422
    settled = handler.post(
        f"{url}/insurer-settlement",
        json={"amount": {"amount": "150.00", "currency": "USD"}, "paid_at": "2026-12-01T09:00:00Z"},
    )
    assert settled.status_code == 200, settled.get_json()
    body = settled.get_json()
    assert body["status"] == "settled"
    assert body["payout"]["insurer_paid"] == {"amount": "150.00", "currency": "USD"}
    assert "shortfall 50.00 USD" in body["timeline"][-1]["detail"]
    money = balances(handler)
    assert money["cash_received"] == "150.00"
    assert money["claims_loss"] == "50.00"
    assert "claims_receivable_underwriter" not in money


def test_acceptance_in_the_future_is_refused(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "PAY-5")
    future = format_instant(clock.now() + DAY)
    refused = handler.post(
        f"/api/v1/claims/{claim['id']}/insurer-acceptance",
        json={"insurer_reference": "X", "accepted_at": future},
    )
    assert refused.status_code == 422
    assert claim_of(seller, claim["id"])["status"] == "payout_advanced"
    assert (
        seller.post(
            f"/api/v1/claims/{claim['id']}/insurer-acceptance",
            json={"insurer_reference": "X", "accepted_at": format_instant(clock.now())},
        ).status_code
        == 403
    )


def test_an_overdue_settlement_is_flagged_once(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "PAY-6")
    handler.post(
        f"/api/v1/claims/{claim['id']}/insurer-acceptance",
        json={"insurer_reference": "HM-7", "accepted_at": format_instant(clock.now())},
    )
    due = claim_of(handler, claim["id"])["insurer"]["settlement_due_at"]
    assert run(app, "insurer-sla", clock.now() + DAY)["overdue"] == 0
    assert run(app, "insurer-sla", clock.now() + 7 * DAY)["overdue"] == 1
    assert run(app, "insurer-sla", clock.now() + 8 * DAY)["overdue"] == 0
    [alert] = outbox(app, "insurer.settlement_overdue")
    assert alert["claim_id"] == claim["id"]
    assert alert["settlement_due_at"] == due
    overdue = handler.get("/api/v1/claims?settlement_overdue=true").get_json()["items"]
    assert [c["id"] for c in overdue] == [claim["id"]]
    assert overdue[0]["insurer"]["settlement_overdue"] is True


def test_a_rejection_after_the_advance_is_booked_as_our_loss(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "PAY-7", amount="120.00")
    rejected = handler.post(
        f"/api/v1/claims/{claim['id']}/insurer-rejection", json={"reason": "late notification"}
    )
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["status"] == "insurer_rejected"
    money = balances(handler)
    assert money["claims_loss"] == "120.00"
    assert "claims_receivable_underwriter" not in money
    # A parcel we paid for cannot be claimed again.
    again = seller.post(
        "/api/v1/claims",
        json={
            "coverage_id": claim["coverage_id"],
            "kind": "lost",
            "amount_claimed": {"amount": "10.00", "currency": "USD"},
        },
        headers={"Idempotency-Key": "PAY-7-again"},
    )
    assert again.status_code == 409


def test_the_carriers_base_cover_is_recovered_separately(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = carrier_liable_claim(seller, handler, clock, "PAY-8")
    payout = approve(handler, claim["id"], "180.00").get_json()["payout"]
    assert payout["carrier_part"] == {"amount": "100.00", "currency": "USD"}
    assert payout["underwriter_part"] == {"amount": "80.00", "currency": "USD"}
    assert balances(handler)["claims_receivable_carrier"] == "100.00"

    url = f"/api/v1/claims/{claim['id']}/carrier-recovery"
    paid = {"amount": {"amount": "100.00", "currency": "USD"}, "paid_at": "2026-12-11T09:00:00Z"}
    assert handler.post(url, json=paid).status_code == 200
    assert handler.post(url, json=paid).status_code == 409
    money = balances(handler)
    assert "claims_receivable_carrier" not in money
    assert money["cash_received"] == "100.00"


def test_a_paid_lost_parcel_that_turns_up_raises_a_recovery_task(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "PAY-9")
    post_events(as_role(Role.TRACKING), event("d1", "PAY-9", "2026-12-12T08:00:00Z", "delivered"))
    assert run(app, "advance-payouts", clock.now() + DAY)["recovery_tasks"] == 1
    assert run(app, "advance-payouts", clock.now() + 2 * DAY)["recovery_tasks"] == 0
    [task] = handler.get("/api/v1/recovery-tasks?status=open").get_json()["items"]
    assert task["claim_id"] == claim["id"]
    assert len(outbox(app, "payout.recovery_opened")) == 1
    assert claim_of(handler, claim["id"])["status"] == "payout_advanced"  # paid once, no more
    closed = handler.post(
        f"/api/v1/recovery-tasks/{task['id']}/close", json={"note": "buyer returned the goods"}
    )
    assert closed.get_json()["status"] == "closed"
    assert (
        handler.post(
            f"/api/v1/recovery-tasks/{task['id']}/close", json={"note": "again"}
        ).status_code
        == 409
    )
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        payouts = session.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.kind == "claim_payout")
        )
    assert payouts == 1


def test_our_decision_sla_runs_from_the_complete_checklist(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "PAY-10")
    assert claim_of(handler, claim["id"])["decision_due_at"] is None  # grace documents missing
    add_grace_documents(seller, handler, claim["id"], 1001)
    body = claim_of(handler, claim["id"])
    assert body["decision_due_at"] == format_instant(clock.now() + 2 * DAY)
    assert body["decision_overdue"] is False
    clock.advance(hours=49)
    assert claim_of(handler, claim["id"])["decision_overdue"] is True
    late = handler.get("/api/v1/claims?decision_overdue=true").get_json()["items"]
    assert [c["id"] for c in late] == [claim["id"]]
    approve(handler, claim["id"], "100.00")
    assert handler.get("/api/v1/claims?decision_overdue=true").get_json()["items"] == []


def test_money_views_list_advances_awaiting_the_underwriter(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "PAY-11")
    waiting = handler.get("/api/v1/payouts?awaiting_insurer=true").get_json()["items"]
    assert [p["claim_id"] for p in waiting] == [claim["id"]]
    assert seller.get("/api/v1/payouts").status_code == 403
