"""Carrier tracking events and the inquiries the sweep opens on silent parcels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forwarder_insure.db.base import Base, BigIntKey, in_list
from forwarder_insure.domain.claims import DocumentKind
from forwarder_insure.domain.tracking import EVENT_CODES, LIVE_INQUIRY_STATUSES, InquiryStatus

#: The index predicate of live inquiries (a package has at most one).
LIVE_INQUIRY = in_list("status", LIVE_INQUIRY_STATUSES)


class TrackingEvent(Base):
    """One carrier event, kept once per (carrier, event id) whatever the number of deliveries."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("carrier", "event_id"),
        CheckConstraint(in_list("code", EVENT_CODES), name="code_known"),
        Index("ix_tracking_events_carrier_tracking_number", "carrier", "tracking_number"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    carrier: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    tracking_number: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    code: Mapped[str] = mapped_column(String(24))
    description: Mapped[str | None] = mapped_column(String(300))
    location: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime]
    #: The coverage the event belongs to, once a package with its number is known.
    coverage_id: Mapped[str | None] = mapped_column(ForeignKey("coverages.id"), index=True)


class Inquiry(Base):
    """An inquiry with the carrier about a silent parcel."""

    __tablename__ = "inquiries"
    __table_args__ = (
        CheckConstraint(in_list("status", InquiryStatus), name="status_known"),
        # At most one live inquiry per package, whatever runs at once.
        Index(
            "uq_inquiries_live_coverage_id",
            "coverage_id",
            unique=True,
            sqlite_where=text(LIVE_INQUIRY),
            postgresql_where=text(LIVE_INQUIRY),
        ),
        Index("ix_inquiries_status_loss_window_ends_at", "status", "loss_window_ends_at"),
        Index("ix_inquiries_seller_id_id", "seller_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    coverage_id: Mapped[str] = mapped_column(ForeignKey("coverages.id"))
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"))
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    #: The parcel's last scan when the inquiry opened (None: never scanned).
    last_event_at: Mapped[datetime | None]
    loss_window_ends_at: Mapped[datetime]
    presumed_lost_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: How it ended: moved, delivered, found, confirmed_lost.
    resolution: Mapped[str | None] = mapped_column(String(24))
    carrier_reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(1000))

    #: Letters from the carrier that ops attached (see ``InquiryDocument``).
    letters: Mapped[list[InquiryDocument]] = relationship(order_by="InquiryDocument.uploaded_at")


class InquiryDocument(Base):
    """A file ops attached to a carrier inquiry (the carrier's loss or damage letter).

    The parcel's standing claim receives it as evidence, now or when the claim is filed later.
    """

    __tablename__ = "inquiry_documents"
    __table_args__ = (
        CheckConstraint(
            in_list("kind", [DocumentKind.CARRIER_LOSS_LETTER.value]), name="kind_known"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id"), index=True)
    coverage_id: Mapped[str] = mapped_column(ForeignKey("coverages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    storage_key: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(160))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(254))
    uploaded_at: Mapped[datetime]
