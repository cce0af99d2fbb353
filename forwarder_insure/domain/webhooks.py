"""Webhook rules: who gets which event, how a delivery is signed, when a failure is retried.

Signature (API.md): ``FI-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
The timestamp is signed with the body so a receiver can refuse replays of old deliveries.
Retries back off exponentially from one minute to a day; after :data:`MAX_ATTEMPTS` the delivery
is marked failed (still visible, and it can be retried by hand).
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=24)


def subscribed(patterns: Iterable[str], event_type: str) -> bool:
    """Whether an endpoint with these patterns (``claim.*``, ``inquiry.opened``, ``*``) wants it."""
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)


def signature_header(secret: str, body: bytes, at: datetime) -> str:
    timestamp = int(at.timestamp())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, body: bytes, header: str, now: datetime, tolerance: timedelta
) -> bool:
    """What a receiver does (and what our tests do): check the MAC and the timestamp's age."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    fresh = abs(now.timestamp() - timestamp) <= tolerance.total_seconds()
    return fresh and hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


def next_attempt(attempts_made: int, now: datetime) -> datetime | None:
    """When to retry after ``attempts_made`` failed attempts; None when it is time to give up."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = min(FIRST_RETRY * (2 ** (attempts_made - 1)), LONGEST_RETRY)
    return now + delay
