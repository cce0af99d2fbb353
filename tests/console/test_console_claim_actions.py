"""The claim page's forms: the same services as the API, their refusals shown on the page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from tests.api.test_claim_documents import (
    file_claim,
    four_eyes_claim,
    stored_files,
    submitted_claim,
)
from tests.api.test_payouts import balances, carrier_liable_claim, claim_of, paid_claim
from tests.console.conftest import add_staff, csrf_of, log_in
from tests.fixtures.insurance import bound, event, post_events
from tests.storage.test_local_store import png_bytes

pytestmark = pytest.mark.usefixtures("balanced_books")
DAY = timedelta(days=1)


def page_of(client: FlaskClient, claim_id: str) -> str:
    response = client.get(f"/ops/claims/{claim_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_form(client: FlaskClient, claim_id: str, path: str, **fields):
    """Post one of the claim page's forms as a browser would, with the page's CSRF token."""
    token = csrf_of(page_of(client, claim_id))
    return client.post(f"/ops/claims/{claim_id}/{path}", data={"csrf_token": token, **fields})


def alert_of(html: str) -> str:
    match = re.search(r'<div class="error" role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert match, "no error shown on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_a_handler_rejects_a_document_and_approves(as_role, underwriter, clock, handler_page):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "ACT-1")
    invoice = next(d for d in claim["documents"] if d["kind"] == "value_proof")

    html = page_of(handler_page, claim["id"])
    assert 'action="/ops/claims/{}/approve"'.format(claim["id"]) in html
    assert "At most 200.00 USD" in html  # the amount claimed, below the insured value
    assert "Above 1000.00 USD a supervisor must approve" in html

    rejected = post_form(
        handler_page, claim["id"], f"documents/{invoice['id']}/reject", reason="Unreadable scan"
    )
    assert rejected.status_code == 303
    assert rejected.headers["Location"] == f"/ops/claims/{claim['id']}"
    after = handler_page.get(rejected.headers["Location"]).get_data(as_text=True)
    assert "Document rejected" in after  # the flashed message
    assert "Unreadable scan" in after
    body = claim_of(handler, claim["id"])
    value_proof = next(c for c in body["checklist"] if c["kind"] == "value_proof")
    assert value_proof["status"] == "rejected"
    assert body["timeline"][-1]["actor"] == "staff:handler@example.com"

    approved = post_form(handler_page, claim["id"], "approve", amount="180.00", note="checked")
    assert approved.status_code == 303
    body = claim_of(seller, claim["id"])
    assert body["status"] == "approved"
    assert body["amount_approved"] == {"amount": "180.00", "currency": "USD"}
    assert "Approved 180.00 USD." in page_of(handler_page, claim["id"])


def test_a_refused_approval_shows_the_reason_keeps_the_amount_and_changes_nothing(
    as_role, underwriter, clock, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "ACT-2")
    too_much = post_form(handler_page, claim["id"], "approve", amount="250.01")
    assert too_much.status_code == 422
    html = too_much.get_data(as_text=True)
    assert "at most 250.00 USD can be approved" in alert_of(html)
    assert 'value="250.01"' in html  # what was typed is still there to correct
    not_a_number = post_form(handler_page, claim["id"], "approve", amount="12,50")
    assert not_a_number.status_code == 422
    assert "amount" in alert_of(not_a_number.get_data(as_text=True)).lower()
    blank = post_form(handler_page, claim["id"], "deny", reason="   ")
    assert blank.status_code == 422
    assert "reason" in alert_of(blank.get_data(as_text=True))
    body = claim_of(seller, claim["id"])
    assert body["status"] == "submitted"
    assert body["amount_approved"] is None


def test_above_the_four_eyes_limit_a_handler_is_refused_and_a_supervisor_approves(
    app, as_role, underwriter, clock, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = four_eyes_claim(seller, handler, clock, "ACT-3")

    refused = post_form(handler_page, claim["id"], "approve", amount="1500.00")
    assert refused.status_code == 403
    assert "needs a supervisor" in alert_of(refused.get_data(as_text=True))
    assert claim_of(seller, claim["id"])["status"] == "submitted"

    add_staff(app, "supervisor@example.com", Role.SUPERVISOR)
    supervisor = app.test_client()
    assert log_in(supervisor, "supervisor@example.com").status_code == 303
    approved = post_form(supervisor, claim["id"], "approve", amount="1500.00")
    assert approved.status_code == 303
    body = claim_of(handler, claim["id"])
    assert body["status"] == "approved"
    assert body["timeline"][-1]["actor"] == "staff:supervisor@example.com"


def test_request_documents_and_deny(as_role, underwriter, clock, handler_page):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "ACT-4")
    nothing = post_form(handler_page, claim["id"], "request-documents")
    assert nothing.status_code == 422
    asked = post_form(
        handler_page,
        claim["id"],
        "request-documents",
        kinds=["dispute_screenshot", "value_proof"],
        note="The refund request, please",
    )
    assert asked.status_code == 303
    body = claim_of(seller, claim["id"])
    assert body["status"] == "needs_info"
    assert "dispute_screenshot, value_proof" in body["timeline"][-1]["detail"]
    assert "Asked the seller for: dispute screenshot, value proof." in page_of(
        handler_page, claim["id"]
    )
    denied = post_form(handler_page, claim["id"], "deny", reason="Delivered to the buyer")
    assert denied.status_code == 303
    assert claim_of(seller, claim["id"])["status"] == "denied"
    # The page no longer offers a decision, and a stale form gets the service's refusal.
    html = page_of(handler_page, claim["id"])
    assert "/approve" not in html
    stale = post_form(handler_page, claim["id"], "approve", amount="10.00")
    assert stale.status_code == 409
    assert "denied" in alert_of(stale.get_data(as_text=True))


def test_insurer_filing_acceptance_and_settlement_in_the_staff_members_zone(
    app, as_role, underwriter, clock, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "ACT-5", amount="190.00")
    html = page_of(handler_page, claim["id"])
    assert "File with the underwriter" in html
    assert f"/ops/claims/{claim['id']}/evidence-pack" in html
    pack = handler_page.get(f"/ops/claims/{claim['id']}/evidence-pack", buffered=True)
    assert pack.status_code == 200
    assert pack.mimetype == "application/zip"
    pack.close()

    assert post_form(handler_page, claim["id"], "insurer-filing").status_code == 303
    assert claim_of(handler, claim["id"])["insurer"]["filed_at"] is not None

    future = post_form(
        handler_page,
        claim["id"],
        "insurer-acceptance",
        insurer_reference="UW-77",
        accepted_at="2099-01-01T10:00",
        tz="UTC",
    )
    assert future.status_code == 422
    assert 'value="UW-77"' in future.get_data(as_text=True)
    bad_zone = post_form(
        handler_page,
        claim["id"],
        "insurer-acceptance",
        insurer_reference="UW-77",
        accepted_at="2024-01-01T10:00",
        tz="Mars/Olympus",
    )
    assert bad_zone.status_code == 422
    assert "Unknown time zone" in alert_of(bad_zone.get_data(as_text=True))

    # Typed at 09:30 in New York on the staff member's screen: 14:30 UTC in winter.
    now = clock.now()
    day_before = now - DAY
    typed = day_before.replace(hour=9, minute=30).strftime("%Y-%m-%dT%H:%M")
    accepted = post_form(
        handler_page,
        claim["id"],
        "insurer-acceptance",
        insurer_reference="UW-77",
        accepted_at=typed,
        tz="America/New_York",
    )
    assert accepted.status_code == 303, accepted.get_data(as_text=True)
    insurer_state = claim_of(handler, claim["id"])["insurer"]
    assert insurer_state["reference"] == "UW-77"
    assert insurer_state["accepted_at"] == day_before.strftime("%Y-%m-%dT") + "14:30:00Z"
    assert insurer_state["settlement_due_at"] is not None

    settled = post_form(
        handler_page,
        claim["id"],
        "insurer-settlement",
        amount="190.00",
        paid_at=now.strftime("%Y-%m-%dT%H:%M"),
        tz="UTC",
    )
    assert settled.status_code == 303
    assert claim_of(handler, claim["id"])["status"] == "settled"
    assert balances(handler).get("claims_receivable_underwriter") is None  # nothing owed
    assert "Nothing to decide on a settled claim" in page_of(handler_page, claim["id"])


def test_the_claim_page_shows_the_tracking_history(as_role, underwriter, clock, handler_page):
    seller = as_role(Role.SELLER)
    coverage = bound(seller, "ACT-6")
    scan = event("act6-a", "ACT-6", format_instant(clock.now() + DAY), code="picked_up")
    moved = event("act6-b", "ACT-6", format_instant(clock.now() + 2 * DAY))
    post_events(
        as_role(Role.TRACKING),
        scan | {"description": "Picked up <Depot>", "location": "Reno, NV"},
        moved | {"description": "Left hub"},
    )
    claim = file_claim(seller, coverage["id"])
    html = page_of(handler_page, claim["id"])
    assert "Tracking history" in html
    assert "2 events" in html
    assert "Picked up &lt;Depot&gt;" in html  # carrier text is escaped
    assert "Reno, NV" in html
    assert html.index("Left hub") < html.index("Picked up")  # newest first


def test_a_seller_key_cannot_post_a_console_form(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "ACT-7")
    response = seller.post(f"/ops/claims/{claim['id']}/approve", data={"amount": "1.00"})
    assert response.status_code in (302, 400)  # no console session: CSRF or the login page
    assert claim_of(seller, claim["id"])["status"] == "submitted"


def test_a_nul_character_in_a_form_is_refused(as_role, underwriter, clock, handler_page):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "ACT-8")
    response = post_form(handler_page, claim["id"], "deny", reason="bad\x00reason")
    assert response.status_code == 400
    assert claim_of(seller, claim["id"])["status"] == "submitted"


def test_the_carrier_recovery_form_records_the_carriers_payment(
    as_role, underwriter, clock, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = carrier_liable_claim(seller, handler, clock, "ACT-9")
    assert post_form(handler_page, claim["id"], "approve", amount="180.00").status_code == 303
    html = page_of(handler_page, claim["id"])
    assert f"/ops/claims/{claim['id']}/carrier-recovery" in html
    assert "base cover: 100.00 USD" in html
    paid = post_form(
        handler_page,
        claim["id"],
        "carrier-recovery",
        amount="100.00",
        paid_at=clock.now().strftime("%Y-%m-%dT%H:%M"),
        tz="UTC",
    )
    assert paid.status_code == 303
    payout = claim_of(handler, claim["id"])["payout"]
    assert payout["carrier_paid"] == {"amount": "100.00", "currency": "USD"}
    assert "/carrier-recovery" not in page_of(handler_page, claim["id"])  # done: no form


def test_ops_attach_a_document_and_a_bad_file_is_refused_on_the_page(
    app, as_role, underwriter, handler_page
):
    seller = as_role(Role.SELLER)
    claim = file_claim(seller, bound(seller, "ACT-10")["id"])  # never scanned: no hand-over proof
    token = csrf_of(page_of(handler_page, claim["id"]))
    before = stored_files(app)

    def attach(data: bytes, name: str):
        return handler_page.post(
            f"/ops/claims/{claim['id']}/documents",
            data={
                "csrf_token": token,
                "kind": "delivery_certificate",
                "file": (io.BytesIO(data), name),
            },
            content_type="multipart/form-data",
        )

    refused = attach(b"\x7fELF\x02\x01\x01" + bytes(200), "handover.pdf")
    assert refused.status_code == 415
    assert alert_of(refused.get_data(as_text=True))  # the store's reason, shown
    assert stored_files(app) == before
    no_file = handler_page.post(
        f"/ops/claims/{claim['id']}/documents",
        data={"csrf_token": token, "kind": "delivery_certificate"},
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422
    assert "file" in alert_of(no_file.get_data(as_text=True))

    done = attach(png_bytes(1010), "handover.png")
    assert done.status_code == 303
    assert "Attached handover.png as delivery certificate (image/png)." in page_of(
        handler_page, claim["id"]
    )
    body = claim_of(seller, claim["id"])
    certificate = next(c for c in body["checklist"] if c["kind"] == "delivery_certificate")
    assert certificate["status"] == "received"
    [document] = [d for d in body["documents"] if d["kind"] == "delivery_certificate"]
    assert document["source"] == "upload"
    assert len(stored_files(app)) == len(before) + 1
