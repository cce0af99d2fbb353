"""Idempotency-Key: the first successful answer to a request is replayed to its retries.

Semantics (DESIGN.md §5, after the IETF Idempotency-Key draft), scoped to the API key that sent
the request:

* same key, same request, first one finished  → the stored answer again (``Idempotent-Replayed``);
* same key, different request                  → refused (422);
* same key while the first is still running    → refused (409), the client retries later;
* a request that failed (4xx/5xx) leaves nothing behind: its transaction rolled back, so the key
  may be used again.

"In flight" is a lock, not a row: on PostgreSQL a transaction-level advisory lock on the
(API key, key) pair, taken without waiting, released by the database when the transaction ends,
even if the worker dies, so no stale "in progress" row can ever block a key. SQLite, the embedded
single-process mode, uses an in-process lock instead. The stored answer is written in the same
transaction as the change the request made.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import IdempotencyRecord

MAX_KEY_LENGTH = 255

#: Headers of the first answer that a replay repeats.
REPLAYED_HEADERS = ("Content-Type", "Location")


def fingerprint(method: str, path: str, body: bytes) -> str:
    """A digest of what the request asked for.

    JSON bodies are canonicalised (sorted keys, no insignificant white space) so that a client
    re-serialising the same object is not mistaken for sending a different request.
    """
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    digest.update(method.upper().encode("ascii") + b" " + path.encode("utf-8") + b"\n")
    digest.update(canonical)
    return digest.hexdigest()


def find(session: Session, api_key_id: str, key: str, now: datetime) -> IdempotencyRecord | None:
    """The live stored answer for this key, if any (expired ones count as absent)."""
    record = session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
        )
    ).scalar_one_or_none()
    if record is not None and record.expires_at <= now:
        session.delete(record)
        session.flush()
        return None
    return record


def remember(
    session: Session,
    *,
    api_key_id: str,
    key: str,
    request_fingerprint: str,
    status: int,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
    ttl: timedelta,
) -> None:
    """Store the answer in the current transaction (so it commits with the change it reports)."""
    session.add(
        IdempotencyRecord(
            api_key_id=api_key_id,
            key=key,
            fingerprint=request_fingerprint,
            response_status=status,
            response_headers={k: v for k, v in headers.items() if k in REPLAYED_HEADERS},
            response_body=body,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()


def purge_expired(session: Session, now: datetime) -> int:
    """Delete stored answers past their lifetime; returns how many went."""
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now))
    return max(cast(CursorResult[Any], result).rowcount or 0, 0)


@dataclass
class InFlight:
    """A claim on (API key, key) for the duration of one request; ``release`` after commit."""

    release: Callable[[], None]


_in_flight_here: set[tuple[str, str]] = set()
_in_flight_guard = threading.Lock()


def claim(session: Session, api_key_id: str, key: str) -> InFlight | None:
    """Mark the key as in flight, without waiting. None if another request holds it."""
    if session.get_bind().dialect.name == "postgresql":
        lock_id = _advisory_lock_id(api_key_id, key)
        taken = session.execute(select(func.pg_try_advisory_xact_lock(lock_id))).scalar_one()
        # The database drops the lock when this transaction ends, whatever happens to us.
        return InFlight(release=lambda: None) if taken else None
    return _claim_in_process((api_key_id, key))


def _claim_in_process(pair: tuple[str, str]) -> InFlight | None:
    with _in_flight_guard:
        if pair in _in_flight_here:
            return None
        _in_flight_here.add(pair)

    def release() -> None:
        with _in_flight_guard:
            _in_flight_here.discard(pair)

    return InFlight(release=release)


def _advisory_lock_id(api_key_id: str, key: str) -> int:
    """A signed 64-bit lock number for the pair (advisory locks take a bigint)."""
    digest = hashlib.sha256(f"idempotency\x00{api_key_id}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
