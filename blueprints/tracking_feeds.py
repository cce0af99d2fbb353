"""Tracking providers' webhooks in (EasyPost, AfterShip, 17TRACK): public, the signature is the
authentication. The view hands the raw bytes to ``services/tracking_feeds``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint, abort
from blueprints.problems import FieldErrorSchema
from blueprints.request_scope import db_session, request_now, runtime
from blueprints.tracking import IngestResultSchema
from forwarder_insure.domain.feed_signatures import SCHEMES
from forwarder_insure.domain.feeds import PROVIDERS
from forwarder_insure.services import tracking_feeds

blp = ApiBlueprint(
    "tracking_feeds", __name__, description="Tracking providers' webhooks (no API key)"
)

#: The signature header of each provider, documented as optional (each provider sends its own).
SIGNATURE_HEADERS: list[dict[str, Any]] = [
    {
        "in": "header",
        "name": {
            "easypost": "X-Hmac-Signature",
            "aftership": "aftership-hmac-sha256",
            "17track": "sign",
        }[provider],
        "required": False,
        "description": f"{provider}'s signature of the raw body (only for provider {provider}).",
        "schema": {"type": "string", "maxLength": 200},
    }
    for provider in PROVIDERS
]
assert {h["name"].lower() for h in SIGNATURE_HEADERS} == {s[0] for s in SCHEMES.values()}

PUSH_BODY = {
    "required": True,
    "description": "The provider's own webhook body, byte for byte as the provider signed it.",
    "content": {"application/json": {"schema": {"type": "object"}}},
}


class FeedRejectSchema(ma.Schema):
    index = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "The checkpoint's place in the push, when known."},
    )
    event_id = ma.fields.String(allow_none=True)
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema), required=True)


class FeedResultSchema(IngestResultSchema):
    """The batch API's answer, with the feed's own refusals and two counts of its own."""

    rejected = ma.fields.List(
        ma.fields.Nested(FeedRejectSchema),
        required=True,
        metadata={
            "description": "Scans refused one by one (a time that does not parse, dated too far "
            "after they reached us, no valid tracking number); a list, as in the batch API."
        },
    )
    unrecognized = ma.fields.Integer(
        required=True,
        metadata={
            "description": "Scans not ingested because config/feeds.toml does not know their "
            "status or carrier; kept with the stored push for ops."
        },
    )
    ignored = ma.fields.Integer(
        required=True,
        metadata={
            "description": "Scans of a stopped or expired tracker, or with no data: never read "
            "as delivered or lost."
        },
    )


@blp.route("/tracking/feeds/<string:provider>")
class TrackingFeed(MethodView):
    @blp.response(200, FeedResultSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.doc(security=[], parameters=SIGNATURE_HEADERS, requestBody=PUSH_BODY)
    def post(self, provider: str) -> dict[str, Any]:
        """A tracking provider's webhook push: ``easypost``, ``aftership`` or ``17track``.

        No API key: the provider's signature of the raw body is the authentication (EasyPost
        ``X-Hmac-Signature``, AfterShip ``aftership-hmac-sha256``, 17TRACK ``sign``), checked
        against the secrets of ``FI_FEED_SECRETS`` before anything is read; a wrong or missing
        one is 401 ``invalid_signature``. A body over ``FI_FEED_MAX_BYTES`` is 413. Each scan
        becomes a carrier event as in ``POST /tracking/events`` (re-deliveries count as
        duplicates, any order, numbers not attached yet wait); scans whose status or carrier the
        mapping does not know are counted under ``unrecognized``, and stopped trackers' under
        ``ignored``. A push that carries nothing usable answers 200 with zero counts.
        """
        tracking_feeds.known_provider(provider)
        settings = runtime().settings
        limit = settings.feed_max_bytes
        if request.content_length is not None and request.content_length > limit:
            abort(413, message=f"A push is at most {limit} bytes.", code="payload_too_large")
        raw = request.get_data(cache=True)
        if len(raw) > limit:
            abort(413, message=f"A push is at most {limit} bytes.", code="payload_too_large")
        receipt = tracking_feeds.receive(
            db_session(),
            runtime().database,
            runtime().feeds,
            provider,
            raw,
            dict(request.headers),
            settings.feed_secrets.get(provider, ()),
            request_now(),
            tracking_feeds.FeedLimits(
                keep_bytes=settings.feed_payload_keep_bytes,
                retention=settings.feed_payload_retention,
                max_future=settings.tracking_max_future,
            ),
        )
        return receipt.as_dict()
