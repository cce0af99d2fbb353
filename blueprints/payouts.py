"""Money views for ops: advances and what is still owed on them; recovery tasks."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.claims import PayoutSchema
from blueprints.fields import Instant
from blueprints.pagination import PageArgsSchema, answer
from blueprints.request_scope import db_session, key_holder, request_now
from forwarder_insure.domain.payouts import PayoutStatus, RecoveryTaskStatus
from forwarder_insure.domain.permissions import Action
from forwarder_insure.services import payouts, recovery_tasks

blp = ApiBlueprint("payouts", __name__, description="Advanced payouts and recovery tasks")


class PayoutPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PayoutSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


class PayoutQueryArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in PayoutStatus]))
    awaiting_insurer = ma.fields.Boolean(
        metadata={"description": "Only advances the underwriter has not yet paid (true)"}
    )


@blp.route("/payouts")
class Payouts(MethodView):
    @blp.requires(Action.READ_MONEY)
    @blp.arguments(PayoutQueryArgsSchema, location="query")
    @blp.response(200, PayoutPageSchema)
    def get(self, args: dict[str, Any]):
        """Advances, newest first; ``awaiting_insurer=true`` lists the money still owed to us."""
        return answer(
            payouts.list_page(
                db_session(),
                key_holder().caller,
                status=args.get("status"),
                awaiting_insurer=args.get("awaiting_insurer"),
                after=args["cursor"],
                limit=args["limit"],
            )
        )


class RecoveryTaskSchema(ma.Schema):
    id = ma.fields.String(required=True)
    claim_id = ma.fields.String(required=True)
    payout_id = ma.fields.String(required=True)
    seller_id = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf([s.value for s in RecoveryTaskStatus])
    )
    reason = ma.fields.String(required=True)
    opened_at = Instant(required=True)
    closed_at = Instant(allow_none=True, required=True)
    note = ma.fields.String(allow_none=True, required=True)


class RecoveryTaskPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RecoveryTaskSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


class RecoveryTaskQueryArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in RecoveryTaskStatus]))


class CloseTaskSchema(ma.Schema):
    note = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))


@blp.route("/recovery-tasks")
class RecoveryTasks(MethodView):
    @blp.requires(Action.READ_MONEY)
    @blp.arguments(RecoveryTaskQueryArgsSchema, location="query")
    @blp.response(200, RecoveryTaskPageSchema)
    def get(self, args: dict[str, Any]):
        """Paid lost parcels that were delivered after all: money to recover, never to pay twice."""
        return answer(
            recovery_tasks.list_page(
                db_session(),
                key_holder().caller,
                status=args.get("status"),
                after=args["cursor"],
                limit=args["limit"],
            )
        )


@blp.route("/recovery-tasks/<string:task_id>/close")
class RecoveryTaskClose(MethodView):
    @blp.requires(Action.CLOSE_RECOVERY_TASK)
    @blp.arguments(CloseTaskSchema)
    @blp.response(200, RecoveryTaskSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], task_id: str):
        """Close a recovery task, saying how it ended."""
        return recovery_tasks.close(
            db_session(), key_holder().caller, task_id, data["note"], request_now()
        )
