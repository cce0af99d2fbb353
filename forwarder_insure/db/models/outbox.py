"""The event outbox: every state change worth announcing, written in the same transaction as the
change itself, so an event is never lost nor announced for a change that rolled back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from forwarder_insure.db.base import Base, JSONDocument


class OutboxEvent(Base):
    """One event (``claim.approved``, ``inquiry.opened``, …) waiting to reach subscribers."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_created_at", "created_at"),
        Index(
            "ix_outbox_events_undispatched",
            "created_at",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
    )

    #: Unique event id, sent to subscribers so they can drop duplicates (at-least-once delivery).
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    seller_id: Mapped[str | None] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(254))
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime]
    #: When the event was fanned out to its subscribers' delivery queues (None: not yet).
    dispatched_at: Mapped[datetime | None]
