"""The console's inquiry pages: the queue of live carrier inquiries, one inquiry, and what staff
record on it (the carrier's answer, the carrier's loss letter).

The forms call the services exactly as the API's ``/inquiries/{id}/carrier-response`` and
``/inquiries/{id}/letters`` do, read with the API's own schemas.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, render_template, request, url_for

from blueprints.claims import DocumentFileSchema
from blueprints.console.base import (
    PAGE_SIZE,
    QueuePage,
    blp,
    form_fields,
    load_form,
    perform,
    requires,
    staff_caller,
)
from blueprints.downloads import send_document
from blueprints.inquiries import CarrierResponseSchema, attach_letter
from blueprints.request_scope import db_session, request_now
from forwarder_insure.domain.permissions import Action
from forwarder_insure.domain.tracking import LIVE_INQUIRY_STATUSES
from forwarder_insure.services import inquiries, inquiry_queue
from forwarder_insure.services.sellers import SELLER_ID_PATTERN

# -- inquiry queue ---------------------------------------------------------------------------


def _queue_filters() -> tuple[dict[str, str], list[str]]:
    """Status (a live one) and seller from the query string; unknown values are dropped."""
    filters = {
        "status": request.args.get("status", ""),
        "seller_id": request.args.get("seller_id", "").strip(),
    }
    notes = []
    if filters["status"] and filters["status"] not in LIVE_INQUIRY_STATUSES:
        notes.append(f"Only live inquiries are listed; ignored the status {filters['status']!r}.")
        filters["status"] = ""
    if filters["seller_id"] and not SELLER_ID_PATTERN.fullmatch(filters["seller_id"]):
        notes.append(f"Ignored an unknown seller id: {filters['seller_id']!r}.")
        filters["seller_id"] = ""
    return filters, notes


@blp.get("/inquiries")
@requires(Action.READ_INQUIRY)
def inquiries_queue() -> Any:
    """Open and presumed-lost inquiries, the longest-silent parcel first."""
    filters, notes = _queue_filters()
    page = QueuePage.requested()
    rows, more = inquiry_queue.live_page(
        db_session(),
        staff_caller(),
        status=filters["status"] or None,
        seller_id=filters["seller_id"] or None,
        number=page.number,
        size=PAGE_SIZE,
        now=request_now(),
    )
    active = {k: v for k, v in filters.items() if v}

    def queue_url(number: int | None) -> str:
        query = urlencode(active | ({"page": number} if number else {}))
        return url_for("console.inquiries_queue") + (f"?{query}" if query else "")

    return render_template(
        "console/inquiries.html",
        rows=rows,
        filters=filters,
        notes=notes,
        statuses=LIVE_INQUIRY_STATUSES,
        page=page.number,
        **page.links(more, queue_url),
    )


# -- one inquiry and its forms ---------------------------------------------------------------


def _inquiry_page(
    inquiry_id: str,
    *,
    response_error: str | None = None,
    letter_error: str | None = None,
    typed: dict[str, str] | None = None,
) -> str:
    """The inquiry page; after a refused form, with its reason and what was typed in it."""
    view = inquiry_queue.inquiry_view(db_session(), staff_caller(), inquiry_id)
    return render_template(
        "console/inquiry.html",
        inquiry=view.inquiry,
        coverage=view.coverage,
        claims=view.claims,
        silent_since=view.silent_since,
        live=view.inquiry.status in LIVE_INQUIRY_STATUSES,
        outcomes=inquiries.CARRIER_OUTCOMES,
        response_error=response_error,
        letter_error=letter_error,
        typed=typed or {},
    )


@blp.get("/inquiries/<string:inquiry_id>")
@requires(Action.READ_INQUIRY)
def inquiry_page(inquiry_id: str) -> Any:
    """One inquiry: the parcel, the carrier's answers so far, letters, and the two forms."""
    return _inquiry_page(inquiry_id)


@blp.post("/inquiries/<string:inquiry_id>/carrier-response")
@requires(Action.ANSWER_INQUIRY)
def inquiry_carrier_response(inquiry_id: str) -> Any:
    """Record the carrier's answer, as the API's ``/inquiries/{id}/carrier-response``."""
    typed = form_fields(*CarrierResponseSchema().fields)

    def record() -> str:
        data = load_form(CarrierResponseSchema, typed)
        inquiry = inquiries.record_carrier_response(
            db_session(),
            staff_caller(),
            inquiry_id,
            outcome=data["outcome"],
            carrier_reference=data["carrier_reference"],
            note=data["note"],
            now=request_now(),
        )
        return (
            f"Recorded the carrier's answer ({data['outcome'].replace('_', ' ')}); "
            f"the inquiry is {inquiry.status.replace('_', ' ')}."
        )

    return perform(
        record,
        done=url_for("console.inquiry_page", inquiry_id=inquiry_id),
        redisplay=lambda reason: _inquiry_page(inquiry_id, response_error=reason, typed=typed),
    )


@blp.post("/inquiries/<string:inquiry_id>/letters")
@requires(Action.ATTACH_LETTER)
def inquiry_letter(inquiry_id: str) -> Any:
    """Attach the carrier's loss letter, as the API's ``/inquiries/{id}/letters``; a refused
    file (not a document, empty, too large) leaves nothing stored."""

    def attach() -> str:
        upload = load_form(DocumentFileSchema, request.files.to_dict())["file"]
        letter = attach_letter(staff_caller(), inquiry_id, upload)
        return f"Attached the carrier's letter {letter.filename} ({letter.content_type})."

    return perform(
        attach,
        done=url_for("console.inquiry_page", inquiry_id=inquiry_id),
        redisplay=lambda reason: _inquiry_page(inquiry_id, letter_error=reason),
    )


@blp.get("/inquiries/<string:inquiry_id>/letters/<string:letter_id>")
@requires(Action.READ_INQUIRY)
def inquiry_letter_file(inquiry_id: str, letter_id: str) -> Response:
    """A letter as a download, or with ``?inline=1`` to view it in the browser."""
    letter = inquiries.get_letter(db_session(), staff_caller(), inquiry_id, letter_id)
    return send_document(letter, inline=request.args.get("inline") == "1")
