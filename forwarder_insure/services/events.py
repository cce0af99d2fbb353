"""Announcing state changes through the outbox.

:func:`emit` adds an event row to the caller's session, so it commits or rolls back with the
change it announces. A later job delivers the outbox to webhook subscribers (at least once, each
event carrying its unique id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from forwarder_insure.db.models import OutboxEvent
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.ids import new_id


def emit(
    session: Session,
    event_type: str,
    *,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any],
    actor: Caller,
    now: datetime,
    seller_id: str | None = None,
    event_id: str | None = None,
) -> OutboxEvent:
    """Record ``event_type`` (for example ``claim.approved``) in the current transaction.

    ``event_id`` is for events that can happen only once per subject and may be announced from
    two places (an inquiry's resolution): a fixed id lets the outbox keep just one.
    """
    event = OutboxEvent(
        id=event_id or new_id("evt"),
        type=event_type,
        subject_type=subject_type,
        subject_id=subject_id,
        seller_id=seller_id,
        actor=actor.actor,
        data=data,
        created_at=now,
    )
    session.add(event)
    return event
