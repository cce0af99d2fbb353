"""Housekeeping jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from forwarder_insure.services import idempotency, tracking_feeds


def purge_idempotency_keys(session: Session, as_of: datetime) -> dict[str, int]:
    """Forget stored Idempotency-Key answers past their lifetime."""
    return {"purged": idempotency.purge_expired(session, as_of)}


def purge_feed_payloads(session: Session, as_of: datetime) -> dict[str, int]:
    """Delete stored tracking-provider pushes past their retention."""
    return {"purged": tracking_feeds.purge_expired(session, as_of)}
