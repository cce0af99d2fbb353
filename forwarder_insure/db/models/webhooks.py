"""Webhook subscriptions and the delivery of each outbox event to each subscriber."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from forwarder_insure.db.base import Base, BigIntKey, JSONDocument, equals, in_list
from forwarder_insure.domain.webhooks import DeliveryStatus

#: Deliveries still to be attempted, as an index predicate.
PENDING = equals("status", DeliveryStatus.PENDING)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    #: Event type patterns: ``claim.*``, ``inquiry.opened``, ``*``.
    events: Mapped[list[str]] = mapped_column(JSONDocument)
    #: Shared secret for the FI-Signature header (the subscriber needs it back to verify).
    secret: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event to one endpoint: attempted until a 2xx answer, with exponential backoff."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        CheckConstraint(in_list("status", DeliveryStatus), name="status_known"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            sqlite_where=text(PENDING),
            postgresql_where=text(PENDING),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[str] = mapped_column(ForeignKey("outbox_events.id"))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
