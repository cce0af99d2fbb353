"""Evidence beyond uploads: what we attach ourselves, rejection, downloads, the evidence pack, and
screening again when the evidence changes."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from pypdf import PdfReader

from forwarder_insure.domain.access import Role
from tests.api.test_claim_documents import file_claim, ready_claim, upload
from tests.api.test_sweep_and_inquiries import inquiries, sweep
from tests.fixtures.insurance import bound, event, post_events
from tests.storage.test_local_store import TINY_JPEG, pdf_bytes, png_bytes


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def document_of(claim: dict, kind: str) -> dict:
    [document] = [d for d in claim["documents"] if d["kind"] == kind and d["status"] == "received"]
    return document


def status_of(claim: dict, kind: str) -> str:
    return next(c["status"] for c in claim["checklist"] if c["kind"] == kind)


def test_a_scanned_parcel_brings_its_delivery_record_and_hand_over_proof(as_role, underwriter):
    seller, feed = as_role(Role.SELLER), as_role(Role.TRACKING)
    coverage = bound(seller, "EVD-1")
    post_events(
        feed,
        event("e1", "EVD-1", "2026-11-21T12:00:00Z", "picked_up") | {"location": "Reno NV"},
        event("e2", "EVD-1", "2026-11-22T08:30:00Z", "in_transit"),
    )
    claim = file_claim(seller, coverage["id"])
    assert status_of(claim, "delivery_record") == "received"
    assert status_of(claim, "delivery_certificate") == "received"
    assert {d["source"] for d in claim["documents"]} == {"system"}

    record = seller.get(
        f"/api/v1/claims/{claim['id']}/documents/{document_of(claim, 'delivery_record')['id']}"
    )
    assert record.status_code == 200
    assert record.mimetype == "application/pdf"
    assert record.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in record.headers["Content-Disposition"]
    text = pdf_text(record.data)
    assert all(fact in text for fact in ("EVD-1", "picked_up", "in_transit"))
    handover = seller.get(
        f"/api/v1/claims/{claim['id']}/documents/{document_of(claim, 'delivery_certificate')['id']}"
    )
    assert "Reno NV" in pdf_text(handover.data)
    assert (
        hashlib.sha256(handover.data).hexdigest()
        == document_of(claim, "delivery_certificate")["sha256"]
    )


def test_sellers_cannot_supply_our_records(as_role, underwriter):
    seller = as_role(Role.SELLER)
    claim = file_claim(seller, bound(seller, "EVD-2")["id"])
    refused = upload(seller, claim["id"], "delivery_certificate", pdf_bytes())
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "document_supplied_by_staff"


def test_the_carrier_letter_on_the_inquiry_reaches_the_claim(app, clock, as_role, underwriter):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    earlier = bound(seller, "EVD-3")
    later = bound(seller, "EVD-4")
    sweep(app, clock, 14)  # both parcels never scanned: two inquiries
    by_coverage = {i["coverage_id"]: i for i in inquiries(handler)}
    claim = file_claim(seller, earlier["id"])  # filed before the letter exists
    letter = pdf_bytes()

    refused = seller.post(
        f"/api/v1/inquiries/{by_coverage[earlier['id']]['id']}/letters",
        data={"file": (io.BytesIO(letter), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
    attached = handler.post(
        f"/api/v1/inquiries/{by_coverage[earlier['id']]['id']}/letters",
        data={"file": (io.BytesIO(letter), "carrier letter.pdf")},
        content_type="multipart/form-data",
    )
    assert attached.status_code == 201, attached.get_json()
    assert attached.get_json()["sha256"] == hashlib.sha256(letter).hexdigest()
    now = seller.get(f"/api/v1/claims/{claim['id']}").get_json()
    assert status_of(now, "carrier_loss_letter") == "received"
    assert document_of(now, "carrier_loss_letter")["source"] == "inquiry"
    inquiry = handler.get(f"/api/v1/inquiries/{by_coverage[earlier['id']]['id']}").get_json()
    assert [x["id"] for x in inquiry["letters"]] == [attached.get_json()["id"]]
    # The letter comes back as stored, to the parcel's seller and staff; another seller sees none.
    letter_id = attached.get_json()["id"]
    url = f"/api/v1/inquiries/{inquiry['id']}/letters/{letter_id}"
    for reader in (seller, handler):
        download = reader.get(url)
        assert download.status_code == 200
        assert download.get_data() == letter
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert as_role(Role.SELLER, "S-2002").get(url).status_code == 404
    other = (
        f"/api/v1/inquiries/{by_coverage[later['id']]['id']}/letters/{attached.get_json()['id']}"
    )
    assert handler.get(other).status_code == 404  # a letter of another inquiry

    # A letter attached first is handed to the claim filed afterwards.
    second_letter = pdf_bytes()
    handler.post(
        f"/api/v1/inquiries/{by_coverage[later['id']]['id']}/letters",
        data={"file": (io.BytesIO(second_letter), "letter.pdf")},
        content_type="multipart/form-data",
    )
    filed_later = file_claim(seller, later["id"])
    assert status_of(filed_later, "carrier_loss_letter") == "received"
    assert document_of(filed_later, "carrier_loss_letter")["sha256"] == (
        hashlib.sha256(second_letter).hexdigest()
    )


def test_a_carrier_letter_that_is_not_a_document_is_refused(app, clock, as_role, underwriter):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    bound(seller, "EVD-5")
    sweep(app, clock, 14)
    [inquiry] = inquiries(handler)
    refused = handler.post(
        f"/api/v1/inquiries/{inquiry['id']}/letters",
        data={"file": (io.BytesIO(b"MZ\x90\x00" + bytes(100)), "letter.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 415
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()["letters"] == []


def test_a_rejected_document_reopens_its_checklist_item(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = ready_claim(seller, handler, "EVD-6")
    invoice = document_of(seller.get(f"/api/v1/claims/{claim['id']}").get_json(), "value_proof")
    url = f"/api/v1/claims/{claim['id']}/documents/{invoice['id']}/reject"

    assert seller.post(url, json={"reason": "mine is fine"}).status_code == 403
    assert handler.post(url, json={}).status_code == 422
    rejected = handler.post(url, json={"reason": "Invoice is for another order"})
    assert rejected.status_code == 200, rejected.get_json()
    body = rejected.get_json()
    assert status_of(body, "value_proof") == "rejected"
    [document] = [d for d in body["documents"] if d["id"] == invoice["id"]]
    assert document["rejection_reason"] == "Invoice is for another order"
    assert body["timeline"][-1]["event"] == "document_rejected"
    assert handler.post(url, json={"reason": "again"}).status_code == 409

    refused = seller.post(f"/api/v1/claims/{claim['id']}/submit")
    assert refused.status_code == 409
    assert refused.get_json()["missing"] == ["value_proof"]
    assert upload(seller, claim["id"], "value_proof", pdf_bytes()).status_code == 201
    clock.advance(days=20)
    assert seller.post(f"/api/v1/claims/{claim['id']}/submit").status_code == 200


def test_documents_are_downloaded_only_within_the_tenant(as_role, underwriter):
    mine, theirs = as_role(Role.SELLER, "S-1001"), as_role(Role.SELLER, "S-2002")
    claim = file_claim(mine, bound(mine, "EVD-7")["id"])
    sent = upload(mine, claim["id"], "value_proof", TINY_JPEG, name="receipt.jpg").get_json()
    other = file_claim(theirs, bound(theirs, "EVD-8")["id"])
    url = f"/api/v1/claims/{claim['id']}/documents/{sent['id']}"

    got = mine.get(url)
    assert (got.status_code, got.mimetype, got.data) == (200, "image/jpeg", TINY_JPEG)
    assert theirs.get(url).status_code == 404
    assert mine.get(f"/api/v1/claims/{other['id']}/documents/{sent['id']}").status_code == 404
    assert theirs.get(f"/api/v1/claims/{other['id']}/documents/{sent['id']}").status_code == 404
    assert mine.get(f"/api/v1/claims/{claim['id']}/documents/doc_nothing").status_code == 404
    assert as_role(Role.HANDLER).get(url).data == TINY_JPEG


def test_the_evidence_pack_holds_the_cover_sheet_and_received_files(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = ready_claim(seller, handler, "EVD-9")
    photo = png_bytes(7)
    extra = upload(seller, claim["id"], "dispute_screenshot", photo).get_json()
    handler.post(
        f"/api/v1/claims/{claim['id']}/documents/{extra['id']}/reject", json={"reason": "blurred"}
    )
    response = handler.get(f"/api/v1/claims/{claim['id']}/evidence-pack")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as pack:
        names = pack.namelist()
        manifest = json.loads(pack.read("manifest.json"))
        assert names[0] == "00-cover-sheet.pdf"
        assert claim["id"] in pdf_text(pack.read("00-cover-sheet.pdf"))
        listed = {d["archive_name"]: d for d in manifest["documents"]}
        assert set(listed) == set(names) - {"00-cover-sheet.pdf", "manifest.json"}
        assert {d["kind"] for d in listed.values()} == {
            "delivery_record",
            "value_proof",
            "delivery_certificate",
        }
        for name, entry in listed.items():
            assert hashlib.sha256(pack.read(name)).hexdigest() == entry["sha256"]
    assert (
        as_role(Role.SELLER, "S-2002")
        .get(f"/api/v1/claims/{claim['id']}/evidence-pack")
        .status_code
        == 404
    )


def test_evidence_arriving_after_submission_is_screened_again(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    screenshot = png_bytes(42)
    first = ready_claim(seller, handler, "EVD-10")
    assert upload(seller, first["id"], "dispute_screenshot", screenshot).status_code == 201
    second = ready_claim(seller, handler, "EVD-11")
    clock.advance(days=20)
    seller.post(f"/api/v1/claims/{second['id']}/submit")
    submitted = handler.get(f"/api/v1/claims/{second['id']}").get_json()
    assert submitted["risk"]["flags"] == []

    upload(seller, second["id"], "dispute_screenshot", screenshot)  # the first claim's file
    after = handler.get(f"/api/v1/claims/{second['id']}").get_json()
    assert [f["code"] for f in after["risk"]["flags"]] == ["evidence_reused"]
    assert after["timeline"][-1]["event"] == "rescreened"
    assert first["id"] in after["risk"]["flags"][0]["detail"]
