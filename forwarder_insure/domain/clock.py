"""Time: aware UTC datetimes and an injectable clock.

Every rule that depends on "now" takes a :class:`Clock` (or an explicit ``as_of``), so tests and
the CLI's ``--as-of`` can move time without patching anything.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told; tests and ``--as-of`` runs move it explicitly."""

    def __init__(self, at: datetime):
        self._at = ensure_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = ensure_utc(at)

    def advance(self, **delta: float) -> datetime:
        self._at = self._at + timedelta(**delta)
        return self._at


def ensure_utc(value: datetime) -> datetime:
    """Refuse naive datetimes (they are ambiguous) and convert aware ones to UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} has no timezone; times must be timezone-aware")
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant such as ``2026-11-21T10:30:00Z``; an offset is required."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    return ensure_utc(value)


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as the API prints times."""
    text = ensure_utc(value).isoformat()
    return text.replace("+00:00", "Z")
