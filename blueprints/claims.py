"""Claims: file, read, list, and (so far) withdraw. Submission, review and documents follow."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import g
from flask.views import MethodView
from flask_smorest.fields import Upload
from sqlalchemy.orm import selectinload

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import Instant, MoneySchema
from blueprints.pagination import PageArgsSchema, page
from blueprints.request_scope import (
    after_this_request_ends,
    db_session,
    key_holder,
    request_now,
    runtime,
)
from forwarder_insure.db.models import Claim
from forwarder_insure.domain.access import Role, at_least
from forwarder_insure.domain.claims import ClaimKind, ClaimStatus, DocumentKind, Stage
from forwarder_insure.services import claim_documents, claims
from forwarder_insure.services.sellers import SELLER_ID_PATTERN

blp = ApiBlueprint("claims", __name__, description="Claims on lost or damaged parcels")

ACTORS = (Role.SELLER, at_least(Role.HANDLER))


class ClaimCreateSchema(ma.Schema):
    coverage_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in ClaimKind]))
    amount_claimed = ma.fields.Nested(MoneySchema, required=True)
    description = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000))
    invoice_amount = ma.fields.Nested(
        MoneySchema,
        load_default=None,
        metadata={"description": "The invoice total of the goods (compared by screening)"},
    )


class ReasonSchema(ma.Schema):
    reason = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))


class ChecklistEntrySchema(ma.Schema):
    kind = ma.fields.String(
        required=True, validate=ma.validate.OneOf([k.value for k in DocumentKind])
    )
    required = ma.fields.Boolean(required=True)
    stage = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in Stage]))
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["missing", "received", "rejected"])
    )
    document_ids = ma.fields.List(ma.fields.String(), required=True)


class FlagSchema(ma.Schema):
    code = ma.fields.String(required=True)
    detail = ma.fields.String(required=True)


class RiskSchema(ma.Schema):
    score = ma.fields.Integer(required=True)
    flags = ma.fields.List(ma.fields.Nested(FlagSchema), required=True)


class TimelineEntrySchema(ma.Schema):
    at = Instant(required=True)
    actor = ma.fields.String(required=True)
    event = ma.fields.String(required=True)
    detail = ma.fields.String(allow_none=True, required=True)


class ClaimSchema(ma.Schema):
    id = ma.fields.String(required=True)
    coverage_id = ma.fields.String(required=True)
    seller_id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf([s.value for s in ClaimStatus])
    )
    amount_claimed = ma.fields.Nested(MoneySchema, required=True)
    amount_approved = ma.fields.Nested(MoneySchema, allow_none=True, required=True)
    description = ma.fields.String(allow_none=True, required=True)
    checklist = ma.fields.List(ma.fields.Nested(ChecklistEntrySchema), required=True)
    grace_deadline = Instant(allow_none=True, required=True)
    risk = ma.fields.Nested(RiskSchema, required=True)
    payout = ma.fields.Dict(allow_none=True, required=True)
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema), required=True)
    created_at = Instant(required=True)

    @ma.pre_dump
    def view(self, claim: Claim, **kwargs: Any) -> _ClaimView:
        return _ClaimView(claim)


class _ClaimView:
    """The claim row as the API shows it: checklist and risk computed, payout (later) grouped."""

    def __init__(self, claim: Claim):
        self._claim = claim

    def __getattr__(self, name: str) -> Any:
        return getattr(self._claim, name)

    @property
    def checklist(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": e.kind.value,
                "required": e.required,
                "stage": e.stage.value,
                "status": e.status,
                "document_ids": list(e.document_ids),
            }
            for e in claims.checklist(self._claim)
        ]

    @property
    def risk(self) -> dict[str, Any]:
        flags = [{"code": f["code"], "detail": f["detail"]} for f in self._claim.risk_flags]
        return {"score": self._claim.risk_score, "flags": flags}

    @property
    def payout(self) -> None:
        return None


class ClaimPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ClaimSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


class ClaimQueryArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in ClaimStatus]))
    seller_id = ma.fields.String(validate=ma.validate.Regexp(SELLER_ID_PATTERN.pattern))


@blp.route("/claims")
class Claims(MethodView):
    @blp.requires(*ACTORS)
    @blp.idempotent
    @blp.arguments(ClaimCreateSchema)
    @blp.response(201, ClaimSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]):
        """File a claim (a draft) on a coverage; one claim in progress per coverage."""
        return claims.file_claim(
            db_session(),
            key_holder().caller,
            coverage_id=data["coverage_id"],
            kind=ClaimKind(data["kind"]),
            amount=data["amount_claimed"],
            description=data["description"],
            now=request_now(),
            invoice_amount=data["invoice_amount"],
        )

    @blp.requires(*ACTORS)
    @blp.arguments(ClaimQueryArgsSchema, location="query")
    @blp.response(200, ClaimPageSchema)
    def get(self, args: dict[str, Any]):
        """Claims, newest first; a seller sees its own."""
        query = claims.list_query(
            key_holder().caller, status=args.get("status"), seller_id=args.get("seller_id")
        ).options(selectinload(Claim.documents), selectinload(Claim.timeline))
        return page(db_session(), query, Claim.id, args["cursor"], args["limit"])


@blp.route("/claims/<string:claim_id>")
class ClaimById(MethodView):
    @blp.requires(*ACTORS)
    @blp.response(200, ClaimSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, claim_id: str):
        """A claim with its checklist, risk and timeline."""
        return claims.get_claim(db_session(), key_holder().caller, claim_id)


@blp.route("/claims/<string:claim_id>/withdraw")
class ClaimWithdraw(MethodView):
    @blp.requires(*ACTORS)
    @blp.arguments(ReasonSchema)
    @blp.response(200, ClaimSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], claim_id: str):
        """Withdraw a claim that has not been paid."""
        return claims.withdraw(
            db_session(), key_holder().caller, claim_id, request_now(), data["reason"]
        )


class DocumentFormSchema(ma.Schema):
    kind = ma.fields.String(
        required=True, validate=ma.validate.OneOf([k.value for k in DocumentKind])
    )


class DocumentFileSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "PDF, PNG, JPEG, WebP or HEIC"})


class DocumentSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    filename = ma.fields.String(required=True)
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    sha256 = ma.fields.String(required=True)
    uploaded_at = Instant(required=True)


def _delete_if_request_fails(cleanup) -> None:
    """Remove a stored file again when the request that stored it does not commit."""
    after_this_request_ends(lambda: None if g.get("request_committed") else cleanup())


@blp.route("/claims/<string:claim_id>/documents")
class ClaimDocuments(MethodView):
    @blp.requires(*ACTORS)
    @blp.arguments(DocumentFormSchema, location="form")
    @blp.arguments(DocumentFileSchema, location="files")
    @blp.response(201, DocumentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def post(self, form: dict[str, Any], files: dict[str, Any], claim_id: str):
        """Upload one evidence file (multipart: ``kind`` and ``file``).

        The bytes decide the type (PDF, PNG, JPEG, WebP, HEIC; anything else 415), the size is
        limited (413), and the file is hashed (SHA-256) and stored under a generated key.
        """
        upload = files["file"]
        return claim_documents.add_document(
            db_session(),
            runtime().documents,
            key_holder().caller,
            claim_id,
            kind=DocumentKind(form["kind"]),
            stream=upload.stream,
            declared_name=upload.filename,
            now=request_now(),
            on_failure=_delete_if_request_fails,
        )


@blp.route("/claims/<string:claim_id>/submit")
class ClaimSubmit(MethodView):
    @blp.requires(*ACTORS)
    @blp.response(200, ClaimSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, claim_id: str):
        """Submit once the submission documents are in (409 names what is missing).

        Starts the grace period for the slow documents and screens the claim; a small claim
        with no flag is approved at once.
        """
        return claims.submit(
            db_session(), key_holder().caller, claim_id, runtime().claim_rules, request_now()
        )


class RequestDocumentsSchema(ma.Schema):
    kinds = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf([k.value for k in DocumentKind])),
        required=True,
        validate=ma.validate.Length(min=1, max=6),
    )
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))


class ApproveSchema(ma.Schema):
    amount = ma.fields.Nested(MoneySchema, required=True)
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))


class DenySchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))


STAFF = at_least(Role.HANDLER)


@blp.route("/claims/<string:claim_id>/request-documents")
class ClaimRequestDocuments(MethodView):
    @blp.requires(STAFF)
    @blp.arguments(RequestDocumentsSchema)
    @blp.response(200, ClaimSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], claim_id: str):
        """Ask the seller for more documents (the claim goes to needs_info)."""
        return claims.request_documents(
            db_session(),
            key_holder().caller,
            claim_id,
            [DocumentKind(k) for k in data["kinds"]],
            data["note"],
            request_now(),
        )


@blp.route("/claims/<string:claim_id>/approve")
class ClaimApprove(MethodView):
    @blp.requires(STAFF)
    @blp.arguments(ApproveSchema)
    @blp.response(200, ClaimSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], claim_id: str):
        """Approve an amount (at most insured value less deductible; a supervisor above the
        four-eyes limit, else 403)."""
        return claims.approve(
            db_session(),
            key_holder().caller,
            claim_id,
            data["amount"],
            data["note"],
            runtime().claim_rules,
            request_now(),
        )


@blp.route("/claims/<string:claim_id>/deny")
class ClaimDeny(MethodView):
    @blp.requires(STAFF)
    @blp.arguments(DenySchema)
    @blp.response(200, ClaimSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], claim_id: str):
        """Deny with a reason the seller will read."""
        return claims.deny(
            db_session(), key_holder().caller, claim_id, data["reason"], request_now()
        )
