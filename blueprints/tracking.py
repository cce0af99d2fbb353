"""Carrier tracking events in (batch API); bad events are reported by index, good ones kept."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import Instant
from blueprints.problems import field_errors
from blueprints.quote_packages import CARRIER
from blueprints.request_scope import db_session, key_holder, request_now, runtime
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
    rejected = ma.fields.List(
        ma.fields.Nested(EventErrorSchema),
        required=True,
        metadata={
            "description": "Events refused one by one (invalid, or dated too far after they "
            "reached us), each with its index in the batch, its event_id and the reasons."
        },
    )
    rejected_count = ma.fields.Integer(
        required=True, metadata={"description": "How many events are listed under rejected."}
    )


EVENT_SCHEMA = TrackingEventSchema()


def read_events(raw_events: list[Any]) -> tracking.EventBatch:
    """Valid events (with their indices), and an error entry (with its index) for each invalid
    one."""
    valid, positions, rejected = [], [], []
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
        positions.append(index)
    return tracking.EventBatch(valid, positions, rejected)


def refused(batch: tracking.EventBatch, summary: tracking.IngestSummary) -> list[dict[str, Any]]:
    """Error entries (as ``read_events`` makes them) for the events ingestion refused."""
    return [
        {
            "index": batch.indices[r.position],
            "event_id": r.event_id,
            "errors": [{"location": "json", "pointer": f"#/{r.field}", "detail": r.reason}],
        }
        for r in summary.rejected
    ]


@blp.route("/tracking/events")
class TrackingEvents(MethodView):
    @blp.requires(Action.INGEST_TRACKING)
    @blp.arguments(EventBatchSchema)
    @blp.response(202, IngestResultSchema)
    def post(self, data: dict[str, Any]):
        """A batch of carrier events, each with its own event_id.

        Duplicates (in the batch or sent before) count once; events are applied in time order
        whatever order they arrive in; events for tracking numbers no package has yet are kept
        and applied when the warehouse attaches or confirms the number. Invalid events, and
        events dated more than ``FI_TRACKING_MAX_FUTURE`` (default a day) after they reached us,
        are listed under ``rejected`` with their index and counted in ``rejected_count``; the
        others are still taken.
        """
        batch = read_events(data["events"])
        summary = tracking.ingest(
            db_session(),
            batch.events,
            request_now(),
            key_holder().caller,
            max_future=runtime().settings.tracking_max_future,
        )
        rejected = sorted(batch.errors + refused(batch, summary), key=lambda r: r["index"])
        return {
            "accepted": summary.accepted,
            "duplicates": summary.duplicates,
            "unmatched": summary.unmatched,
            "rejected": rejected,
            "rejected_count": len(rejected),
        }
