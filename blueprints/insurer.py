"""The underwriter's side of an advanced claim, as ops record it (roles: ``domain/permissions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask.views import MethodView

from blueprints import claim_steps
from blueprints.api_blueprint import ApiBlueprint
from blueprints.claims import ClaimSchema
from blueprints.fields import Instant, MoneySchema
from blueprints.request_scope import key_holder
from forwarder_insure.domain.permissions import Action

blp = ApiBlueprint("insurer", __name__, description="Insurer filing, acceptance and settlement")


class AcceptanceSchema(ma.Schema):
    insurer_reference = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    accepted_at = Instant(required=True)


class PaymentSchema(ma.Schema):
    amount = ma.fields.Nested(MoneySchema, required=True)
    paid_at = Instant(required=True)


class RejectionSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


def _claim_step(
    path: str,
    action: Action,
    step: Callable[..., Any],
    doc: str,
    schema: type[ma.Schema] | None = None,
) -> None:
    """Register ``POST /claims/{id}/<path>`` running ``step`` and answering the claim (404
    unseen, 409 wrong step)."""

    def post(self: MethodView, *args: Any, claim_id: str) -> Any:
        return step(key_holder().caller, claim_id, *args)

    post.__doc__ = doc
    view: Any = post
    view = blp.alt_response(409, response="CONFLICT")(view)
    view = blp.alt_response(404, response="NOT_FOUND")(view)
    view = blp.response(200, ClaimSchema)(view)
    if schema is not None:
        view = blp.arguments(schema)(view)
    view = blp.requires(action)(view)
    name = "Claim" + path.title().replace("-", "")
    blp.route(f"/claims/<string:claim_id>/{path}")(type(name, (MethodView,), {"post": view}))


_claim_step(
    "insurer-filing",
    Action.FILE_WITH_INSURER,
    claim_steps.file_with_insurer,
    "Record that the claim's evidence pack went to the underwriter.",
)
_claim_step(
    "insurer-acceptance",
    Action.RECORD_INSURER_ACCEPTANCE,
    claim_steps.accept,
    "The underwriter accepted: settlement is due within its working days (its country's calendar).",
    AcceptanceSchema,
)
_claim_step(
    "insurer-settlement",
    Action.RECORD_INSURER_SETTLEMENT,
    claim_steps.settle,
    "The underwriter paid (all or part); a shortfall is booked as our loss.",
    PaymentSchema,
)
_claim_step(
    "insurer-rejection",
    Action.RECORD_INSURER_REJECTION,
    claim_steps.reject,
    "The underwriter refused a claim we paid: booked as our loss or the seller's debt.",
    RejectionSchema,
)
_claim_step(
    "carrier-recovery",
    Action.RECORD_CARRIER_RECOVERY,
    claim_steps.recover_from_carrier,
    "The carrier paid its own liability (base cover) on an advanced claim.",
    PaymentSchema,
)
