"""The ops console in a real browser: a handler logs in with the keyboard, finds a claim in the
queue, rejects a document and approves; above the four-eyes limit the handler is refused on the
page and a supervisor approves. Times show in the browser's zone, UTC on hover, no page
scrolls sideways at 1280 px, and every field has a label.

Runs on one backend only (see conftest). ``FI_TEST_UPDATE_SCREENSHOTS=1`` also copies the main
screenshots to ``docs/screenshots/``.
"""

from __future__ import annotations

import re

import pytest

from forwarder_insure.domain.access import Role
from tests.api.test_claim_documents import file_claim, four_eyes_claim, submitted_claim, upload
from tests.browser.conftest import publish_screenshot
from tests.console.conftest import PASSWORD, add_staff
from tests.fixtures.app import KeyedClient, issue_key
from tests.fixtures.insurance import add_underwriter, bound
from tests.storage.test_local_store import pdf_bytes


@pytest.fixture
def api(committing_app):
    """API clients of the served app: ``api(Role.SELLER)``."""
    add_underwriter(committing_app)

    def make(role: Role) -> KeyedClient:
        seller = "S-1001" if role is Role.SELLER else None
        key = issue_key(committing_app, role, seller)
        return KeyedClient(committing_app.test_client(), key, role, seller)

    return make


def log_in_with_the_keyboard(page, live_server, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/ops/claims")
    expect(page).to_have_url(re.compile(r"/ops/login\?next="))
    page.get_by_label("E-mail").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/ops/claims")


def assert_fits_and_is_labelled(page) -> None:
    """No sideways scrolling at 1280 px, and every form field has a label a screen reader reads."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the 1280px window"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
            .filter((field) => field.type !== "hidden")
            .filter((field) => !field.labels.length && !field.getAttribute("aria-label"))
            .map((field) => field.name || field.id)"""
    )
    assert not unlabelled, f"fields without a label: {unlabelled}"


def claim_status(api, claim_id: str) -> dict:
    return api(Role.HANDLER).get(f"/api/v1/claims/{claim_id}").get_json()


def test_a_handler_rejects_a_document_and_approves(
    page, live_server, committing_app, clock, api, artifacts, pytestconfig
):
    from playwright.sync_api import expect

    seller, handler = api(Role.SELLER), api(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "WEB-1")
    other = file_claim(seller, bound(seller, "WEB-2")["id"], amount="75.00")
    upload(seller, other["id"], "value_proof", pdf_bytes())
    add_staff(committing_app, "handler@example.com", Role.HANDLER)

    log_in_with_the_keyboard(page, live_server, "handler@example.com")
    queue = page.locator("table.queue tbody tr")
    expect(queue).to_have_count(2)
    expect(page.get_by_role("link", name=claim["id"])).to_be_visible()
    # The claim's filing time in New York (the browser's zone), UTC on hover.
    filed = page.locator("tr", has=page.get_by_role("link", name=claim["id"])).locator("time")
    expect(filed.first).to_have_text(re.compile(r"(EST|EDT)$"))
    expect(filed.first).to_have_attribute("title", re.compile(r"UTC$"))
    assert_fits_and_is_labelled(page)
    page.screenshot(path=artifacts / "ops-claims-queue.png", full_page=True)

    page.get_by_role("link", name=claim["id"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(claim["id"])
    expect(page.get_by_role("heading", name="Checklist")).to_be_visible()
    assert_fits_and_is_labelled(page)
    page.screenshot(path=artifacts / "ops-claim.png", full_page=True)
    invoice_row = page.locator("tr", has_text="Value proof")
    with page.expect_response(lambda r: "inline=1" in r.url) as preview:
        invoice_row.get_by_text("Preview the PDF").click()
    assert preview.value.status == 200
    assert preview.value.headers["content-type"] == "application/pdf"

    invoice_row.get_by_text("Reject this document").click()
    invoice_row.get_by_label("Reason the seller will read").fill("The invoice is unreadable")
    invoice_row.get_by_role("button", name=re.compile("^Reject")).click()
    expect(page.get_by_role("status").filter(has_text="Document rejected")).to_be_visible()
    expect(invoice_row.locator(".state")).to_have_text("Rejected")
    expect(invoice_row).to_contain_text("The invoice is unreadable")
    value_proof = next(
        c for c in claim_status(api, claim["id"])["checklist"] if c["kind"] == "value_proof"
    )
    assert value_proof["status"] == "rejected"

    approve = page.locator("form#approve")
    expect(approve.get_by_label("Amount (USD)")).to_have_value("200.00")  # the claimed amount
    approve.get_by_label("Amount (USD)").fill("999.00")
    approve.get_by_role("button", name="Approve").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("at most 250.00 USD can be approved")
    expect(page.locator("form#approve").get_by_label("Amount (USD)")).to_have_value("999.00")
    assert claim_status(api, claim["id"])["status"] == "submitted"

    page.locator("form#approve").get_by_label("Amount (USD)").fill("180.00")
    page.locator("form#approve").get_by_label("Note to the seller").fill("Checked the label scan")
    page.locator("form#approve").get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Approved 180.00 USD.")).to_be_visible()
    expect(page.locator("h1 .status")).to_have_text("Approved")
    body = claim_status(api, claim["id"])
    assert body["status"] == "approved"
    assert body["amount_approved"] == {"amount": "180.00", "currency": "USD"}
    assert body["timeline"][-1]["actor"] == "staff:handler@example.com"
    page.screenshot(path=artifacts / "ops-claim-approved.png", full_page=True)

    publish_screenshot(pytestconfig, artifacts, "ops-claims-queue.png")
    publish_screenshot(pytestconfig, artifacts, "ops-claim.png")


def test_a_supervisor_approves_what_a_handler_may_not(
    page, chromium, live_server, committing_app, clock, api, artifacts
):
    from playwright.sync_api import expect

    seller, handler = api(Role.SELLER), api(Role.HANDLER)
    claim = four_eyes_claim(seller, handler, clock, "WEB-3")
    add_staff(committing_app, "handler@example.com", Role.HANDLER)
    add_staff(committing_app, "supervisor@example.com", Role.SUPERVISOR)

    log_in_with_the_keyboard(page, live_server, "handler@example.com")
    page.goto(f"{live_server.url}/ops/claims/{claim['id']}")
    form = page.locator("form#approve")
    expect(form).to_contain_text("Above 1000.00 USD a supervisor must approve")
    form.get_by_label("Amount (USD)").fill("1500.00")
    form.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text("needs a supervisor")
    assert claim_status(api, claim["id"])["status"] == "submitted"
    page.screenshot(path=artifacts / "ops-four-eyes-refused.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/ops/login$"))
    log_in_with_the_keyboard(page, live_server, "supervisor@example.com")
    page.goto(f"{live_server.url}/ops/claims/{claim['id']}")
    form = page.locator("form#approve")
    form.get_by_label("Amount (USD)").fill("1500.00")
    form.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Approved 1500.00 USD.")).to_be_visible()
    body = claim_status(api, claim["id"])
    assert body["status"] == "approved"
    assert body["timeline"][-1]["actor"] == "staff:supervisor@example.com"


def test_an_acceptance_typed_in_new_york_time_is_recorded_in_utc(
    page, live_server, committing_app, clock, api
):
    from playwright.sync_api import expect

    from tests.api.test_payouts import paid_claim

    seller, handler = api(Role.SELLER), api(Role.HANDLER)
    claim = paid_claim(seller, handler, clock, "WEB-4", amount="190.00")
    add_staff(committing_app, "handler@example.com", Role.HANDLER)
    log_in_with_the_keyboard(page, live_server, "handler@example.com")
    page.goto(f"{live_server.url}/ops/claims/{claim['id']}")
    form = page.locator("form#insurer_accept")
    expect(form.get_by_text("(America/New_York)")).to_be_visible()
    assert_fits_and_is_labelled(page)
    day = clock.now().strftime("%Y-%m-%d")
    form.get_by_label("Underwriter's claim reference").fill("UW-NY-1")
    form.get_by_label(re.compile("^Accepted at")).fill(f"{day}T04:15")
    form.get_by_role("button", name="Record acceptance").click()
    expect(page.get_by_role("status").filter(has_text="Acceptance recorded")).to_be_visible()
    accepted = claim_status(api, claim["id"])["insurer"]["accepted_at"]
    assert accepted == f"{day}T09:15:00Z"  # 04:15 EST is 09:15 UTC


def test_an_inquiry_is_answered_and_its_letter_attached_then_money_shows_the_advance(
    page, live_server, committing_app, clock, api, artifacts, pytestconfig, tmp_path
):
    from playwright.sync_api import expect

    from tests.api.test_payouts import paid_claim
    from tests.api.test_sweep_and_inquiries import sweep

    seller, handler = api(Role.SELLER), api(Role.HANDLER)
    silent = bound(seller, "WEB-5")
    bound(seller, "WEB-6")
    sweep(committing_app, clock, 20)
    paid = paid_claim(seller, handler, clock, "WEB-7", amount="190.00")
    add_staff(committing_app, "handler@example.com", Role.HANDLER)
    log_in_with_the_keyboard(page, live_server, "handler@example.com")

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Inquiries").click()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)
    assert_fits_and_is_labelled(page)
    page.screenshot(path=artifacts / "ops-inquiries.png", full_page=True)

    row = page.locator("tr", has_text=silent["id"])
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inquiry")
    assert_fits_and_is_labelled(page)
    letter = tmp_path / "carrier-letter.pdf"
    letter.write_bytes(pdf_bytes())
    page.get_by_label(re.compile("^Letter")).set_input_files(str(letter))
    page.get_by_role("button", name="Attach the letter").click()
    expect(page.get_by_role("status").filter(has_text="Attached the carrier")).to_be_visible()

    # The carrier's answer with the keyboard alone: choose, move on, type, submit.
    page.get_by_label("Confirmed lost").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Confirmed lost")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Carrier reference (case number)")).to_be_focused()
    page.keyboard.type("USPS-CASE-991")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Note")).to_be_focused()
    page.keyboard.type("Written confirmation by e-mail")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Record the answer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Confirmed lost")).to_be_visible()
    body = handler.get(f"/api/v1/coverages/{silent['id']}").get_json()
    assert body["package"]["status"] == "presumed_lost"

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Money").click()
    expect(page.get_by_role("link", name=paid["id"])).to_be_visible()
    expect(page.locator("body")).to_contain_text("190.00 USD")
    assert_fits_and_is_labelled(page)
    page.screenshot(path=artifacts / "ops-money.png", full_page=True)
    publish_screenshot(pytestconfig, artifacts, "ops-money.png")
