"""Webhook delivery as a job."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from forwarder_insure.db.session import Database
from forwarder_insure.domain.clock import FixedClock
from forwarder_insure.services.webhooks import deliver_webhooks


def deliver(database: Database, as_of: datetime) -> dict[str, int]:
    """Fan out new events and attempt every due delivery (each step its own transaction)."""
    return asdict(deliver_webhooks(database, FixedClock(as_of)))
