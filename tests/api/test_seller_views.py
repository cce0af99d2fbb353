"""What a seller key reads beyond the claim JSON: the evidence pack and the inquiries. Each test
replays an attack from the security review: a seller learning other sellers' claim ids through
screening, or staff identities and internal notes through what it may download or read."""

from __future__ import annotations

import io
import json
import zipfile

from forwarder_insure.domain.access import Role
from forwarder_insure.services.credentials import key_prefix
from tests.api.test_claim_documents import file_claim, ready_claim, upload
from tests.api.test_claim_evidence import pdf_text
from tests.api.test_payouts import DAY, paid_claim, run
from tests.api.test_sweep_and_inquiries import sweep
from tests.console.conftest import add_staff, csrf_of, log_in
from tests.fixtures.insurance import bound, event, post_events
from tests.storage.test_local_store import pdf_bytes, png_bytes


def flat(text: str) -> str:
    """Text with every space and line break removed, so a value wrapped in a PDF cell is still
    found whole."""
    return "".join(text.split())


def unpacked(response) -> tuple[str, str, dict]:
    """The pack's cover sheet text (flattened), its manifest as text and as JSON."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    with zipfile.ZipFile(io.BytesIO(response.data)) as pack:
        cover = flat(pdf_text(pack.read("00-cover-sheet.pdf")))
        manifest = pack.read("manifest.json").decode("utf-8")
    return cover, manifest, json.loads(manifest)


def console_request_documents(app, claim_id: str) -> None:
    """A handler logged in to the console asks for the carrier's letter: the timeline then
    names the handler by e-mail."""
    add_staff(app, "handler@example.com", Role.HANDLER)
    console = app.test_client()
    assert log_in(console, "handler@example.com").status_code == 303
    token = csrf_of(console.get(f"/ops/claims/{claim_id}").get_data(as_text=True))
    asked = console.post(
        f"/ops/claims/{claim_id}/request-documents",
        data={"csrf_token": token, "kinds": "carrier_loss_letter", "note": "letter please"},
    )
    assert asked.status_code == 303


def test_a_sellers_evidence_pack_names_no_other_claim_and_no_staff(
    app, as_role, underwriter, clock
):
    """A ring's second account reuses the first one's invoice: its own evidence pack shows no
    screening (whose flag names the first account's claim), and staff only as ``ops``, on the
    timeline and as uploader; the pack staff send the insurer still says everything."""
    first_seller, ring = as_role(Role.SELLER, "S-1001"), as_role(Role.SELLER, "S-2002")
    handler = as_role(Role.HANDLER)
    invoice = pdf_bytes()
    theirs = ready_claim(first_seller, handler, "SVP-1", invoice=invoice)
    mine = ready_claim(ring, handler, "SVP-2", invoice=invoice)  # ops upload the hand-over proof
    clock.advance(days=20)
    assert ring.post(f"/api/v1/claims/{mine['id']}/submit").status_code == 200
    assert upload(ring, mine["id"], "dispute_screenshot", png_bytes(5)).status_code == 201
    console_request_documents(app, mine["id"])
    staff_claim = handler.get(f"/api/v1/claims/{mine['id']}").get_json()
    assert [f["code"] for f in staff_claim["risk"]["flags"]] == ["evidence_reused"]
    assert theirs["id"] in staff_claim["risk"]["flags"][0]["detail"]

    cover, manifest, listed = unpacked(ring.get(f"/api/v1/claims/{mine['id']}/evidence-pack"))
    handler_prefix = key_prefix(handler.key)
    for leak in (theirs["id"], "evidence_reused", handler_prefix, "handler@example.com"):
        assert leak not in cover, leak
        assert leak not in manifest, leak
    assert "Screening" not in cover
    assert "flagged" not in cover
    assert "rescreened" not in cover
    assert "byops" in cover  # the hand-over proof ops uploaded
    assert f"api-key:{key_prefix(ring.key)}" in cover  # the seller's own key stays as it is
    assert mine["id"] in cover
    kinds = {d["kind"] for d in listed["documents"]}
    assert {"value_proof", "delivery_certificate", "dispute_screenshot"} <= kinds

    staff_cover, _, _ = unpacked(handler.get(f"/api/v1/claims/{mine['id']}/evidence-pack"))
    for fact in (theirs["id"], "evidence_reused", handler_prefix, "handler@example.com"):
        assert fact in staff_cover, fact


def test_a_seller_reads_its_inquiries_without_ops_internal_notes(app, as_role, underwriter, clock):
    """Ops note what they learnt chasing the carrier (who they spoke to, what they suspect):
    staff read the note, the parcel's seller reads the inquiry with ``"note": null``, in the
    list and alone, and never the staff member who wrote it."""
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    coverage = bound(seller, "SVI-1")
    sweep(app, clock, 14)  # never scanned: an inquiry
    [inquiry] = [
        i
        for i in handler.get("/api/v1/inquiries?seller_id=S-1001").get_json()["items"]
        if i["coverage_id"] == coverage["id"]
    ]
    note = "Spoke to Wang at the depot; suspect the seller shipped an empty box"
    add_staff(app, "handler@example.com", Role.HANDLER)
    console = app.test_client()
    assert log_in(console, "handler@example.com").status_code == 303
    token = csrf_of(console.get(f"/ops/inquiries/{inquiry['id']}").get_data(as_text=True))
    answered = console.post(
        f"/ops/inquiries/{inquiry['id']}/carrier-response",
        data={"csrf_token": token, "outcome": "no_answer", "note": note},
    )
    assert answered.status_code == 303
    staff_view = handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()
    assert staff_view["note"] == note

    one = seller.get(f"/api/v1/inquiries/{inquiry['id']}")
    listed = seller.get("/api/v1/inquiries")
    assert one.status_code == 200
    assert listed.status_code == 200
    [mine] = [i for i in listed.get_json()["items"] if i["id"] == inquiry["id"]]
    for body in (one.get_json(), mine):
        assert body["note"] is None
        assert set(body) == set(staff_view)  # the same shape, the note emptied
        assert {k: v for k, v in body.items() if k != "note"} == {
            k: v for k, v in staff_view.items() if k != "note"
        }
    for answer in (one, listed):
        text = answer.get_data(as_text=True)
        assert "Wang" not in text
        assert "handler@example.com" not in text
        assert key_prefix(handler.key) not in text
    staff_list = handler.get("/api/v1/inquiries?seller_id=S-1001").get_json()["items"]
    assert [i["note"] for i in staff_list if i["id"] == inquiry["id"]] == [note]


def test_ops_note_closing_a_recovery_stays_with_staff(app, as_role, underwriter, clock):
    """A paid lost parcel turned up and ops closed the recovery task with a note on how they
    settled it with the buyer: staff read the note on the claim's timeline, the seller reads
    that the recovery was closed, not the note, in the claim and in its evidence pack."""
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "SVR-1")
    post_events(as_role(Role.TRACKING), event("d1", "SVR-1", "2026-12-12T08:00:00Z", "delivered"))
    assert run(app, "advance-payouts", clock.now() + DAY)["recovery_tasks"] == 1
    [task] = handler.get("/api/v1/recovery-tasks?status=open").get_json()["items"]
    note = "Seller disputes; offset against invoice INV-77 per finance, do not escalate"
    closed = handler.post(f"/api/v1/recovery-tasks/{task['id']}/close", json={"note": note})
    assert closed.status_code == 200

    staff_line = handler.get(f"/api/v1/claims/{claim['id']}").get_json()["timeline"][-1]
    assert (staff_line["event"], staff_line["detail"]) == ("recovery_closed", note)
    answer = seller.get(f"/api/v1/claims/{claim['id']}")
    line = answer.get_json()["timeline"][-1]
    assert (line["event"], line["actor"], line["detail"]) == ("recovery_closed", "ops", None)
    assert "INV-77" not in answer.get_data(as_text=True)
    cover, _, _ = unpacked(seller.get(f"/api/v1/claims/{claim['id']}/evidence-pack"))
    assert "recovery_closed" in cover
    assert "INV-77" not in cover


def test_nothing_a_seller_reads_names_the_staff_who_worked_its_parcel(
    app, as_role, underwriter, clock
):
    """Staff work a silent parcel end to end (the inquiry's answer and letter, the hand-over
    proof, a request for documents from the console); every answer and file the seller may
    read about that parcel names neither the staff member's e-mail nor a staff key."""
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    coverage = bound(seller, "SVA-1")
    sweep(app, clock, 14)
    [inquiry] = [
        i
        for i in handler.get("/api/v1/inquiries?seller_id=S-1001").get_json()["items"]
        if i["coverage_id"] == coverage["id"]
    ]
    letter = handler.post(
        f"/api/v1/inquiries/{inquiry['id']}/letters",
        data={"file": (io.BytesIO(pdf_bytes()), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert letter.status_code == 201
    claim = file_claim(seller, coverage["id"])
    assert upload(seller, claim["id"], "value_proof", png_bytes(31)).status_code == 201
    assert upload(handler, claim["id"], "delivery_certificate", png_bytes(32)).status_code == 201
    clock.advance(days=20)
    assert seller.post(f"/api/v1/claims/{claim['id']}/submit").status_code == 200
    console_request_documents(app, claim["id"])

    reads = {
        "coverages": seller.get("/api/v1/coverages"),
        "coverage": seller.get(f"/api/v1/coverages/{coverage['id']}"),
        "certificate": seller.get(f"/api/v1/coverages/{coverage['id']}/certificate.pdf"),
        "inquiries": seller.get("/api/v1/inquiries"),
        "inquiry": seller.get(f"/api/v1/inquiries/{inquiry['id']}"),
        "claims": seller.get("/api/v1/claims"),
        "claim": seller.get(f"/api/v1/claims/{claim['id']}"),
        "me": seller.get("/api/v1/me"),
        "seller": seller.get("/api/v1/sellers/S-1001"),
    }
    documents = reads["claim"].get_json()["documents"]
    assert {d["kind"] for d in documents} >= {"delivery_record", "carrier_loss_letter"}
    for document in documents:
        url = f"/api/v1/claims/{claim['id']}/documents/{document['id']}"
        reads[f"document {document['kind']}"] = seller.get(url)
    reads["letter"] = seller.get(
        f"/api/v1/inquiries/{inquiry['id']}/letters/{letter.get_json()['id']}"
    )
    texts = {}
    for name, answer in reads.items():
        assert answer.status_code == 200, name
        if answer.mimetype == "application/pdf":
            texts[name] = flat(pdf_text(answer.data))
        elif answer.mimetype.startswith("image/"):
            continue  # the bytes uploaded, nothing of ours
        else:
            texts[name] = answer.get_data(as_text=True)
    cover, manifest, _ = unpacked(seller.get(f"/api/v1/claims/{claim['id']}/evidence-pack"))
    texts |= {"pack cover sheet": cover, "pack manifest": manifest}
    for name, text in texts.items():
        for staff in ("handler@example.com", key_prefix(handler.key), "usr_"):
            assert staff not in text, (name, staff)
