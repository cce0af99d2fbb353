"""The rate card an order-entry form needs, and quotes for the packages of an order.

``POST /quotes`` is the hottest path of the product (screens may re-quote on every keystroke):
it touches no database row beyond the API key, reads a well-formed request without webargs or
marshmallow (``QuoteRequestSchema.load_well_formed``), and writes its JSON field by field rather
than through a second schema pass. The schemas below still describe it exactly in the OpenAPI
document, and still read every request the fast reader does not accept.
"""

from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import DecimalString, Instant, MoneySchema, positive
from blueprints.quote_packages import (
    CARRIER,
    MAX_PACKAGES,
    MAX_WEIGHT,
    MIN_WEIGHT,
    read_quote_request,
)
from blueprints.request_scope import key_holder, request_now, runtime
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from forwarder_insure.domain.countries import is_country
from forwarder_insure.domain.errors import Forbidden
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.permissions import Action
from forwarder_insure.domain.pricing import DECLINE_CODES, PackageToPrice
from forwarder_insure.services.quoting import Quote
from forwarder_insure.services.sellers import SELLER_ID_PATTERN

blp = ApiBlueprint("quotes", __name__, description="Rate card and insurance offers")

SLUG = CARRIER.pattern


class CurrencyTermsSchema(ma.Schema):
    min_premium = ma.fields.Nested(MoneySchema, required=True)
    max_insured_value = ma.fields.Nested(MoneySchema, required=True)
    deductible = ma.fields.Nested(MoneySchema, required=True)


class RatesSchema(ma.Schema):
    version = ma.fields.String(required=True)
    categories = ma.fields.List(ma.fields.String(), required=True)
    prohibited_categories = ma.fields.List(ma.fields.String(), required=True)
    currencies = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(CurrencyTermsSchema), required=True
    )
    carriers = ma.fields.List(ma.fields.String(), required=True)
    quote_lifetime_seconds = ma.fields.Integer(required=True)


def _country(value: str) -> None:
    if not is_country(value):
        raise ma.ValidationError(f"{value!r} is not an ISO 3166 alpha-2 country code.")


class QuotePackageSchema(ma.Schema):
    reference = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    declared_value = ma.fields.Nested(MoneySchema, required=True)
    category = ma.fields.String(required=True, metadata={"description": "See GET /rates"})
    origin_country = ma.fields.String(required=True, validate=_country, metadata={"example": "CN"})
    destination_country = ma.fields.String(
        required=True, validate=_country, metadata={"example": "US"}
    )
    carrier = ma.fields.String(required=True, validate=ma.validate.Regexp(SLUG))
    service = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,47}$"),
    )
    weight_kg = DecimalString(
        required=True,
        validate=positive(MAX_WEIGHT, at_least=MIN_WEIGHT),
        metadata={"example": "1.20", "description": f"{MIN_WEIGHT} to {MAX_WEIGHT} kg"},
    )

    @ma.pre_load
    def normalise(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in ("carrier", "service"):
            if isinstance(data.get(key), str):
                data[key] = data[key].strip().lower()
        for key in ("origin_country", "destination_country"):
            if isinstance(data.get(key), str):
                data[key] = data[key].strip().upper()
        return data

    @ma.validates("declared_value")
    def positive(self, value: Money, **kwargs: Any) -> None:
        # After a nested error marshmallow hands over the raw dict; that error is reported.
        if isinstance(value, Money) and value.amount <= 0:
            raise ma.ValidationError("The declared value must be greater than zero.")


class QuoteRequestSchema(ma.Schema):
    seller_id = ma.fields.String(
        validate=ma.validate.Regexp(SELLER_ID_PATTERN.pattern),
        metadata={"description": "Required with a warehouse key; a seller key quotes for itself."},
    )
    packages = ma.fields.List(
        ma.fields.Nested(QuotePackageSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_PACKAGES),
    )

    def load_well_formed(self, data: Any) -> dict[str, Any] | None:
        """What ``load`` returns for a well-formed request that passes the cross-field rules,
        read by the fast reader; None for anything else (``load`` then says what is wrong)."""
        fast = read_quote_request(data)
        if fast is None:
            return None
        try:
            self.seller_named_by_warehouse(fast)
            self.known_categories(fast)
        except ma.ValidationError:
            return None
        return fast

    def load(self, data: Any, **kwargs: Any) -> Any:
        """Well-formed requests take the fast reader; anything else gets marshmallow's errors."""
        loaded = self.load_well_formed(data)
        return loaded if loaded is not None else super().load(data, **kwargs)

    @ma.validates_schema
    def seller_named_by_warehouse(self, data: dict[str, Any], **kwargs: Any) -> None:
        if key_holder().caller.role is Role.WAREHOUSE and not data.get("seller_id"):
            raise ma.ValidationError({"seller_id": ["Required with a warehouse key."]})

    @ma.validates_schema
    def known_categories(self, data: dict[str, Any], **kwargs: Any) -> None:
        card = runtime().rate_card
        errors = {
            index: {"category": ["Unknown category; categories are listed by GET /rates."]}
            for index, package in enumerate(data.get("packages", []))
            if not card.knows(package["category"])
        }
        if errors:
            raise ma.ValidationError({"packages": errors})


class UnderwriterRefSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    licence_number = ma.fields.String(required=True)


class DeclineSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.OneOf(DECLINE_CODES))
    detail = ma.fields.String(required=True)


class QuoteSchema(ma.Schema):
    reference = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(["offered", "declined"]))
    premium = ma.fields.Nested(MoneySchema)
    insured_value = ma.fields.Nested(MoneySchema)
    deductible = ma.fields.Nested(MoneySchema)
    carrier_base_cover = ma.fields.Nested(MoneySchema, allow_none=True)
    underwriter = ma.fields.Nested(UnderwriterRefSchema)
    rate_card_version = ma.fields.String()
    expires_at = Instant()
    quote_token = ma.fields.String()
    decline = ma.fields.Nested(DeclineSchema)


class QuotesSchema(ma.Schema):
    quotes = ma.fields.List(ma.fields.Nested(QuoteSchema), required=True)


#: A JSON string literal exactly as ``json.dumps`` writes it (ASCII, same escapes).
_string = json.encoder.encode_basestring_ascii


def _money_json(value: Money) -> str:
    return f'{{"amount":{_string(value.amount_text)},"currency":{_string(value.currency)}}}'


def _quotes_body(quotes: list[Quote]) -> str:
    """The body of ``POST /quotes``: the text ``json.dumps(..., separators=(",", ":"))`` gives
    for QuotesSchema's fields in their declared order, written field by field with the keys
    spelled once, here, instead of building a dict per quote for the encoder to walk."""
    return '{"quotes":[' + ",".join(_quote_json(quote) for quote in quotes) + "]}"


def _quote_json(quote: Quote) -> str:
    reference = _string(quote.reference)
    if quote.offer is None:
        assert quote.decline is not None
        code, detail = _string(quote.decline.code), _string(quote.decline.detail)
        return (
            f'{{"reference":{reference},"status":"declined",'
            f'"decline":{{"code":{code},"detail":{detail}}}}}'
        )
    offer = quote.offer
    underwriter = offer.underwriter
    assert quote.expires_at is not None
    assert quote.token is not None
    base_cover = offer.carrier_base_cover
    return (
        f'{{"reference":{reference},"status":"offered",'
        f'"premium":{_money_json(offer.premium)},'
        f'"insured_value":{_money_json(offer.insured_value)},'
        f'"deductible":{_money_json(offer.deductible)},'
        f'"carrier_base_cover":{_money_json(base_cover) if base_cover else "null"},'
        f'"underwriter":{{"id":{_string(underwriter.id)},"name":{_string(underwriter.name)},'
        f'"licence_number":{_string(underwriter.licence_number)}}},'
        f'"rate_card_version":{_string(offer.rate_card_version)},'
        f'"expires_at":{_string(format_instant(quote.expires_at))},'
        f'"quote_token":{_string(quote.token)}}}'
    )


@blp.route("/rates")
class Rates(MethodView):
    @blp.requires(Action.READ_RATES)
    @blp.response(200, RatesSchema)
    def get(self):
        """What an order-entry form needs: categories, currencies and their limits."""
        card = runtime().rate_card
        return {
            "version": card.version,
            "categories": card.categories,
            "prohibited_categories": sorted(card.prohibited_categories),
            "currencies": {
                code: {
                    "min_premium": terms.min_premium,
                    "max_insured_value": terms.max_insured_value,
                    "deductible": terms.deductible,
                }
                for code, terms in sorted(card.currencies.items())
            },
            "carriers": sorted(runtime().carriers.names),
            "quote_lifetime_seconds": int(card.quote_lifetime.total_seconds()),
        }


@blp.route("/quotes")
class Quotes(MethodView):
    @blp.requires(Action.QUOTE)
    @blp.arguments(QuoteRequestSchema)
    @blp.response(200, QuotesSchema)
    def post(self, data: dict[str, Any]):
        """Offers for 1 to 500 packages, in order; each offer carries a signed quote token.

        Writes nothing: quote as often as you like. A package that cannot be insured gets a
        decline with a code (prohibited_category, value_above_maximum, unsupported_currency,
        no_underwriter) instead of an offer.
        """
        caller = key_holder().caller
        seller_id = _quoting_seller(caller.role, caller.seller_id, data.get("seller_id"))
        rt = runtime()
        packages = [
            PackageToPrice(
                reference=p["reference"],
                declared_value=p["declared_value"],
                category=p["category"],
                origin_country=p["origin_country"],
                destination_country=p["destination_country"],
                carrier=p["carrier"],
                service=p["service"],
                weight_kg=p["weight_kg"],
            )
            for p in data["packages"]
        ]
        quotes = rt.quotes.quote(seller_id, packages, request_now())
        return Response(_quotes_body(quotes), status=200, mimetype="application/json")


def _quoting_seller(role: Role, key_seller: str | None, asked: str | None) -> str:
    if role is Role.SELLER:
        if asked is not None and asked != key_seller:
            raise Forbidden("a seller key quotes only for its own seller", code="seller_mismatch")
        assert key_seller is not None
        return key_seller
    assert asked is not None  # QuoteRequestSchema requires it of warehouse keys
    return asked
