"""The inquiry queue: silent parcels we asked the carrier about, and the carrier's answers."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from werkzeug.datastructures import FileStorage

from blueprints.api_blueprint import ApiBlueprint
from blueprints.claims import DocumentFileSchema, staff_reading
from blueprints.downloads import StoredFile, send_document
from blueprints.fields import Instant
from blueprints.pagination import PageArgsSchema, answer
from blueprints.request_scope import (
    db_session,
    discard_unless_committed,
    key_holder,
    request_now,
    runtime,
)
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.permissions import Action
from forwarder_insure.domain.tracking import InquiryStatus
from forwarder_insure.services import claim_evidence, inquiries
from forwarder_insure.services.sellers import SELLER_ID_PATTERN

blp = ApiBlueprint("inquiries", __name__, description="Carrier inquiries on silent parcels")


class LetterSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    filename = ma.fields.String(required=True)
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    sha256 = ma.fields.String(required=True)
    uploaded_at = Instant(required=True)


class InquirySchema(ma.Schema):
    """An inquiry as the API answers it. Staff read every field; the parcel's seller reads the
    allow-list of :class:`SellerInquirySchema` (same shape, ``note`` null), chosen by
    :meth:`dump` from the request's caller."""

    id = ma.fields.String(required=True)
    coverage_id = ma.fields.String(required=True)
    seller_id = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf([s.value for s in InquiryStatus])
    )
    opened_at = Instant(required=True)
    last_event_at = Instant(allow_none=True, required=True)
    loss_window_ends_at = Instant(required=True)
    presumed_lost_at = Instant(allow_none=True, required=True)
    closed_at = Instant(allow_none=True, required=True)
    resolution = ma.fields.String(allow_none=True, required=True)
    carrier_reference = ma.fields.String(allow_none=True, required=True)
    note = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "Ops' internal note on the carrier's answers, for staff: always null "
            "when a seller reads it"
        },
    )
    letters = ma.fields.List(ma.fields.Nested(LetterSchema), required=True)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if staff_reading():
            return super().dump(obj, many=many)
        return SellerInquirySchema(many=self.many).dump(obj, many=many)


class SellerInquirySchema(ma.Schema):
    """An inquiry as the parcel's seller reads it, built from this allow-list (never by removing
    fields from the staff view): ops' note is internal, so ``note`` is always null. A field
    added to :class:`InquirySchema` reaches sellers only once it is added here too."""

    id = ma.fields.String()
    coverage_id = ma.fields.String()
    seller_id = ma.fields.String()
    status = ma.fields.String()
    opened_at = Instant()
    last_event_at = Instant(allow_none=True)
    loss_window_ends_at = Instant()
    presumed_lost_at = Instant(allow_none=True)
    closed_at = Instant(allow_none=True)
    resolution = ma.fields.String(allow_none=True)
    carrier_reference = ma.fields.String(allow_none=True)
    note = ma.fields.Constant(None)
    letters = ma.fields.List(ma.fields.Nested(LetterSchema))


class InquiryPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(InquirySchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


class InquiryQueryArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in InquiryStatus]))
    seller_id = ma.fields.String(validate=ma.validate.Regexp(SELLER_ID_PATTERN.pattern))


class CarrierResponseSchema(ma.Schema):
    outcome = ma.fields.String(
        required=True, validate=ma.validate.OneOf(inquiries.CARRIER_OUTCOMES)
    )
    carrier_reference = ma.fields.String(load_default=None, validate=ma.validate.Length(max=100))
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))


def attach_letter(caller: Caller, inquiry_id: str, upload: FileStorage) -> StoredFile:
    """Store the carrier's letter on the inquiry (and the parcel's claim), removing the file
    again if the request does not commit; the API and the console both attach through here."""
    return claim_evidence.attach_loss_letter(
        db_session(),
        runtime().documents,
        caller,
        inquiry_id,
        stream=upload.stream,
        declared_name=upload.filename,
        rules=runtime().claim_rules,
        now=request_now(),
        on_failure=discard_unless_committed,
    )


@blp.route("/inquiries")
class Inquiries(MethodView):
    @blp.requires(Action.READ_INQUIRY)
    @blp.arguments(InquiryQueryArgsSchema, location="query")
    @blp.response(200, InquiryPageSchema)
    def get(self, args: dict[str, Any]):
        """The queue, filterable by status and seller; a seller sees its own parcels only."""
        return answer(
            inquiries.list_page(
                db_session(),
                key_holder().caller,
                status=args.get("status"),
                seller_id=args.get("seller_id"),
                after=args["cursor"],
                limit=args["limit"],
            )
        )


@blp.route("/inquiries/<string:inquiry_id>")
class InquiryById(MethodView):
    @blp.requires(Action.READ_INQUIRY)
    @blp.response(200, InquirySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, inquiry_id: str):
        """One inquiry."""
        return inquiries.get_inquiry(db_session(), key_holder().caller, inquiry_id)


@blp.route("/inquiries/<string:inquiry_id>/carrier-response")
class InquiryCarrierResponse(MethodView):
    @blp.requires(Action.ANSWER_INQUIRY)
    @blp.arguments(CarrierResponseSchema)
    @blp.response(200, InquirySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], inquiry_id: str):
        """Record the carrier's answer: found (resolves), confirmed_lost (parcel lost, the seller
        is invited to claim) or no_answer."""
        return inquiries.record_carrier_response(
            db_session(),
            key_holder().caller,
            inquiry_id,
            outcome=data["outcome"],
            carrier_reference=data["carrier_reference"],
            note=data["note"],
            now=request_now(),
        )


@blp.route("/inquiries/<string:inquiry_id>/letters")
class InquiryLetters(MethodView):
    @blp.requires(Action.ATTACH_LETTER)
    @blp.arguments(DocumentFileSchema, location="files")
    @blp.response(201, LetterSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def post(self, files: dict[str, Any], inquiry_id: str):
        """Attach the carrier's loss or damage letter (multipart ``file``).

        The parcel's claim receives it as its ``carrier_loss_letter``, now or when it is filed.
        """
        return attach_letter(key_holder().caller, inquiry_id, files["file"])


@blp.route("/inquiries/<string:inquiry_id>/letters/<string:letter_id>")
class InquiryLetter(MethodView):
    @blp.requires(Action.READ_INQUIRY)
    @blp.response(200, description="The letter's bytes, as the content type sniffed at upload")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, inquiry_id: str, letter_id: str):
        """Download a carrier's letter (a seller: on its own parcels only)."""
        letter = inquiries.get_letter(db_session(), key_holder().caller, inquiry_id, letter_id)
        return send_document(letter)
