"""Coverages: bind a quote, attach the tracking number, void, read, list, certificate PDF."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import DecimalString, Instant, MoneySchema
from blueprints.pagination import PageArgsSchema, answer
from blueprints.quotes import SLUG, UnderwriterRefSchema
from blueprints.request_scope import db_session, key_holder, request_now, runtime
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.permissions import Action
from forwarder_insure.domain.tracking import PackageStatus
from forwarder_insure.services import certificates, coverages
from forwarder_insure.services.sellers import SELLER_ID_PATTERN

blp = ApiBlueprint("coverages", __name__, description="Bound insurance, one per package")

TRACKING_FIELD: dict[str, Any] = {
    "validate": ma.validate.Length(min=4, max=64),
    # What services/coverages.py accepts (it also drops spaces and upper-cases first).
    "metadata": {"example": "9400111899223197428490", "pattern": "^[A-Za-z0-9][A-Za-z0-9-]*$"},
}


class CoverageCreateSchema(ma.Schema):
    quote_token = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4000))
    order_reference = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    carrier = ma.fields.String(validate=ma.validate.Regexp(SLUG))
    tracking_number = ma.fields.String(**TRACKING_FIELD)


class CoverageUpdateSchema(ma.Schema):
    carrier = ma.fields.String(validate=ma.validate.Regexp(SLUG))
    tracking_number = ma.fields.String(**TRACKING_FIELD)
    last_mile_carrier = ma.fields.String(
        validate=ma.validate.Regexp(SLUG),
        metadata={
            "description": "The destination carrier a cross-border parcel is handed to (e.g. "
            "usps after yanwen); sent together with last_mile_tracking_number.",
            "example": "usps",
        },
    )
    last_mile_tracking_number = ma.fields.String(
        validate=TRACKING_FIELD["validate"],
        metadata=TRACKING_FIELD["metadata"]
        | {
            "description": "The destination carrier's number; events for it apply to the "
            "package as events for tracking_number do. Sent together with last_mile_carrier."
        },
    )

    @ma.validates_schema
    def last_mile_pair(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("last_mile_carrier" in data) != ("last_mile_tracking_number" in data):
            missing = (
                "last_mile_tracking_number" if "last_mile_carrier" in data else "last_mile_carrier"
            )
            raise ma.ValidationError(
                "Send last_mile_carrier and last_mile_tracking_number together.", missing
            )


class LastMileSchema(ma.Schema):
    carrier = ma.fields.String(required=True)
    tracking_number = ma.fields.String(required=True)
    confirmed = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "Whether the last-mile number takes the carrier's scans: given by "
            "the warehouse, ops or a tracking provider, on a package whose tracking number is "
            "confirmed. A seller's last-mile number is kept but takes no scans."
        },
    )


class CoverageQueryArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in CoverageStatus]))
    seller_id = ma.fields.String(validate=ma.validate.Regexp(SELLER_ID_PATTERN.pattern))


class CoveredPackageSchema(ma.Schema):
    reference = ma.fields.String(attribute="package_reference", required=True)
    carrier = ma.fields.String(required=True)
    service = ma.fields.String(allow_none=True, required=True)
    tracking_number = ma.fields.String(allow_none=True, required=True)
    tracking_confirmed = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "Whether the warehouse (which prints the labels) attached or confirmed "
            "the tracking number. Carrier scans are matched to confirmed numbers only; a number "
            "attached by the seller alone takes no scans and earns no records of ours until then."
        },
    )
    last_mile = ma.fields.Nested(
        LastMileSchema,
        allow_none=True,
        required=True,
        metadata={
            "description": "The destination carrier's leg of a cross-border parcel, or null."
        },
    )
    status = ma.fields.String(
        attribute="package_status",
        required=True,
        validate=ma.validate.OneOf([s.value for s in PackageStatus]),
    )
    last_event_at = Instant(allow_none=True, required=True)
    origin_country = ma.fields.String(required=True)
    destination_country = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    weight_kg = ma.fields.Method("weight", required=True, metadata={"type": "string"})

    def weight(self, coverage: Any) -> str:
        return _grams_to_kg(coverage.weight_grams)


def _grams_to_kg(grams: int) -> str:
    return f"{grams // 1000}.{grams % 1000:03d}"


class ExchangeSchema(ma.Schema):
    currency = ma.fields.String(required=True)
    rate = DecimalString(required=True)
    rate_date = ma.fields.Date(required=True)
    insured_value = ma.fields.Nested(MoneySchema, required=True)
    premium = ma.fields.Nested(MoneySchema, required=True)


class CoverageSchema(ma.Schema):
    id = ma.fields.String(required=True)
    certificate_number = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf([s.value for s in CoverageStatus])
    )
    seller_id = ma.fields.String(required=True)
    order_reference = ma.fields.String(required=True)
    package = ma.fields.Nested(CoveredPackageSchema, required=True)
    premium = ma.fields.Nested(MoneySchema, required=True)
    insured_value = ma.fields.Nested(MoneySchema, required=True)
    deductible = ma.fields.Nested(MoneySchema, required=True)
    carrier_base_cover = ma.fields.Nested(MoneySchema, allow_none=True, required=True)
    underwriter = ma.fields.Nested(UnderwriterRefSchema, required=True)
    underwriter_exchange = ma.fields.Nested(ExchangeSchema, allow_none=True, required=True)
    rate_card_version = ma.fields.String(required=True)
    bound_at = Instant(required=True)
    voided_at = Instant(allow_none=True, required=True)
    verification_url = ma.fields.String(required=True)

    @ma.pre_dump
    def view(self, coverage: Any, **kwargs: Any) -> _CoverageView:
        return _CoverageView(coverage)


class _CoverageView:
    """The coverage row as the API shows it: the package nested, the exchange grouped."""

    def __init__(self, coverage: Any):
        self._coverage = coverage

    def __getattr__(self, name: str) -> Any:
        return getattr(self._coverage, name)

    @property
    def package(self) -> Any:
        return self._coverage

    @property
    def underwriter_exchange(self) -> dict[str, Any] | None:
        c = self._coverage
        if c.fx_rate is None:
            return None
        return {
            "currency": c.underwriter_currency,
            "rate": c.fx_rate,
            "rate_date": c.fx_rate_date,
            "insured_value": c.insured_value_underwriter,
            "premium": c.premium_underwriter,
        }

    @property
    def verification_url(self) -> str:
        return certificates.verification_url(
            runtime().settings.public_url, self._coverage.certificate_number
        )


class CoveragePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CoverageSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


@blp.route("/coverages")
class Coverages(MethodView):
    @blp.requires(Action.BIND_COVERAGE)
    @blp.idempotent
    @blp.arguments(CoverageCreateSchema)
    @blp.response(201, CoverageSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]):
        """Bind a quote: creates the coverage, issues the certificate, books the premium.

        One quote token binds at most one coverage (a second bind answers 409
        quote_already_bound). An expired or altered token answers 422.
        """
        rt = runtime()
        return coverages.bind(
            db_session(),
            key_holder().caller,
            coverages.BindRequest(**data),
            signer=rt.quote_signer,
            card=rt.rate_card,
            carriers=rt.carriers,
            now=request_now(),
        )

    @blp.requires(Action.READ_COVERAGE)
    @blp.arguments(CoverageQueryArgsSchema, location="query")
    @blp.response(200, CoveragePageSchema)
    def get(self, args: dict[str, Any]):
        """Coverages, newest first; a seller sees its own only."""
        return answer(
            coverages.list_page(
                db_session(),
                key_holder().caller,
                status=args.get("status"),
                seller_id=args.get("seller_id"),
                after=args["cursor"],
                limit=args["limit"],
            )
        )


@blp.route("/coverages/<string:coverage_id>")
class CoverageById(MethodView):
    @blp.requires(Action.READ_COVERAGE)
    @blp.response(200, CoverageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, coverage_id: str):
        """One coverage with its package and tracking status."""
        return coverages.get_coverage(db_session(), key_holder().caller, coverage_id)

    @blp.requires(Action.ATTACH_TRACKING)
    @blp.arguments(CoverageUpdateSchema)
    @blp.response(200, CoverageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, data: dict[str, Any], coverage_id: str):
        """Attach the tracking number when the label prints, and the last-mile number at the
        destination hand-off (last_mile_carrier with last_mile_tracking_number).

        A warehouse key's number is authoritative and confirmed (409 tracking_number_in_use if
        another package of the carrier has it confirmed). A seller's number stays unconfirmed
        until the warehouse attaches the same one: it never conflicts with other packages and
        takes no scans meanwhile; a seller cannot change a confirmed number (409
        tracking_number_confirmed). 409 already_scanned once the parcel has been scanned.
        The last-mile number follows the same rule (409 last_mile_number_in_use,
        last_mile_number_confirmed); it takes scans only once the tracking number is confirmed."""
        return coverages.attach_numbers(
            db_session(),
            key_holder().caller,
            coverage_id,
            carrier=data.get("carrier"),
            tracking_number=data.get("tracking_number"),
            last_mile_carrier=data.get("last_mile_carrier"),
            last_mile_tracking_number=data.get("last_mile_tracking_number"),
            now=request_now(),
        )


@blp.route("/coverages/<string:coverage_id>/void")
class CoverageVoid(MethodView):
    @blp.requires(Action.VOID_COVERAGE)
    @blp.response(200, CoverageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, coverage_id: str):
        """Void before the first carrier scan and refund the premium (409 after it)."""
        return coverages.void(db_session(), key_holder().caller, coverage_id, request_now())


@blp.route("/coverages/<string:coverage_id>/certificate.pdf")
class CoverageCertificate(MethodView):
    @blp.requires(Action.READ_COVERAGE)
    @blp.response(200, content_type="application/pdf", description="The certificate (PDF)")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, coverage_id: str):
        """The English certificate of insurance, one page, naming the underwriter."""
        session = db_session()
        coverage = coverages.get_coverage(session, key_holder().caller, coverage_id)
        pdf = certificates.certificate_pdf(session, coverage, runtime().settings.public_url)
        response = Response(pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = (
            f'inline; filename="certificate-{coverage.certificate_number}.pdf"'
        )
        return response
