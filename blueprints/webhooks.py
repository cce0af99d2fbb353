"""Webhook subscriptions (admin) and their delivery history."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import Instant
from blueprints.pagination import PageArgsSchema, answer
from blueprints.request_scope import db_session, request_now, runtime
from forwarder_insure.domain.permissions import Action
from forwarder_insure.services import webhooks

blp = ApiBlueprint("webhooks", __name__, description="Webhook subscriptions (admin)")

EVENT_PATTERN = ma.validate.Regexp(r"^(\*|[a-z_]+(\.(\*|[a-z_]+))*)$")


class EndpointCreateSchema(ma.Schema):
    url = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=2000),
        metadata={
            "format": "uri",
            "description": "http(s), no user information; its host must resolve to public "
            "addresses only (422 url_not_allowed), and https in production.",
            "example": "https://hooks.example.com/forwarder-insure",
        },
    )
    events = ma.fields.List(
        ma.fields.String(validate=EVENT_PATTERN),
        required=True,
        validate=ma.validate.Length(min=1, max=50),
        metadata={"example": ["claim.*", "inquiry.opened"]},
    )
    description = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))


class EndpointSchema(ma.Schema):
    id = ma.fields.String(required=True)
    url = ma.fields.String(required=True)
    events = ma.fields.List(ma.fields.String(), required=True)
    description = ma.fields.String(allow_none=True, required=True)
    created_at = Instant(required=True)
    disabled_at = Instant(allow_none=True, required=True)


class EndpointCreatedSchema(EndpointSchema):
    secret = ma.fields.String(
        required=True,
        metadata={"description": "Verify FI-Signature with it; shown only at creation."},
    )


class EndpointListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EndpointSchema), required=True)


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    event_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    attempts = ma.fields.Integer(required=True)
    next_attempt_at = Instant(required=True)
    last_attempt_at = Instant(allow_none=True, required=True)
    last_status_code = ma.fields.Integer(allow_none=True, required=True)
    last_error = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "Why the last attempt failed: `HTTP <status>` for a non-2xx answer, "
            "`delivery_failed` when no answer came (connection, timeout, TLS), "
            "`url_not_allowed` when the URL is refused now (its host resolves to an internal "
            "address, or plain http in production)."
        },
    )
    delivered_at = Instant(allow_none=True, required=True)


class DeliveryPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DeliverySchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


@blp.route("/webhook-endpoints")
class Endpoints(MethodView):
    @blp.requires(Action.MANAGE_WEBHOOKS)
    @blp.arguments(EndpointCreateSchema)
    @blp.response(201, EndpointCreatedSchema)
    def post(self, data: dict[str, Any]):
        """Subscribe a URL to event types (``claim.*``, ``inquiry.opened``, ``*``).

        Events created from now on are POSTed to it as ``{"id", "type", "created_at", "data"}``
        with ``FI-Signature: t=<unix>,v1=<hex hmac-sha256(secret, "<t>.<body>")>``, retried
        with backoff until it answers 2xx (at least once: drop duplicates by ``id``).
        A URL whose host resolves to a loopback, private, link-local, multicast, reserved or
        cloud-metadata address is refused (422 ``url_not_allowed``); every delivery checks the
        address again and no redirect is followed.
        """
        return webhooks.create_endpoint(
            db_session(),
            data["url"],
            data["events"],
            data["description"],
            request_now(),
            runtime().webhook_addresses,
        )

    @blp.requires(Action.MANAGE_WEBHOOKS)
    @blp.response(200, EndpointListSchema)
    def get(self):
        """Every subscription."""
        return {"items": webhooks.list_endpoints(db_session())}


@blp.route("/webhook-endpoints/<string:endpoint_id>/disable")
class EndpointDisable(MethodView):
    @blp.requires(Action.MANAGE_WEBHOOKS)
    @blp.response(200, EndpointSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, endpoint_id: str):
        """Stop sending to this endpoint (pending deliveries stay, unsent)."""
        return webhooks.disable_endpoint(db_session(), endpoint_id, request_now())


@blp.route("/webhook-endpoints/<string:endpoint_id>/deliveries")
class EndpointDeliveries(MethodView):
    @blp.requires(Action.MANAGE_WEBHOOKS)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], endpoint_id: str):
        """Delivery history, newest first: attempts, last answer, next attempt."""
        return answer(
            webhooks.deliveries_page(db_session(), endpoint_id, args["cursor"], args["limit"])
        )
