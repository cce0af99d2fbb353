"""The console's inquiry pages: the live queue, the carrier's answer, the carrier's loss letter."""

from __future__ import annotations

import io
import re

import pytest

from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from tests.api.test_claim_documents import stored_files
from tests.api.test_sweep_and_inquiries import DAY, inquiries, sweep
from tests.console.conftest import add_staff, csrf_of, log_in
from tests.fixtures.insurance import bound, event, post_events
from tests.storage.test_local_store import pdf_bytes


def row_of(html: str, inquiry_id: str) -> str | None:
    """The queue's table row of one inquiry, or None when it is not listed."""
    match = re.search(rf'<tr data-inquiry-id="{inquiry_id}">(.*?)</tr>', html, re.S)
    return match.group(1) if match else None


def opened_inquiry(app, clock, seller, handler, tracking_number: str) -> dict:
    """One bound parcel, never scanned, with the inquiry the sweep opened on it."""
    coverage = bound(seller, tracking_number)
    sweep(app, clock, 14)
    [inquiry] = [i for i in inquiries(handler) if i["coverage_id"] == coverage["id"]]
    return inquiry


def respond(page, inquiry_id: str, **fields: str):
    token = csrf_of(page.get(f"/ops/inquiries/{inquiry_id}").get_data(as_text=True))
    return page.post(
        f"/ops/inquiries/{inquiry_id}/carrier-response", data={"csrf_token": token, **fields}
    )


def attach(page, inquiry_id: str, data: bytes, name: str = "carrier letter.pdf", **extra):
    token = csrf_of(page.get(f"/ops/inquiries/{inquiry_id}").get_data(as_text=True))
    return page.post(
        f"/ops/inquiries/{inquiry_id}/letters",
        data={"csrf_token": token, "file": (io.BytesIO(data), name, "application/pdf")} | extra,
        content_type="multipart/form-data",
    )


def test_the_queue_lists_live_inquiries_longest_silence_first_and_hides_closed_ones(
    app, clock, as_role, underwriter, handler_page
):
    seller, other = as_role(Role.SELLER), as_role(Role.SELLER, "S-2002")
    handler, feed = as_role(Role.HANDLER), as_role(Role.TRACKING)
    never = bound(seller, "INQ-1")
    scanned = bound(seller, "INQ-2")
    found = bound(seller, "INQ-3")
    elsewhere = bound(other, "INQ-4")
    post_events(feed, event("q1", "INQ-2", format_instant(clock.now() + 5 * DAY)))
    sweep(app, clock, 20)  # all four silent past their 14 days
    by_coverage = {i["coverage_id"]: i["id"] for i in inquiries(handler)}
    answered = handler.post(
        f"/api/v1/inquiries/{by_coverage[found['id']]}/carrier-response",
        json={"outcome": "found"},
    )
    assert answered.get_json()["status"] == "resolved"
    clock.advance(days=22)

    html = handler_page.get("/ops/inquiries").get_data(as_text=True)
    never_row = row_of(html, by_coverage[never["id"]])
    scanned_row = row_of(html, by_coverage[scanned["id"]])
    assert never_row
    assert scanned_row
    assert row_of(html, by_coverage[elsewhere["id"]])
    assert row_of(html, by_coverage[found["id"]]) is None  # resolved: off the queue
    # Never scanned: silent since binding, 22 days ago; scanned on day 5: 17 days.
    assert 'data-days-silent="22"' in never_row
    assert "Never scanned" in never_row
    assert 'data-days-silent="17"' in scanned_row
    assert html.index(never_row) < html.index(scanned_row)
    assert "INQ-1" in never_row
    assert never["id"] in never_row
    assert "usps" in never_row
    assert "S-1001" in never_row
    loss_window = format_instant(clock.now() + 23 * DAY)  # 45 days from binding
    assert f'datetime="{loss_window}"' in never_row

    theirs = handler_page.get("/ops/inquiries?seller_id=S-2002").get_data(as_text=True)
    assert row_of(theirs, by_coverage[elsewhere["id"]])
    assert row_of(theirs, by_coverage[never["id"]]) is None
    closed = handler_page.get("/ops/inquiries?status=resolved").get_data(as_text=True)
    assert "Only live inquiries are listed" in closed
    assert row_of(closed, by_coverage[found["id"]]) is None

    sweep(app, clock, 24)  # day 46: the never-scanned parcels are presumed lost
    lost = handler_page.get("/ops/inquiries?status=presumed_lost").get_data(as_text=True)
    assert row_of(lost, by_coverage[never["id"]])
    assert row_of(lost, by_coverage[scanned["id"]]) is None
    assert "Presumed lost" in row_of(lost, by_coverage[never["id"]])


@pytest.mark.parametrize("role", [Role.SELLER, Role.WAREHOUSE, Role.TRACKING])
def test_api_keys_do_not_open_the_inquiry_pages(app, clock, as_role, underwriter, role):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    inquiry = opened_inquiry(app, clock, seller, handler, "INQ-5")
    client = as_role(role)
    if role is not Role.SELLER:  # the API refuses these roles; a seller reads its own there
        assert client.get("/api/v1/inquiries").status_code == 403
    for path in ("/ops/inquiries", f"/ops/inquiries/{inquiry['id']}"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/ops/login")


def test_supervisors_and_admins_read_the_queue_too(app):
    for role in (Role.SUPERVISOR, Role.ADMIN):
        add_staff(app, f"{role.value}@example.com", role)
        client = app.test_client()
        log_in(client, f"{role.value}@example.com")
        page = client.get("/ops/inquiries")
        assert page.status_code == 200
        assert 'aria-current="page">Inquiries</a>' in page.get_data(as_text=True)


def test_confirmed_lost_closes_the_inquiry_and_marks_the_parcel_presumed_lost(
    app, clock, as_role, underwriter, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    inquiry = opened_inquiry(app, clock, seller, handler, "INQ-6")
    response = respond(
        handler_page,
        inquiry["id"],
        outcome="confirmed_lost",
        carrier_reference="USPS-CASE-9",
        note="Lost at the Chicago hub",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/ops/inquiries/{inquiry['id']}"
    html = handler_page.get(response.headers["Location"]).get_data(as_text=True)
    assert "Recorded the carrier&#39;s answer (confirmed lost); the inquiry is closed." in html
    assert "USPS-CASE-9" in html
    after = handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()
    assert (after["status"], after["resolution"]) == ("closed", "confirmed_lost")
    assert after["carrier_reference"] == "USPS-CASE-9"
    coverage = seller.get(f"/api/v1/coverages/{inquiry['coverage_id']}").get_json()
    assert coverage["package"]["status"] == "presumed_lost"
    assert row_of(handler_page.get("/ops/inquiries").get_data(as_text=True), inquiry["id"]) is None

    again = respond(handler_page, inquiry["id"], outcome="found", note="Turned up after all")
    assert again.status_code == 409
    assert "the inquiry is already closed" in again.get_data(as_text=True)
    unchanged = handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()
    assert unchanged == after


def test_found_resolves_and_no_answer_only_notes(app, clock, as_role, underwriter, handler_page):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    chased = opened_inquiry(app, clock, seller, handler, "INQ-7")
    noting = respond(handler_page, chased["id"], outcome="no_answer", note="Chased twice")
    assert noting.status_code == 303
    noted = handler.get(f"/api/v1/inquiries/{chased['id']}").get_json()
    assert (noted["status"], noted["note"]) == ("open", "Chased twice")

    assert respond(handler_page, chased["id"], outcome="found").status_code == 303
    found = handler.get(f"/api/v1/inquiries/{chased['id']}").get_json()
    assert (found["status"], found["resolution"]) == ("resolved", "found")
    assert found["note"] == "Chased twice"  # a blank note leaves the last one


def test_a_response_without_an_outcome_shows_the_reason_and_keeps_what_was_typed(
    app, clock, as_role, underwriter, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    inquiry = opened_inquiry(app, clock, seller, handler, "INQ-8")
    refused = respond(handler_page, inquiry["id"], carrier_reference="CASE-77", note="")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "outcome: Missing data for required field." in html
    assert 'value="CASE-77"' in html
    odd = respond(handler_page, inquiry["id"], outcome="maybe")
    assert odd.status_code == 422
    assert "outcome: Must be one of" in odd.get_data(as_text=True)
    after = handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()
    assert (after["status"], after["carrier_reference"]) == ("open", None)


def test_a_post_without_the_csrf_token_changes_nothing(
    app, clock, as_role, underwriter, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    inquiry = opened_inquiry(app, clock, seller, handler, "INQ-9")
    before = stored_files(app)
    response = handler_page.post(
        f"/ops/inquiries/{inquiry['id']}/carrier-response", data={"outcome": "found"}
    )
    assert response.status_code == 400
    letter = handler_page.post(
        f"/ops/inquiries/{inquiry['id']}/letters",
        data={"file": (io.BytesIO(pdf_bytes()), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert letter.status_code == 400
    after = handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()
    assert (after["status"], after["letters"]) == ("open", [])
    assert stored_files(app) == before


def test_the_carriers_letter_is_stored_and_listed(app, clock, as_role, underwriter, handler_page):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    inquiry = opened_inquiry(app, clock, seller, handler, "INQ-10")
    before = stored_files(app)
    data = pdf_bytes()
    response = attach(handler_page, inquiry["id"], data)
    assert response.status_code == 303
    html = handler_page.get(response.headers["Location"]).get_data(as_text=True)
    assert "Attached the carrier&#39;s letter carrier letter.pdf (application/pdf)." in html
    assert "carrier letter.pdf (application/pdf" in html
    assert "staff:handler@example.com" in html
    [letter] = handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()["letters"]
    assert letter["filename"] == "carrier letter.pdf"
    assert len(stored_files(app)) == len(before) + 1
    queue = handler_page.get("/ops/inquiries").get_data(as_text=True)
    assert "carrier letter.pdf" in row_of(queue, inquiry["id"])
    href = f"/ops/inquiries/{inquiry['id']}/letters/{letter['id']}"
    assert href in html
    viewed = handler_page.get(f"{href}?inline=1", buffered=True)
    assert viewed.status_code == 200
    assert viewed.headers["Content-Disposition"].startswith("inline")
    assert viewed.get_data() == data
    assert viewed.mimetype == "application/pdf"
    viewed.close()


def test_a_file_that_is_not_a_letter_shows_the_reason_and_stores_nothing(
    app, clock, as_role, underwriter, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    inquiry = opened_inquiry(app, clock, seller, handler, "INQ-11")
    before = stored_files(app)
    executable = attach(handler_page, inquiry["id"], b"MZ\x90\x00" + bytes(200), "letter.pdf")
    assert executable.status_code == 415
    assert "only PDF, PNG, JPEG, WebP and HEIC documents are accepted" in executable.get_data(
        as_text=True
    )
    empty = attach(handler_page, inquiry["id"], b"")
    assert empty.status_code == 422
    assert "the document is empty" in empty.get_data(as_text=True)
    token = csrf_of(handler_page.get(f"/ops/inquiries/{inquiry['id']}").get_data(as_text=True))
    missing = handler_page.post(
        f"/ops/inquiries/{inquiry['id']}/letters",
        data={"csrf_token": token},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422
    assert "file: Missing data for required field." in missing.get_data(as_text=True)
    assert stored_files(app) == before
    assert handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()["letters"] == []


class TestWithASmallUploadLimit:
    """A small limit keeps the tests light; the mechanism is the same at 20 MiB."""

    LIMIT = 4096

    @pytest.fixture
    def settings(self, settings):
        return settings.with_overrides(max_upload_bytes=self.LIMIT)

    def test_a_letter_over_the_limit_is_refused_on_the_page(
        self, app, clock, as_role, underwriter, handler_page
    ):
        seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
        inquiry = opened_inquiry(app, clock, seller, handler, "INQ-12")
        before = stored_files(app)
        over = attach(handler_page, inquiry["id"], pdf_bytes() + bytes(self.LIMIT))
        assert over.status_code == 413
        assert f"larger than the limit of {self.LIMIT} bytes" in over.get_data(as_text=True)
        # Beyond the request ceiling (the limit plus 1 MiB of framing) the body is not even read.
        huge = handler_page.post(
            f"/ops/inquiries/{inquiry['id']}/letters",
            data=bytes(self.LIMIT + 1024 * 1024 + 1),
            content_type="multipart/form-data; boundary=letter",
        )
        assert huge.status_code == 413
        assert huge.mimetype == "text/html"
        assert "The file is too large: the limit is 4,096 bytes." in huge.get_data(as_text=True)
        assert stored_files(app) == before
        assert handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()["letters"] == []
