"""The underwriter's side of an advanced claim, as ops record it (handler and up)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.claims import ClaimSchema
from blueprints.fields import Instant, MoneySchema
from blueprints.request_scope import db_session, key_holder, request_now, runtime
from forwarder_insure.domain.access import Role, at_least
from forwarder_insure.services import insurer

blp = ApiBlueprint("insurer", __name__, description="Insurer filing, acceptance and settlement")

STAFF = at_least(Role.HANDLER)


class AcceptanceSchema(ma.Schema):
    insurer_reference = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    accepted_at = Instant(required=True)


class PaymentSchema(ma.Schema):
    amount = ma.fields.Nested(MoneySchema, required=True)
    paid_at = Instant(required=True)


class RejectionSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


def _claim_step(path: str, doc: str, schema: type[ma.Schema] | None = None):
    """Register ``POST /claims/{id}/<path>`` answering the claim (404 unseen, 409 wrong step)."""

    def decorate(action):
        def post(self, *args: Any, **kwargs: Any):
            return action(*args, **kwargs)

        post.__doc__ = doc
        view = post
        view = blp.alt_response(409, response="CONFLICT")(view)
        view = blp.alt_response(404, response="NOT_FOUND")(view)
        view = blp.response(200, ClaimSchema)(view)
        if schema is not None:
            view = blp.arguments(schema)(view)
        view = blp.requires(STAFF)(view)
        blp.route(f"/claims/<string:claim_id>/{path}")(
            type(f"Claim{action.__name__.title().replace('_', '')}", (MethodView,), {"post": view})
        )
        return action

    return decorate


@_claim_step("insurer-filing", "Record that the claim's evidence pack went to the underwriter.")
def insurer_filing(claim_id: str):
    return insurer.file_with_insurer(db_session(), key_holder().caller, claim_id, request_now())


@_claim_step(
    "insurer-acceptance",
    "The underwriter accepted: settlement is due within its working days (its country's calendar).",
    AcceptanceSchema,
)
def insurer_acceptance(data: dict[str, Any], claim_id: str):
    return insurer.accept(
        db_session(),
        key_holder().caller,
        claim_id,
        insurer_reference=data["insurer_reference"],
        accepted_at=data["accepted_at"],
        rules=runtime().claim_rules,
        now=request_now(),
    )


@_claim_step(
    "insurer-settlement",
    "The underwriter paid (all or part); a shortfall is booked as our loss.",
    PaymentSchema,
)
def insurer_settlement(data: dict[str, Any], claim_id: str):
    return insurer.settle(
        db_session(),
        key_holder().caller,
        claim_id,
        amount=data["amount"],
        paid_at=data["paid_at"],
        now=request_now(),
    )


@_claim_step(
    "insurer-rejection",
    "The underwriter refused a claim we paid: booked as our loss or the seller's debt.",
    RejectionSchema,
)
def insurer_rejection(data: dict[str, Any], claim_id: str):
    return insurer.reject(
        db_session(),
        key_holder().caller,
        claim_id,
        reason=data["reason"],
        rules=runtime().claim_rules,
        now=request_now(),
    )


@_claim_step(
    "carrier-recovery",
    "The carrier paid its own liability (base cover) on an advanced claim.",
    PaymentSchema,
)
def carrier_recovery(data: dict[str, Any], claim_id: str):
    return insurer.recover_from_carrier(
        db_session(),
        key_holder().caller,
        claim_id,
        amount=data["amount"],
        paid_at=data["paid_at"],
        now=request_now(),
    )
