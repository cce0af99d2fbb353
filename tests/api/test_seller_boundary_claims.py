"""The seller boundary on claims: what a seller key reads, and what no step may do on a voided
coverage or above what was claimed. Each test replays an attack from the security review."""

from __future__ import annotations

from forwarder_insure.domain.access import Role
from forwarder_insure.services.credentials import key_prefix
from tests.api.test_claim_documents import ready_claim, upload
from tests.console.conftest import add_staff, csrf_of, log_in
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
