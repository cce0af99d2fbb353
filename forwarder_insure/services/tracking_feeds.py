"""A tracking provider's webhook push in: checked, read, ingested, and kept for ops.

``POST /tracking/feeds/{provider}`` hands the raw body here. The signature is checked over those
bytes before anything is parsed or stored (``domain/feed_signatures``); a refused push is
recorded in its own short transaction (provider, time, size; never its body), so signature
failures stay countable although the request itself answers 401 and rolls back. A signed push
is parsed (``domain/feeds.parse_feed``) and every scan whose status and carrier the mappings
know becomes an :class:`IncomingEvent` through the batch API's own ingest, so re-deliveries are
duplicates, checkpoints may come in any order and scans for numbers no package holds yet wait.
Scans with an unknown status or carrier are not ingested; they are counted and their raw codes
kept on the push's :class:`FeedPayload` row, with the body cut to the kept size.

Cost: ingest's queries, one insert for the payload row, and for a push naming a last-mile leg,
one lookup of the parcel; nothing per scan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Coverage, FeedPayload
from forwarder_insure.db.session import Database
from forwarder_insure.domain.access import SYSTEM
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.errors import DomainError, NotFound, Unauthenticated, Unreadable
from forwarder_insure.domain.feed_signatures import SCHEMES, verify
from forwarder_insure.domain.feeds import (
    PROVIDERS,
    FeedMappings,
    FeedParse,
    Outcome,
    ProviderScan,
    parse_feed,
)
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.tracking import DEFAULT_MAX_FUTURE
from forwarder_insure.services import coverages, tracking
from forwarder_insure.services.coverages import TRACKING_NUMBER

#: What an IncomingEvent's text columns hold at most.
MAX_DESCRIPTION, MAX_LOCATION = 300, 200


@dataclass(frozen=True)
class FeedLimits:
    """The settings a push is read under (``FI_FEED_*``, ``FI_TRACKING_MAX_FUTURE``)."""

    keep_bytes: int = 64 * 1024
    retention: timedelta = timedelta(days=30)
    max_future: timedelta = DEFAULT_MAX_FUTURE


@dataclass
class FeedReceipt:
    """What became of one push: the batch API's counts, plus what was not ingested and why."""

    payload_id: str
    summary: tracking.IngestSummary
    #: ``{"index", "event_id", "errors"}`` per scan refused on its own (a time that does not
    #: parse, a bad tracking number, dated too far ahead); ``index`` is the checkpoint's place in
    #: the push when known.
    rejected: list[dict[str, Any]] = field(default_factory=list)
    unknown: int = 0
    ignored: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.summary.accepted,
            "duplicates": self.summary.duplicates,
            "unmatched": self.summary.unmatched,
            "rejected": self.rejected,
            "rejected_count": len(self.rejected),
            "unrecognized": self.unknown,
            "ignored": self.ignored,
        }


def signature_header(provider: str) -> str:
    """The header carrying ``provider``'s signature."""
    return SCHEMES[provider][0]


def receive(
    session: Session,
    database: Database,
    mappings: FeedMappings,
    provider: str,
    raw: bytes,
    headers: Mapping[str, str],
    secrets: Sequence[str],
    now: datetime,
    limits: FeedLimits,
) -> FeedReceipt:
    """Check, read and ingest one push of ``provider``; flushes, never commits (except the
    record of a refused signature, which must outlive the refusal).

    Raises NotFound (``unknown_provider``), Unauthenticated (``invalid_signature``: wrong,
    missing, or no secret configured) and Unreadable (``invalid_json``).
    """
    known_provider(provider)
    if not verify(provider, raw, headers, secrets):
        record_refused(database, provider, len(raw), now, limits.retention)
        raise Unauthenticated(
            f"The push's {signature_header(provider)} signature is missing or does not match "
            "any secret configured for this provider.",
            code="invalid_signature",
        )
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise Unreadable("The body is not a JSON document.", code="invalid_json") from None
    parsed = parse_feed(provider, document, mappings)
    receipt, unknown_statuses, unknown_carriers = _ingest(session, parsed, now, limits)
    _attach_last_mile(session, parsed, mappings, now)
    payload = _payload_row(provider, raw, now, limits, signature_ok=True)
    payload.push_event = _cut(parsed.event, 64)
    payload.tracking_number = _cut(parsed.tracking_number, 64)
    payload.scans = len(parsed.scans) + len(parsed.rejected)
    payload.accepted = receipt.summary.accepted
    payload.duplicates = receipt.summary.duplicates
    payload.unmatched = receipt.summary.unmatched
    payload.rejected = len(receipt.rejected)
    payload.unknown = receipt.unknown
    payload.ignored = receipt.ignored
    payload.unknown_statuses = unknown_statuses
    payload.unknown_carriers = unknown_carriers
    session.add(payload)
    session.flush()
    receipt.payload_id = payload.id
    return receipt


def known_provider(provider: str) -> None:
    """Raises NotFound (``unknown_provider``) unless ``provider`` is one whose pushes we read."""
    if provider not in PROVIDERS:
        raise NotFound(
            f"{provider!r} is not a tracking provider (one of {', '.join(PROVIDERS)})",
            code="unknown_provider",
        )


def record_refused(
    database: Database, provider: str, size: int, now: datetime, retention: timedelta
) -> None:
    """Keep a push whose signature failed (no body), in its own transaction."""
    with database.unit_of_work() as session:
        session.add(_payload_row(provider, b"", now, FeedLimits(retention=retention), False, size))


def purge_expired(session: Session, now: datetime) -> int:
    """Delete stored pushes past their retention; returns how many went. Safe to run twice or
    at once: a row deleted by another run is simply not counted here."""
    result = session.execute(delete(FeedPayload).where(FeedPayload.expires_at <= now))
    return max(cast(CursorResult[Any], result).rowcount or 0, 0)


def _ingest(
    session: Session, parsed: FeedParse, now: datetime, limits: FeedLimits
) -> tuple[FeedReceipt, list[str], list[str]]:
    rejected: list[dict[str, Any]] = [
        _rejection(r.index, None, f"Checkpoint {r.index} cannot be read: {r.reason}.")
        for r in parsed.rejected
    ]
    unknown_statuses: set[str] = set()
    unknown_carriers: set[str] = set()
    unknown = ignored = 0
    events: list[tracking.IncomingEvent] = []
    number = _number(parsed.tracking_number)
    for scan in parsed.scans:
        if scan.outcome is Outcome.IGNORED:
            ignored += 1
            continue
        known = True
        if not scan.status_known:
            unknown_statuses.add(_status_of(scan))
            known = False
        if not scan.carrier_known:
            unknown_carriers.add(scan.carrier_code or "")
            known = False
        if not known:
            unknown += 1
            continue
        if number is None:
            rejected.append(
                _rejection(
                    None, scan.event_id, "The tracking number is not 4-64 letters, digits or '-'."
                )
            )
            continue
        assert scan.carrier is not None
        assert scan.code is not None
        events.append(
            tracking.IncomingEvent(
                event_id=scan.event_id,
                carrier=scan.carrier,
                tracking_number=number,
                occurred_at=scan.occurred_at,
                code=scan.code,
                description=_cut(scan.description, MAX_DESCRIPTION),
                location=_cut(scan.location, MAX_LOCATION),
            )
        )
    summary = tracking.ingest(session, events, now, SYSTEM, max_future=limits.max_future)
    rejected += [_rejection(None, r.event_id, r.reason) for r in summary.rejected]
    receipt = FeedReceipt(
        payload_id="", summary=summary, rejected=rejected, unknown=unknown, ignored=ignored
    )
    return receipt, sorted(unknown_statuses), sorted(unknown_carriers)


def _attach_last_mile(
    session: Session, parsed: FeedParse, mappings: FeedMappings, now: datetime
) -> None:
    """Where the push names the destination carrier's leg and its main number is a live
    warehouse-confirmed parcel's, record the leg (as the system; idempotent). A leg the parcel
    cannot take (already scanned under another number, held by another parcel) is left alone:
    the push is still taken."""
    leg = next((s for s in parsed.scans if s.last_mile_tracking_number), None)
    number = _number(parsed.tracking_number)
    if leg is None or number is None or leg.carrier is None or leg.last_mile_carrier is None:
        return
    last_mile_number = _number(leg.last_mile_tracking_number)
    if last_mile_number is None:
        return
    parcel = session.execute(
        select(
            Coverage.id,
            Coverage.last_mile_carrier,
            Coverage.last_mile_tracking_number,
            Coverage.last_mile_confirmed_at,
        ).where(
            Coverage.carrier == leg.carrier,
            Coverage.tracking_number == number,
            Coverage.status == CoverageStatus.ACTIVE,
            Coverage.tracking_confirmed_at.is_not(None),
        )
    ).first()
    if parcel is None:
        return
    held = (parcel.last_mile_carrier, parcel.last_mile_tracking_number)
    if held == (leg.last_mile_carrier, last_mile_number) and parcel.last_mile_confirmed_at:
        return
    try:
        with session.begin_nested():
            coverages.attach_last_mile(
                session, SYSTEM, parcel.id, leg.last_mile_carrier, last_mile_number, now
            )
    except DomainError:
        return


def _payload_row(
    provider: str,
    raw: bytes,
    now: datetime,
    limits: FeedLimits,
    signature_ok: bool,
    size: int | None = None,
) -> FeedPayload:
    kept = raw[: limits.keep_bytes]
    return FeedPayload(
        id=new_id("fpl"),
        provider=provider,
        received_at=now,
        expires_at=now + limits.retention,
        signature_ok=signature_ok,
        size=len(raw) if size is None else size,
        # Text columns cannot hold NUL (PostgreSQL); a cut may split a character: both replaced.
        body=kept.decode("utf-8", "replace").replace("\x00", "\ufffd") if signature_ok else None,
        truncated=signature_ok and len(raw) > limits.keep_bytes,
        scans=0,
        accepted=0,
        duplicates=0,
        unmatched=0,
        rejected=0,
        unknown=0,
        ignored=0,
        unknown_statuses=[],
        unknown_carriers=[],
    )


def _rejection(index: int | None, event_id: str | None, reason: str) -> dict[str, Any]:
    return {
        "index": index,
        "event_id": event_id,
        "errors": [{"location": "json", "pointer": "#", "detail": reason}],
    }


def _status_of(scan: ProviderScan) -> str:
    return "/".join(s for s in (scan.raw_status or "", scan.raw_sub_status or "") if s) or "(none)"


def _number(value: str | None) -> str | None:
    """The tracking number as our coverages hold it, or None if it is not one."""
    if value is None:
        return None
    normalised = "".join(value.split()).upper()
    return normalised if TRACKING_NUMBER.match(normalised) else None


def _cut(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]
