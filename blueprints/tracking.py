"""Carrier tracking events in (batch API); bad events are reported by index, good ones kept."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import Instant
from blueprints.problems import field_errors
from blueprints.quote_packages import CARRIER
from blueprints.request_scope import db_session, key_holder, request_now
from forwarder_insure.domain.permissions import Action
from forwarder_insure.domain.tracking import EVENT_CODES
from forwarder_insure.services import tracking
from forwarder_insure.services.coverages import TRACKING_NUMBER

blp = ApiBlueprint("tracking", __name__, description="Carrier tracking events")


class TrackingEventSchema(ma.Schema):
    event_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))
    carrier = ma.fields.String(required=True, validate=ma.validate.Regexp(CARRIER.pattern))
    tracking_number = ma.fields.String(required=True, validate=ma.validate.Length(min=4, max=64))
    occurred_at = Instant(required=True)
    code = ma.fields.String(required=True, validate=ma.validate.OneOf(EVENT_CODES))
    description = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=300)
    )
    location = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=200)
    )

    @ma.pre_load
    def normalise(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if isinstance(data.get("carrier"), str):
                data["carrier"] = data["carrier"].strip().lower()
            if isinstance(data.get("tracking_number"), str):
                data["tracking_number"] = "".join(data["tracking_number"].split()).upper()
        return data

    @ma.validates("tracking_number")
    def tracking_number_shape(self, value: str, **kwargs: Any) -> None:
        if not TRACKING_NUMBER.match(value):
            raise ma.ValidationError("Letters, digits and '-', 4 to 64 characters.")


class EventList(ma.fields.List):
    """Documented as a list of TrackingEvent, but loaded as-is: each event is validated on its
    own, so one bad event is reported by its index instead of refusing the whole batch."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ma.ValidationError("Not a valid list.")
        return value


class EventBatchSchema(ma.Schema):
    events = EventList(
        ma.fields.Nested(TrackingEventSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=tracking.MAX_BATCH),
        metadata={"description": "1 to 1,000 events."},
    )


class EventErrorSchema(ma.Schema):
    index = ma.fields.Integer(required=True)
    event_id = ma.fields.String(allow_none=True)
    errors = ma.fields.List(ma.fields.Dict(), required=True)


class IngestResultSchema(ma.Schema):
    accepted = ma.fields.Integer(required=True)
    duplicates = ma.fields.Integer(required=True)
    unmatched = ma.fields.Integer(required=True)
    rejected = ma.fields.List(ma.fields.Nested(EventErrorSchema), required=True)


EVENT_SCHEMA = TrackingEventSchema()


def read_events(raw_events: list[Any]) -> tuple[list[tracking.IncomingEvent], list[dict[str, Any]]]:
    """Valid events, and an error entry (with its index) for each invalid one."""
    valid, rejected = [], []
    for index, raw in enumerate(raw_events):
        try:
            if not isinstance(raw, dict):
                raise ma.ValidationError({"_schema": ["An event is a JSON object."]})
            loaded = EVENT_SCHEMA.load(raw)
        except ma.ValidationError as exc:
            rejected.append(
                {
                    "index": index,
                    "event_id": raw.get("event_id") if isinstance(raw, dict) else None,
                    "errors": field_errors({"json": exc.messages}),
                }
            )
            continue
        valid.append(tracking.IncomingEvent(**loaded))
    return valid, rejected


@blp.route("/tracking/events")
class TrackingEvents(MethodView):
    @blp.requires(Action.INGEST_TRACKING)
    @blp.arguments(EventBatchSchema)
    @blp.response(202, IngestResultSchema)
    def post(self, data: dict[str, Any]):
        """A batch of carrier events, each with its own event_id.

        Duplicates (in the batch or sent before) count once; events are applied in time order
        whatever order they arrive in; events for tracking numbers no package has yet are kept
        and applied when the number is attached. Invalid events are listed under ``rejected``
        with their index; the valid ones are still taken.
        """
        valid, rejected = read_events(data["events"])
        summary = tracking.ingest(db_session(), valid, request_now(), key_holder().caller)
        return {
            "accepted": summary.accepted,
            "duplicates": summary.duplicates,
            "unmatched": summary.unmatched,
            "rejected": rejected,
        }
