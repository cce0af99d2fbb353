"""Tracking providers' webhook pushes as they reached us, kept for a while for ops."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forwarder_insure.db.base import Base, JSONDocument


class FeedPayload(Base):
    """One push of a tracking provider (``POST /tracking/feeds/{provider}``): what it said, cut to
    ``FI_FEED_PAYLOAD_KEEP_BYTES``, and what became of its scans. A push whose signature failed
    is recorded too, without its body, so signature failures can be counted. Deleted by the job
    ``purge-feed-payloads`` once past ``expires_at`` (received at + the retention of the time,
    ``FI_FEED_PAYLOAD_RETENTION_DAYS``).
    """

    __tablename__ = "feed_payloads"
    __table_args__ = (
        Index("ix_feed_payloads_provider_received_at", "provider", "received_at"),
        Index("ix_feed_payloads_expires_at", "expires_at"),
    )

    #: Time-ordered (``domain/ids.new_id("fpl")``).
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    signature_ok: Mapped[bool] = mapped_column(Boolean)
    #: The body's size in bytes, as received.
    size: Mapped[int] = mapped_column(Integer)
    #: The body as text (invalid UTF-8 replaced), at most the kept bytes; None for a bad signature.
    body: Mapped[str | None] = mapped_column(Text)
    truncated: Mapped[bool] = mapped_column(Boolean)
    #: The push type as sent (``tracker.updated``, ``tracking_update``, ``TRACKING_STOPPED``…).
    push_event: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    #: Checkpoints read from the push, and what became of them.
    scans: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    unmatched: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    #: Scans not ingested because their status or carrier is not in ``config/feeds.toml``.
    unknown: Mapped[int] = mapped_column(Integer)
    #: Scans of a stopped or expired tracker, or with no data (never delivered nor lost).
    ignored: Mapped[int] = mapped_column(Integer)
    #: The raw statuses (``status/sub_status``) and carrier codes no mapping knows, each once.
    unknown_statuses: Mapped[list[str]] = mapped_column(JSONDocument)
    unknown_carriers: Mapped[list[str]] = mapped_column(JSONDocument)
