"""The seller boundary on claims: what a seller key reads, and what no step may do on a voided
coverage or above what was claimed. Each test replays an attack from the security review."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor, wait

import pytest
from sqlalchemy import select

from forwarder_insure.db.models import Claim, Coverage, LedgerTransaction
from forwarder_insure.domain.access import Caller, Role
from forwarder_insure.services import claims as claims_service
from forwarder_insure.services.credentials import key_prefix
from tests.api.test_claim_documents import file_claim, ready_claim, submitted_claim, upload
from tests.api.test_payouts import approve, run
from tests.api.test_sweep_and_inquiries import inquiries, sweep
from tests.console.conftest import add_staff, csrf_of, log_in
from tests.fixtures.app import KeyedClient, issue_key
from tests.fixtures.insurance import add_underwriter, bound
from tests.storage.test_local_store import pdf_bytes, png_bytes


def test_a_seller_reads_no_screening_and_no_other_sellers_claim_ids(as_role, underwriter, clock):
    """Two accounts of a ring send the same invoice: staff see the reuse across sellers, the
    second seller reads ``"risk": null`` on every claim answer and never the first one's id."""
    first_seller, ring = as_role(Role.SELLER, "S-1001"), as_role(Role.SELLER, "S-2002")
    handler = as_role(Role.HANDLER)
    invoice = pdf_bytes()
    theirs = ready_claim(first_seller, handler, "SBC-1", invoice=invoice)
    mine = ready_claim(ring, handler, "SBC-2", invoice=invoice)
    clock.advance(days=20)

    answers = [ring.post(f"/api/v1/claims/{mine['id']}/submit")]
    screenshot = upload(ring, mine["id"], "dispute_screenshot", png_bytes(7))
    assert screenshot.status_code == 201
    answers.append(ring.get(f"/api/v1/claims/{mine['id']}"))
    listed = ring.get("/api/v1/claims")
    answers.append(ring.post(f"/api/v1/claims/{mine['id']}/withdraw", json={"reason": "found"}))

    assert mine["risk"] is None  # the answer to filing
    for answer in answers:
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["risk"] is None
        assert theirs["id"] not in answer.get_data(as_text=True)
    assert [c["risk"] for c in listed.get_json()["items"]] == [None]
    assert theirs["id"] not in listed.get_data(as_text=True) + screenshot.get_data(as_text=True)
    staff_view = handler.get(f"/api/v1/claims/{mine['id']}").get_json()
    [flag] = staff_view["risk"]["flags"]
    assert flag["code"] == "evidence_reused"  # rings of accounts are still caught
    assert theirs["id"] in flag["detail"]
    timeline = ring.get(f"/api/v1/claims/{mine['id']}").get_json()["timeline"]
    assert not {"flagged", "rescreened"} & {t["event"] for t in timeline}


def test_a_seller_sees_staff_on_its_timeline_only_as_ops(app, as_role, underwriter, clock):
    """Staff e-mails and staff key prefixes never reach a seller: a staff actor reads ``ops``;
    ``system`` and the seller's own keys (any of them) stay as they are."""
    seller, second_key = as_role(Role.SELLER), as_role(Role.SELLER)
    handler = as_role(Role.HANDLER)
    claim = ready_claim(seller, handler, "SBC-3")
    upload(second_key, claim["id"], "dispute_screenshot", png_bytes(11))
    clock.advance(days=20)
    seller.post(f"/api/v1/claims/{claim['id']}/submit")
    add_staff(app, "handler@example.com", Role.HANDLER)
    console = app.test_client()
    assert log_in(console, "handler@example.com").status_code == 303
    token = csrf_of(console.get(f"/ops/claims/{claim['id']}").get_data(as_text=True))
    asked = console.post(
        f"/ops/claims/{claim['id']}/request-documents",
        data={"csrf_token": token, "kinds": "carrier_loss_letter", "note": "letter please"},
    )
    assert asked.status_code == 303

    own = {f"api-key:{key_prefix(c.key)}" for c in (seller, second_key)}
    handler_actor = f"api-key:{key_prefix(handler.key)}"
    staff_view = handler.get(f"/api/v1/claims/{claim['id']}").get_json()
    real = [(t["event"], t["actor"]) for t in staff_view["timeline"]]
    assert {"staff:handler@example.com", handler_actor, "system"} | own == {a for _, a in real}

    answers = [
        seller.get(f"/api/v1/claims/{claim['id']}"),
        seller.get("/api/v1/claims"),
        seller.post(f"/api/v1/claims/{claim['id']}/withdraw", json={"reason": None}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.get_json()
        text = answer.get_data(as_text=True)
        assert "handler@example.com" not in text
        assert key_prefix(handler.key) not in text
    shown = [(t["event"], t["actor"]) for t in answers[0].get_json()["timeline"]]
    assert shown == [(e, a if a == "system" or a in own else "ops") for e, a in real]
    assert ("needs_info", "ops") in shown
    assert ("document_received", "ops") in shown  # the hand-over proof ops uploaded
    after_withdrawal = answers[2].get_json()["timeline"]
    assert after_withdrawal[-1]["actor"] == f"api-key:{key_prefix(seller.key)}"
    staff_after = handler.get(f"/api/v1/claims/{claim['id']}").get_json()["timeline"]
    assert [(t["event"], t["actor"]) for t in staff_after][: len(real)] == real


def voided_under_its_claim(app, coverage_id: str, clock) -> None:
    """The coverage voided while its claim stayed open, as the void used to allow (data from
    before the rule, or a void racing a filing): set on the row directly."""
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        coverage = session.get(Coverage, coverage_id)
        coverage.status = "voided"
        coverage.voided_at = clock.now()


def ledger_kinds(app) -> list[str]:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return sorted(session.scalars(select(LedgerTransaction.kind)))


@pytest.mark.usefixtures("balanced_books")
def test_a_coverage_cannot_be_voided_while_a_claim_on_it_is_open(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    draft = file_claim(seller, bound(seller, "SBC-10")["id"])
    refused = seller.post(f"/api/v1/coverages/{draft['coverage_id']}/void")
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "claim_open"
    submitted = submitted_claim(seller, handler, clock, "SBC-11")
    for claim in (draft, submitted):
        assert seller.post(f"/api/v1/coverages/{claim['coverage_id']}/void").status_code == 409
        coverage = seller.get(f"/api/v1/coverages/{claim['coverage_id']}").get_json()
        assert coverage["status"] == "active"
    assert "premium_refunded" not in ledger_kinds(app)

    seller.post(f"/api/v1/claims/{draft['id']}/withdraw", json={})
    voided = seller.post(f"/api/v1/coverages/{draft['coverage_id']}/void")
    assert voided.status_code == 200  # a final claim no longer holds the coverage
    assert voided.get_json()["status"] == "voided"


@pytest.mark.usefixtures("balanced_books")
def test_nothing_moves_on_a_voided_coverage(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    small = ready_claim(seller, handler, "SBC-12", amount="80.00")  # would be fast-tracked
    submitted = submitted_claim(seller, handler, clock, "SBC-13")
    approved = submitted_claim(seller, handler, clock, "SBC-14")
    assert approve(handler, approved["id"], "150.00").get_json()["status"] == "approved"
    complete = submitted_claim(seller, handler, clock, "SBC-15")
    assert approve(handler, complete["id"], "150.00").get_json()["status"] == "approved"
    for claim in (small, submitted, approved, complete):
        voided_under_its_claim(app, claim["coverage_id"], clock)
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        session.get(Claim, complete["id"]).checklist_complete_at = clock.now()  # payable

    steps = [
        seller.post(f"/api/v1/claims/{small['id']}/submit"),
        approve(handler, submitted["id"], "150.00"),
        upload(seller, approved["id"], "dispute_screenshot", png_bytes(21)),
        upload(handler, approved["id"], "carrier_loss_letter", png_bytes(22)),
    ]
    for answer in steps[:2]:
        assert answer.status_code == 409, answer.get_json()
        assert answer.get_json()["code"] == "coverage_voided"
    assert steps[2].status_code == 201  # evidence may still arrive
    assert steps[3].status_code == 409  # the last document would have paid it
    assert steps[3].get_json()["code"] == "coverage_voided"
    assert run(app, "advance-payouts", clock.now())["advanced"] == 0
    for claim, status in (
        (small, "draft"),
        (submitted, "submitted"),
        (approved, "approved"),
        (complete, "approved"),
    ):
        after = handler.get(f"/api/v1/claims/{claim['id']}").get_json()
        assert (after["status"], after["payout"]) == (status, None)
    assert "claim_payout" not in ledger_kinds(app)
    withdrawn = seller.post(f"/api/v1/claims/{submitted['id']}/withdraw", json={})
    assert withdrawn.status_code == 200  # ending a claim stays possible


INSURER_STEPS = {
    "insurer-filing": None,
    "insurer-acceptance": {"insurer_reference": "UW-1", "accepted_at": "2026-11-21T09:00:00Z"},
    "insurer-settlement": {
        "amount": {"amount": "10.00", "currency": "USD"},
        "paid_at": "2026-11-21T09:00:00Z",
    },
    "insurer-rejection": {"reason": "not covered"},
    "carrier-recovery": {
        "amount": {"amount": "10.00", "currency": "USD"},
        "paid_at": "2026-11-21T09:00:00Z",
    },
}


@pytest.mark.usefixtures("balanced_books")
def test_every_insurer_step_on_an_unpaid_claim_is_a_conflict(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    draft = file_claim(seller, bound(seller, "SBC-20")["id"])
    submitted = submitted_claim(seller, handler, clock, "SBC-21")
    approved = submitted_claim(seller, handler, clock, "SBC-22")
    assert approve(handler, approved["id"], "150.00").get_json()["payout"] is None
    for claim, status in ((draft, "draft"), (submitted, "submitted"), (approved, "approved")):
        for path, body in INSURER_STEPS.items():
            if path == "insurer-filing" and status == "approved":
                continue  # an approved claim may be filed before it is paid
            answer = handler.post(f"/api/v1/claims/{claim['id']}/{path}", json=body or {})
            assert answer.status_code == 409, (path, status, answer.get_json())
        after = handler.get(f"/api/v1/claims/{claim['id']}").get_json()
        assert (after["status"], after["insurer"]["accepted_at"]) == (status, None)
    assert ledger_kinds(app).count("claim_payout") == 0


@pytest.mark.usefixtures("balanced_books")
def test_no_one_approves_more_than_was_claimed(app, as_role, underwriter, clock):
    """A handler approved 1,000.00 on a small claim on a valuable parcel, within its four-eyes
    limit: refused, by the API and by the console's form; a supervisor is held to it too."""
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    supervisor = as_role(Role.SUPERVISOR)
    coverage = bound(seller, "SBC-30", declared_value={"amount": "2000.00", "currency": "USD"})
    claim = file_claim(seller, coverage["id"], amount="150.00")
    assert upload(seller, claim["id"], "value_proof", pdf_bytes()).status_code == 201
    assert upload(handler, claim["id"], "delivery_certificate", png_bytes(30)).status_code == 201
    clock.advance(days=20)
    assert seller.post(f"/api/v1/claims/{claim['id']}/submit").get_json()["status"] == "submitted"
    for client, amount in ((handler, "1000.00"), (handler, "150.01"), (supervisor, "1500.00")):
        refused = approve(client, claim["id"], amount)
        assert refused.status_code == 422, refused.get_json()
        assert refused.get_json()["code"] == "approval_above_claimed"
    add_staff(app, "handler@example.com", Role.HANDLER)
    console = app.test_client()
    assert log_in(console, "handler@example.com").status_code == 303
    token = csrf_of(console.get(f"/ops/claims/{claim['id']}").get_data(as_text=True))
    form = console.post(
        f"/ops/claims/{claim['id']}/approve", data={"csrf_token": token, "amount": "1000.00"}
    )
    assert form.status_code == 422
    assert "above the 150.00 USD claimed" in form.get_data(as_text=True)
    after = handler.get(f"/api/v1/claims/{claim['id']}").get_json()
    assert (after["status"], after["amount_approved"]) == ("submitted", None)
    approved = approve(handler, claim["id"], "150.00")
    assert approved.status_code == 200
    assert approved.get_json()["amount_approved"] == {"amount": "150.00", "currency": "USD"}


@pytest.mark.postgres_only
def test_a_carrier_letter_waits_for_the_claims_row_lock(committing_app, clock, backend):
    """A letter reaching a standing claim is a step on that claim: it takes the claim's row
    lock first. A withdrawal running at that moment finishes first, and the letter then finds
    no claim to hand itself to (it stays on the inquiry), instead of landing on the withdrawn
    claim from a stale read."""
    add_underwriter(committing_app)
    seller = KeyedClient(
        committing_app.test_client(),
        issue_key(committing_app, Role.SELLER, "S-1001"),
        Role.SELLER,
        "S-1001",
    )
    handler = KeyedClient(
        committing_app.test_client(), issue_key(committing_app, Role.HANDLER), Role.HANDLER, None
    )
    coverage = bound(seller, "SBC-40")
    sweep(committing_app, clock, 14)  # never scanned: an inquiry opens
    [inquiry] = [i for i in inquiries(handler) if i["coverage_id"] == coverage["id"]]
    claim = file_claim(seller, coverage["id"])
    database = committing_app.extensions["forwarder_insure"].database
    withdrawing = Caller(Role.SELLER, "api-key:withdrawing", seller_id="S-1001")

    with database.unit_of_work() as running:  # the seller's withdrawal, not yet committed
        claims_service.withdraw(running, withdrawing, claim["id"], clock.now(), "found it")
        with ThreadPoolExecutor(1) as pool:
            attaching = pool.submit(
                handler.post,
                f"/api/v1/inquiries/{inquiry['id']}/letters",
                data={"file": (io.BytesIO(pdf_bytes()), "letter.pdf")},
                content_type="multipart/form-data",
            )
            done, _ = wait([attaching], timeout=1.5)
            assert not done, "the letter did not wait for the claim's row lock"
            running.commit()
            assert attaching.result(timeout=10).status_code == 201
    after = handler.get(f"/api/v1/claims/{claim['id']}").get_json()
    assert after["status"] == "withdrawn"
    assert after["timeline"][-1]["event"] == "withdrawn"
    assert "carrier_loss_letter" not in {d["kind"] for d in after["documents"]}
    letters = handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()["letters"]
    assert len(letters) == 1  # kept with the inquiry for a later claim
