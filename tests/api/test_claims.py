"""Filing and reading claims."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from forwarder_insure.db.models import OutboxEvent
from forwarder_insure.domain.access import Role
from tests.fixtures.insurance import bound


def file(
    client, coverage_id: str, amount: str = "200.00", kind: str = "lost", key: str | None = None
):
    return client.post(
        "/api/v1/claims",
        json={
            "coverage_id": coverage_id,
            "kind": kind,
            "amount_claimed": {"amount": amount, "currency": "USD"},
            "description": "Parcel never arrived",
        },
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def test_a_seller_files_a_draft_claim_with_its_checklist(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bound(seller, "CLM-1")
    response = file(seller, coverage["id"])
    assert response.status_code == 201, response.get_json()
    claim = response.get_json()
    assert claim["status"] == "draft"
    assert claim["kind"] == "lost"
    assert claim["amount_claimed"] == {"amount": "200.00", "currency": "USD"}
    assert claim["amount_approved"] is None
    assert claim["payout"] is None
    assert claim["risk"] is None  # screening is for staff
    assert [(c["kind"], c["stage"], c["status"]) for c in claim["checklist"]] == [
        ("delivery_record", "submission", "received"),  # generated from our tracking
        ("value_proof", "submission", "missing"),
        ("delivery_certificate", "submission", "missing"),  # never scanned: ops supply it
        ("dispute_screenshot", "grace", "missing"),
        ("carrier_loss_letter", "grace", "missing"),
    ]
    [record] = claim["documents"]
    assert (record["kind"], record["source"]) == ("delivery_record", "system")
    assert [t["event"] for t in claim["timeline"]] == ["filed", "document_received"]
    assert claim["timeline"][1]["actor"] == "system"
    assert claim["timeline"][0]["at"] == "2026-11-21T10:00:00Z"
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        assert "claim.filed" in session.execute(select(OutboxEvent.type)).scalars().all()


def test_a_damage_claim_also_needs_photos(as_role, underwriter):
    seller = as_role(Role.SELLER)
    claim = file(seller, bound(seller, "CLM-2")["id"], kind="damaged").get_json()
    assert "damage_photos" in [c["kind"] for c in claim["checklist"]]


def test_the_amount_claimed_never_exceeds_the_insured_value(as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bound(seller, "CLM-3")
    response = file(seller, coverage["id"], amount="250.01")
    assert response.status_code == 422
    assert response.get_json()["code"] == "claim_above_insured_value"
    assert file(seller, coverage["id"], amount="250.00").status_code == 201


def test_one_claim_in_progress_per_coverage(as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bound(seller, "CLM-4")
    first = file(seller, coverage["id"]).get_json()
    second = file(seller, coverage["id"])
    assert second.status_code == 409
    assert second.get_json()["code"] == "claim_already_open"
    assert (
        seller.post(
            f"/api/v1/claims/{first['id']}/withdraw", json={"reason": "found it"}
        ).status_code
        == 200
    )
    assert file(seller, coverage["id"]).status_code == 201


def test_a_voided_coverage_cannot_be_claimed_on(as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bound(seller, "CLM-5")
    seller.post(f"/api/v1/coverages/{coverage['id']}/void")
    response = file(seller, coverage["id"])
    assert response.status_code == 409
    assert response.get_json()["code"] == "coverage_voided"


def test_filing_is_idempotent(as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bound(seller, "CLM-6")
    first = file(seller, coverage["id"], key="claim-once")
    again = file(seller, coverage["id"], key="claim-once")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]


def test_sellers_see_and_claim_only_their_own(as_role, underwriter):
    mine, theirs = as_role(Role.SELLER, "S-1001"), as_role(Role.SELLER, "S-2002")
    other_coverage = bound(theirs, "CLM-7")
    assert file(mine, other_coverage["id"]).status_code == 404
    their_claim = file(theirs, other_coverage["id"]).get_json()
    assert mine.get(f"/api/v1/claims/{their_claim['id']}").status_code == 404
    assert mine.post(f"/api/v1/claims/{their_claim['id']}/withdraw", json={}).status_code == 404
    assert mine.get("/api/v1/claims").get_json()["items"] == []
    handler = as_role(Role.HANDLER)
    assert [c["id"] for c in handler.get("/api/v1/claims").get_json()["items"]] == [
        their_claim["id"]
    ]


def test_a_withdrawn_claim_cannot_be_withdrawn_again(as_role, underwriter):
    seller = as_role(Role.SELLER)
    claim = file(seller, bound(seller, "CLM-8")["id"]).get_json()
    withdrawn = seller.post(f"/api/v1/claims/{claim['id']}/withdraw", json={"reason": "mistake"})
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert withdrawn.get_json()["timeline"][-1] == {
        "at": "2026-11-21T10:00:00Z",
        "actor": withdrawn.get_json()["timeline"][0]["actor"],
        "event": "withdrawn",
        "detail": "mistake",
    }
    again = seller.post(f"/api/v1/claims/{claim['id']}/withdraw", json={})
    assert again.status_code == 409
    assert again.get_json()["code"] == "transition_not_allowed"
