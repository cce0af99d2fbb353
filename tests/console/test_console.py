"""The ops console: staff login, CSRF, the claims queue and the read-only claim page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from blueprints.console.base import PAGE_SIZE, QueuePage
from forwarder_insure.db.models import Claim, StaffUser
from forwarder_insure.domain.access import Role
from forwarder_insure.services.credentials import LOCKOUT_AFTER, LOCKOUT_FOR
from forwarder_insure.services.pagination import numbered
from tests.api.test_claim_documents import file_claim, submitted_claim, upload
from tests.console.conftest import add_staff, csrf_of, log_in
from tests.fixtures.insurance import bound
from tests.storage.test_local_store import pdf_bytes, png_bytes


def test_a_wrong_password_or_unknown_user_gets_the_same_generic_error(app):
    add_staff(app, "handler@example.com", Role.HANDLER)
    client = app.test_client()
    wrong = log_in(client, "handler@example.com", "not the password")
    unknown = log_in(client, "nobody@example.com", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "e-mail address or password is wrong" in response.get_data(as_text=True)
    assert wrong.get_data() == unknown.get_data()  # nothing tells the two apart
    assert client.get("/ops/claims").status_code == 302


def test_repeated_failures_lock_the_login_for_a_while(app, clock):
    add_staff(app, "handler@example.com", Role.HANDLER)
    client = app.test_client()
    for _ in range(LOCKOUT_AFTER - 1):
        assert log_in(client, "handler@example.com", "guess").status_code == 401
    assert log_in(client, "handler@example.com").status_code == 303  # a success clears the count
    for _ in range(LOCKOUT_AFTER):
        assert log_in(app.test_client(), "handler@example.com", "guess").status_code == 401
    probe = app.test_client()
    locked = log_in(probe, "handler@example.com")
    assert locked.status_code == 401  # the right password, but locked
    assert "locked" in locked.get_data(as_text=True)
    unknown = log_in(probe, "nobody@example.com", "guess")
    assert unknown.get_data() == locked.get_data()  # nothing tells a lock from a wrong address
    clock.advance(seconds=LOCKOUT_FOR.total_seconds() - 1)
    assert log_in(app.test_client(), "handler@example.com").status_code == 401
    clock.advance(seconds=1)
    assert log_in(app.test_client(), "handler@example.com").status_code == 303
    runtime = app.extensions["forwarder_insure"]
    with runtime.database.unit_of_work() as session:
        user = session.scalars(select(StaffUser)).one()
        assert (user.failed_logins, user.locked_until) == (0, None)


def test_an_api_key_does_not_open_the_console(as_role):
    seller = as_role(Role.SELLER)
    response = seller.get("/ops/claims")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/ops/login")


def test_the_session_cookie_is_httponly_and_samesite_lax(app):
    add_staff(app, "handler@example.com", Role.HANDLER)
    response = log_in(app.test_client(), "handler@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_queue_lists_filters_and_marks_overdue_claims(
    as_role, underwriter, clock, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    draft = file_claim(seller, bound(seller, "OPS-1")["id"])
    late = submitted_claim(seller, handler, clock, "OPS-2")
    upload(seller, late["id"], "dispute_screenshot", png_bytes(2001))
    upload(handler, late["id"], "carrier_loss_letter", png_bytes(2002))
    clock.advance(hours=49)  # past the 48 h decision SLA

    page = handler_page.get("/ops/claims").get_data(as_text=True)
    assert draft["id"] in page
    assert late["id"] in page
    assert 'data-status="draft"' in page
    late_row = re.search(
        rf'<tr class="([^"]*)" data-claim-id="{late["id"]}">(.*?)</tr>', page, re.S
    )
    assert late_row
    assert "overdue" in late_row.group(1)
    assert "Overdue: decision" in late_row.group(2)
    draft_row = re.search(rf'<tr class="([^"]*)" data-claim-id="{draft["id"]}">', page)
    assert draft_row
    assert "overdue" not in draft_row.group(1)

    drafts = handler_page.get("/ops/claims?status=draft&sort=amount").get_data(as_text=True)
    assert draft["id"] in drafts
    assert late["id"] not in drafts
    overdue = handler_page.get("/ops/claims?overdue=decision").get_data(as_text=True)
    assert late["id"] in overdue
    assert draft["id"] not in overdue
    lost = handler_page.get("/ops/claims?kind=damaged").get_data(as_text=True)
    assert draft["id"] not in lost
    other_seller = handler_page.get("/ops/claims?seller_id=S-9999").get_data(as_text=True)
    assert "No claims match" in other_seller


def test_the_queue_filters_by_risk_flag(as_role, underwriter, clock, handler_page):
    seller = as_role(Role.SELLER)
    early = file_claim(seller, bound(seller, "OPS-3")["id"])
    clean = file_claim(seller, bound(seller, "OPS-4")["id"])
    upload(seller, early["id"], "value_proof", pdf_bytes())
    # Flags are set at submission; set one directly to keep this test to the filter itself.
    runtime = handler_page.application.extensions["forwarder_insure"]
    with runtime.database.unit_of_work() as session:
        session.get(Claim, early["id"]).risk_flags = [
            {"code": "evidence_reused", "detail": 'said "code": "bound_after_inquiry"', "weight": 1}
        ]
    flagged = handler_page.get("/ops/claims?flag=evidence_reused").get_data(as_text=True)
    assert early["id"] in flagged
    assert clean["id"] not in flagged
    escaped = handler_page.get("/ops/claims?flag=bound_after_inquiry").get_data(as_text=True)
    assert early["id"] not in escaped
    odd = handler_page.get("/ops/claims?flag=evidence%25").get_data(as_text=True)
    assert "Ignored an unknown flag" in odd


def test_the_claim_page_shows_checklist_documents_and_timeline(as_role, underwriter, handler_page):
    seller = as_role(Role.SELLER)
    claim = file_claim(seller, bound(seller, "OPS-5")["id"])
    invoice = pdf_bytes()
    document = upload(seller, claim["id"], "value_proof", invoice, name="invoice.pdf")
    document_id = document.get_json()["id"]
    page = handler_page.get(f"/ops/claims/{claim['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Checklist" in html
    assert "Value proof" in html
    assert "invoice.pdf" in html
    assert "Timeline" in html
    assert "Filed" in html
    assert f'datetime="{claim["created_at"]}"' in html
    assert f"/ops/claims/{claim['id']}/documents/{document_id}?inline=1" in html
    assert "<iframe" in html

    base = f"/ops/claims/{claim['id']}/documents/{document_id}"
    inline = handler_page.get(f"{base}?inline=1", buffered=True)
    download = handler_page.get(base, buffered=True)
    try:
        assert inline.status_code == 200
        assert inline.headers["Content-Disposition"].startswith("inline")
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert inline.get_data() == invoice
    finally:
        inline.close()
        download.close()
    missing = handler_page.get("/ops/claims/clm_nope")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["Content-Type"]


def test_a_post_without_the_csrf_token_is_refused(app, handler_page):
    refused = handler_page.post("/ops/logout")
    assert refused.status_code == 400
    assert refused.mimetype == "text/plain"
    wrong = handler_page.post("/ops/logout", data={"csrf_token": "forged"})
    assert wrong.status_code == 400
    assert handler_page.get("/ops/claims").status_code == 200  # still logged in
    login = app.test_client().post("/ops/login", data={"email": "a@b.c", "password": "x"})
    assert login.status_code == 400


def test_logout_clears_the_session(handler_page):
    token = csrf_of(handler_page.get("/ops/claims").get_data(as_text=True))
    response = handler_page.post("/ops/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert handler_page.get("/ops/claims").status_code == 302
    assert handler_page.get_cookie("session") is None


def test_a_disabled_user_is_logged_out_at_the_next_request(app, clock, handler_page):
    runtime = app.extensions["forwarder_insure"]
    with runtime.database.unit_of_work() as session:
        user = session.scalars(select(StaffUser)).one()
        user.disabled_at = clock.now() - timedelta(seconds=1)
    assert handler_page.get("/ops/claims").status_code == 302


def test_a_queue_page_reads_its_number_and_links_its_neighbours(app):
    def url_of(number):
        return f"/q?page={number}" if number else "/q"

    for query_string, expected in (("", 1), ("page=3", 3), ("page=0", 1), ("page=x", 1)):
        with app.test_request_context(f"/ops/claims?{query_string}"):
            assert QueuePage.requested().number == expected
    first, second, third = QueuePage(1), QueuePage(2), QueuePage(3)
    assert first.links(False, url_of) == {"prev_url": None, "next_url": None}
    assert first.links(True, url_of) == {"prev_url": None, "next_url": "/q?page=2"}
    assert second.links(False, url_of) == {"prev_url": "/q", "next_url": None}
    assert third.links(True, url_of)["prev_url"] == "/q?page=2"
    query = numbered(select(Claim.id), third.number, PAGE_SIZE)
    sql = str(query.compile(compile_kwargs={"literal_binds": True}))
    assert f"LIMIT {PAGE_SIZE + 1} OFFSET {2 * PAGE_SIZE}" in sql
