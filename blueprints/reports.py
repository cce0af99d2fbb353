"""Reports for ops and finance: bordereaux as CSV and the loss-ratio summary (handler and up)."""

from __future__ import annotations

import io
from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import DecimalString, MoneySchema
from blueprints.request_scope import db_session
from forwarder_insure.domain.errors import DomainError
from forwarder_insure.domain.permissions import Action
from forwarder_insure.services import reports

blp = ApiBlueprint("reports", __name__, description="Bordereaux and loss ratios")


class MonthField(ma.fields.String):
    """A calendar month such as ``2026-11``, read by the same rule as the CLI's ``--month``."""

    # A string on the wire, a Month once loaded: narrower than String's ``str`` on purpose.
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> reports.Month:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return reports.Month.parse(text)
        except DomainError as error:
            raise ma.ValidationError(error.detail) from None


#: YYYY-MM with a year from 0001 (there is no year 0).
MONTH_PATTERN = r"^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(0[1-9]|1[0-2])$"
MONTH = MonthField(required=True, metadata={"example": "2026-11", "pattern": MONTH_PATTERN})


class BordereauArgsSchema(ma.Schema):
    underwriter_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    month = MONTH
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["premium", "claims"]))


class LossRatioArgsSchema(ma.Schema):
    month = MONTH


class LossRatioSchema(ma.Schema):
    underwriter_id = ma.fields.String(required=True)
    underwriter_name = ma.fields.String(required=True)
    month = ma.fields.String(required=True)
    currency = ma.fields.String(required=True)
    premium_written = ma.fields.Nested(MoneySchema, required=True)
    claims_incurred = ma.fields.Nested(MoneySchema, required=True)
    claims_paid = ma.fields.Nested(MoneySchema, required=True)
    # A decimal string, as money amounts are: exact to the four places it is rounded to, where
    # a JSON number would reach most clients as a binary float.
    ratio = DecimalString(
        allow_none=True,
        required=True,
        metadata={
            "description": "Claims incurred / premium written, 4 decimals; null without premium",
            "example": "0.4375",
        },
    )


class LossRatiosSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LossRatioSchema), required=True)


@blp.route("/reports/bordereau")
class Bordereau(MethodView):
    @blp.requires(Action.READ_REPORTS)
    @blp.arguments(BordereauArgsSchema, location="query")
    @blp.response(200, description="text/csv: the monthly premium or claims bordereau")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any]):
        """An underwriter's premium or claims bordereau for a month (CSV, as the CLI writes)."""
        out = io.StringIO()
        reports.write_bordereau(
            out,
            db_session(),
            args["kind"],
            args["underwriter_id"],
            args["month"],
        )
        name = f"bordereau-{args['kind']}-{args['underwriter_id']}-{args['month']}.csv"
        return Response(
            out.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


@blp.route("/reports/loss-ratios")
class LossRatios(MethodView):
    @blp.requires(Action.READ_REPORTS)
    @blp.arguments(LossRatioArgsSchema, location="query")
    @blp.response(200, LossRatiosSchema)
    def get(self, args: dict[str, Any]):
        """Premium written, claims incurred and paid, and their ratio, per underwriter and
        currency for a month."""
        return {"items": reports.loss_ratios(db_session(), args["month"])}
