"""Evidence uploads and submission: the bytes decide, the checklist fills, screening runs."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from forwarder_insure.domain.access import Role
from tests.fixtures.app import KeyedClient, build_app, issue_key
from tests.fixtures.insurance import add_underwriter, bound
from tests.storage.test_local_store import TINY_JPEG, pdf_bytes, png_bytes


def file_claim(client, coverage_id: str, amount: str = "200.00", kind: str = "lost", **extra):
    response = client.post(
        "/api/v1/claims",
        json={
            "coverage_id": coverage_id,
            "kind": kind,
            "amount_claimed": {"amount": amount, "currency": "USD"},
        }
        | extra,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def upload(
    client,
    claim_id: str,
    kind: str,
    data: bytes,
    name: str = "evidence.pdf",
    content_type="application/pdf",
):
    return client.post(
        f"/api/v1/claims/{claim_id}/documents",
        data={"kind": kind, "file": (io.BytesIO(data), name, content_type)},
        content_type="multipart/form-data",
    )


def stored_files(app) -> list[Path]:
    root = app.extensions["forwarder_insure"].settings.instance_path / "documents"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def ready_claim(
    seller, handler, number: str, amount: str = "200.00", invoice: bytes | None = None, **extra
) -> dict:
    """A lost-parcel claim with its submission documents in: the delivery record is ours, the
    hand-over proof (never scanned by the carrier) comes from ops, the invoice from the seller."""
    claim = file_claim(seller, bound(seller, number)["id"], amount=amount, **extra)
    assert upload(seller, claim["id"], "value_proof", invoice or pdf_bytes()).status_code == 201
    # Each file must differ: identical bytes on two claims would be flagged as reused.
    handover = png_bytes(len(number) + sum(map(ord, number)))
    assert upload(handler, claim["id"], "delivery_certificate", handover).status_code == 201
    return claim


def test_an_upload_is_typed_by_its_bytes_hashed_and_listed(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    claim = file_claim(seller, bound(seller, "DOC-1")["id"])
    before = stored_files(app)
    response = upload(
        seller,
        claim["id"],
        "value_proof",
        TINY_JPEG,
        name="../../etc/invoice.pdf",
        content_type="application/pdf",
    )
    assert response.status_code == 201, response.get_json()
    document = response.get_json()
    assert document["content_type"] == "image/jpeg"
    assert document["filename"] == "invoice.pdf"
    assert document["size"] == len(TINY_JPEG)
    import hashlib

    assert document["sha256"] == hashlib.sha256(TINY_JPEG).hexdigest()
    entry = next(
        c
        for c in seller.get(f"/api/v1/claims/{claim['id']}").get_json()["checklist"]
        if c["kind"] == "value_proof"
    )
    assert entry == {**entry, "status": "received", "document_ids": [document["id"]]}
    assert len(stored_files(app)) == len(before) + 1


def test_bad_files_are_refused_and_nothing_is_kept(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    claim = file_claim(seller, bound(seller, "DOC-2")["id"])
    before = stored_files(app)
    executable = b"\x7fELF\x02\x01\x01" + bytes(200)
    assert (
        upload(seller, claim["id"], "value_proof", executable, name="invoice.pdf").status_code
        == 415
    )
    assert (
        upload(seller, claim["id"], "value_proof", b"%PDF-1.7\n" + b"garbage" * 50).status_code
        == 415
    )
    empty = upload(seller, claim["id"], "value_proof", b"")
    assert empty.status_code == 422
    assert (
        upload(seller, claim["id"], "damage_photos", png_bytes()).status_code == 422
    )  # lost claim
    assert upload(seller, claim["id"], "carrier_loss_letter", pdf_bytes()).status_code == 403
    assert stored_files(app) == before
    checklist = seller.get(f"/api/v1/claims/{claim['id']}").get_json()["checklist"]
    assert [c["kind"] for c in checklist if c["status"] != "missing"] == ["delivery_record"]


def test_a_file_over_the_limit_is_413_and_one_at_the_limit_is_taken(settings, clock, database):
    limit = 4096  # a small limit keeps the test light; the mechanism is the same at 20 MiB
    app = build_app(settings.with_overrides(max_upload_bytes=limit), clock, database)
    add_underwriter(app)
    seller = KeyedClient(
        app.test_client(), issue_key(app, Role.SELLER, "S-1001"), Role.SELLER, "S-1001"
    )
    claim = file_claim(seller, bound(seller, "DOC-3")["id"])
    before = stored_files(app)
    base = len(png_bytes(0))  # a comment chunk adds 20 bytes of framing to its text
    at_limit, over = png_bytes(limit - base - 20), png_bytes(limit - base - 19)
    assert (len(at_limit), len(over)) == (limit, limit + 1)
    assert upload(seller, claim["id"], "value_proof", over, name="big.png").status_code == 413
    assert stored_files(app) == before
    assert upload(seller, claim["id"], "value_proof", at_limit, name="ok.png").status_code == 201


def test_submission_needs_the_submission_documents(as_role, underwriter):
    seller = as_role(Role.SELLER)
    claim = file_claim(seller, bound(seller, "DOC-4")["id"])
    upload(seller, claim["id"], "value_proof", pdf_bytes())
    refused = seller.post(f"/api/v1/claims/{claim['id']}/submit")
    assert refused.status_code == 409
    assert refused.get_json()["missing"] == ["delivery_certificate"]
    assert seller.get(f"/api/v1/claims/{claim['id']}").get_json()["status"] == "draft"


def test_submitting_starts_the_grace_period_and_screens(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = ready_claim(seller, handler, "DOC-5", amount="200.00")
    clock.advance(days=20)
    submitted = seller.post(f"/api/v1/claims/{claim['id']}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    body = submitted.get_json()
    assert body["status"] == "submitted"
    assert body["grace_deadline"] == "2027-01-10T10:00:00Z"  # submitted 2026-12-11, +30 days
    assert body["risk"] is None  # screening is for staff
    assert handler.get(f"/api/v1/claims/{claim['id']}").get_json()["risk"] == {
        "score": 0,
        "flags": [],
    }


def test_a_small_clean_claim_is_approved_and_paid_at_once(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = ready_claim(seller, handler, "DOC-6", amount="80.00")
    clock.advance(days=20)
    body = seller.post(f"/api/v1/claims/{claim['id']}/submit").get_json()
    assert body["status"] == "payout_advanced"  # before the grace documents: fast track
    assert body["amount_approved"] == {"amount": "80.00", "currency": "USD"}
    assert [t["event"] for t in body["timeline"]][-3:] == [
        "submitted",
        "approved",
        "payout_advanced",
    ]
    assert body["payout"]["fast_track"] is True
    assert body["payout"]["amount"] == {"amount": "80.00", "currency": "USD"}


def test_a_flagged_small_claim_waits_for_a_person(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = ready_claim(
        seller,
        handler,
        "DOC-7",
        amount="80.00",
        invoice_amount={"amount": "60.00", "currency": "USD"},
    )
    clock.advance(days=3)  # lost claimed before the silent period has passed
    assert seller.post(f"/api/v1/claims/{claim['id']}/submit").get_json()["status"] == "submitted"
    body = handler.get(f"/api/v1/claims/{claim['id']}").get_json()
    codes = {f["code"] for f in body["risk"]["flags"]}
    assert codes == {"amount_above_invoice", "claimed_before_silent_period"}
    assert body["risk"]["score"] == 50


def test_evidence_reused_from_another_claim_is_flagged(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    invoice = pdf_bytes()
    first = ready_claim(seller, handler, "DOC-8", invoice=invoice)
    second = file_claim(seller, bound(seller, "DOC-9")["id"])
    upload(seller, second["id"], "value_proof", invoice)  # the very same invoice file
    upload(handler, second["id"], "delivery_certificate", png_bytes(123))
    clock.advance(days=20)
    seller.post(f"/api/v1/claims/{second['id']}/submit")
    body = handler.get(f"/api/v1/claims/{second['id']}").get_json()
    [flag] = body["risk"]["flags"]
    assert flag["code"] == "evidence_reused"
    assert first["id"] in flag["detail"]


def test_another_sellers_claim_takes_no_upload(as_role, underwriter):
    theirs = as_role(Role.SELLER, "S-2002")
    claim = file_claim(theirs, bound(theirs, "DOC-10")["id"])
    assert (
        upload(as_role(Role.SELLER, "S-1001"), claim["id"], "value_proof", pdf_bytes()).status_code
        == 404
    )


def submitted_claim(seller, handler, clock, number: str, amount: str = "200.00") -> dict:
    claim = ready_claim(seller, handler, number, amount=amount)
    clock.advance(days=20)
    body = seller.post(f"/api/v1/claims/{claim['id']}/submit").get_json()
    assert body["status"] == "submitted", body
    return body


def test_review_request_documents_then_approve(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "REV-1")
    asked = handler.post(
        f"/api/v1/claims/{claim['id']}/request-documents",
        json={"kinds": ["dispute_screenshot"], "note": "Please add the buyer's refund request"},
    )
    assert asked.get_json()["status"] == "needs_info"
    assert seller.post(f"/api/v1/claims/{claim['id']}/submit").get_json()["status"] == "submitted"
    too_much = handler.post(
        f"/api/v1/claims/{claim['id']}/approve",
        json={"amount": {"amount": "250.01", "currency": "USD"}},
    )
    assert too_much.status_code == 422
    assert too_much.get_json()["code"] == "approval_above_maximum"
    approved = handler.post(
        f"/api/v1/claims/{claim['id']}/approve",
        json={"amount": {"amount": "190.00", "currency": "USD"}, "note": "ok"},
    )
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "approved"
    assert approved.get_json()["amount_approved"] == {"amount": "190.00", "currency": "USD"}
    again = handler.post(f"/api/v1/claims/{claim['id']}/deny", json={"reason": "changed my mind"})
    assert again.status_code == 200  # denial is still possible before any payout


def four_eyes_claim(seller, handler, clock, number: str) -> dict:
    """A submitted claim for 1500.00 USD on a 5000.00 USD parcel: above the four-eyes limit."""
    coverage = bound(seller, number, declared_value={"amount": "5000.00", "currency": "USD"})
    claim = file_claim(seller, coverage["id"], amount="1500.00")
    seed = sum(map(ord, number))
    assert upload(seller, claim["id"], "value_proof", png_bytes(seed)).status_code == 201
    assert (
        upload(handler, claim["id"], "delivery_certificate", png_bytes(seed + 1)).status_code == 201
    )
    clock.advance(days=20)
    assert seller.post(f"/api/v1/claims/{claim['id']}/submit").status_code == 200
    return claim


def test_above_the_four_eyes_limit_a_handler_may_not_approve(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = four_eyes_claim(seller, handler, clock, "REV-2")
    amount = {"amount": "1500.00", "currency": "USD"}
    refused = handler.post(f"/api/v1/claims/{claim['id']}/approve", json={"amount": amount})
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "four_eyes_required"
    supervisor = as_role(Role.SUPERVISOR)
    assert (
        supervisor.post(
            f"/api/v1/claims/{claim['id']}/approve", json={"amount": amount}
        ).get_json()["status"]
        == "approved"
    )


def test_a_denial_needs_a_reason_and_sellers_cannot_decide(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "REV-3")
    assert (
        seller.post(
            f"/api/v1/claims/{claim['id']}/approve",
            json={"amount": {"amount": "1.00", "currency": "USD"}},
        ).status_code
        == 403
    )
    assert handler.post(f"/api/v1/claims/{claim['id']}/deny", json={}).status_code == 422
    denied = handler.post(
        f"/api/v1/claims/{claim['id']}/deny", json={"reason": "Delivered to the buyer"}
    )
    assert denied.get_json()["status"] == "denied"
    assert denied.get_json()["timeline"][-1]["detail"] == "Delivered to the buyer"
    assert (
        handler.post(
            f"/api/v1/claims/{claim['id']}/approve",
            json={"amount": {"amount": "1.00", "currency": "USD"}},
        ).status_code
        == 409
    )
