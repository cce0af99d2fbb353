"""The underwriter registry and exchange rates: admin writes, ops read."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import DecimalString, positive
from blueprints.request_scope import db_session, request_now, runtime
from forwarder_insure.domain.countries import is_country
from forwarder_insure.domain.permissions import Action
from forwarder_insure.services import exchange_rates, underwriters

blp = ApiBlueprint("underwriting", __name__, description="Underwriters and exchange rates (ops)")

CURRENCY = ma.validate.Regexp(r"^[A-Z]{3}$")


def _jurisdiction(value: str) -> None:
    if value != "*" and not is_country(value):
        raise ma.ValidationError(f"{value!r} is neither '*' nor an ISO 3166 alpha-2 code.")


def _country(value: str) -> None:
    if not is_country(value):
        raise ma.ValidationError(f"{value!r} is not an ISO 3166 alpha-2 country code.")


def _underwriter_fields(required: bool) -> dict[str, ma.fields.Field]:
    """The editable fields, required on creation and optional on update."""
    return {
        "name": ma.fields.String(required=required, validate=ma.validate.Length(min=1, max=200)),
        "licence_number": ma.fields.String(
            required=required, validate=ma.validate.Length(min=1, max=64)
        ),
        "jurisdictions": ma.fields.List(
            ma.fields.String(validate=_jurisdiction),
            required=required,
            validate=ma.validate.Length(min=1, max=300),
            metadata={"description": 'Countries it is licensed in, or ["*"] for worldwide'},
        ),
        "lines": ma.fields.List(
            ma.fields.String(validate=ma.validate.Length(min=1, max=48)),
            required=required,
            validate=ma.validate.Length(min=1, max=100),
            metadata={"description": 'Goods categories it accepts, or ["*"] for all'},
        ),
        "country": ma.fields.String(required=required, validate=_country),
        "currency": ma.fields.String(required=required, validate=CURRENCY),
        "active_from": ma.fields.Date(required=required),
    }


UnderwriterSchema = type(
    "UnderwriterSchema",
    (ma.Schema,),
    {
        "id": ma.fields.String(dump_only=True),
        **_underwriter_fields(required=True),
        "active_to": ma.fields.Date(load_default=None, allow_none=True),
        "priority": ma.fields.Integer(
            load_default=100, validate=ma.validate.Range(min=0, max=10000)
        ),
    },
)

#: Any subset of an underwriter's fields; what is absent stays as it is.
UnderwriterUpdateSchema = type(
    "UnderwriterUpdateSchema",
    (ma.Schema,),
    {
        **_underwriter_fields(required=False),
        "active_to": ma.fields.Date(allow_none=True),
        "priority": ma.fields.Integer(validate=ma.validate.Range(min=0, max=10000)),
    },
)


class UnderwriterListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(UnderwriterSchema), required=True)


class ExchangeRateSchema(ma.Schema):
    base_currency = ma.fields.String(required=True, validate=CURRENCY)
    quote_currency = ma.fields.String(required=True, validate=CURRENCY)
    rate = DecimalString(
        required=True,
        validate=positive(),
        metadata={"description": "Units of quote_currency for one unit of base_currency"},
    )
    effective_date = ma.fields.Date(required=True)


class ExchangeRateListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ExchangeRateSchema), required=True)


@blp.route("/underwriters")
class Underwriters(MethodView):
    @blp.requires(Action.READ_UNDERWRITERS)
    @blp.response(200, UnderwriterListSchema)
    def get(self):
        """Every underwriter, in the order quoting prefers them."""
        return {"items": underwriters.list_underwriters(db_session())}

    @blp.requires(Action.MANAGE_UNDERWRITERS)
    @blp.arguments(UnderwriterSchema)
    @blp.response(201, UnderwriterSchema)
    def post(self, data: dict[str, Any]):
        """Register an underwriter (quoting sees it within FI_UNDERWRITER_CACHE_SECONDS)."""
        created = underwriters.create_underwriter(db_session(), request_now(), **data)
        runtime().underwriters.invalidate()
        return created


@blp.route("/underwriters/<string:underwriter_id>")
class UnderwriterById(MethodView):
    @blp.requires(Action.READ_UNDERWRITERS)
    @blp.response(200, UnderwriterSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, underwriter_id: str):
        """One underwriter."""
        return underwriters.get_underwriter(db_session(), underwriter_id)

    @blp.requires(Action.MANAGE_UNDERWRITERS)
    @blp.arguments(UnderwriterUpdateSchema, required=False)  # every field is optional
    @blp.response(200, UnderwriterSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, data: dict[str, Any], underwriter_id: str):
        """Change an underwriter; set active_to to stop new business from that day."""
        updated = underwriters.update_underwriter(db_session(), underwriter_id, **data)
        runtime().underwriters.invalidate()
        return updated


@blp.route("/exchange-rates")
class ExchangeRates(MethodView):
    @blp.requires(Action.READ_EXCHANGE_RATES)
    @blp.response(200, ExchangeRateListSchema)
    def get(self):
        """Every recorded rate with the day it applies from."""
        return {"items": exchange_rates.list_rates(db_session())}

    @blp.requires(Action.MANAGE_EXCHANGE_RATES)
    @blp.arguments(ExchangeRateSchema)
    @blp.response(200, ExchangeRateSchema)
    def put(self, data: dict[str, Any]):
        """Record the rate for a day (recording the same day again corrects it)."""
        return exchange_rates.set_rate(
            db_session(),
            data["base_currency"],
            data["quote_currency"],
            data["rate"],
            data["effective_date"],
            request_now(),
        )
