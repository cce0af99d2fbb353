"""Tracking ingestion: carrier events in, parcel state and inquiries updated.

One call takes a batch (up to 1,000 events from the API, or a chunk of a CSV file). Events are
stored once per (carrier, event id), matched to the live coverage whose tracking number the
warehouse confirmed (a seller's unconfirmed number takes no scans: the warehouse prints the
labels, so only its word decides whose parcel a number is), and applied to each parcel under a
row lock, so concurrent batches for one parcel serialise and the sweep (which skips locked
parcels) never opens an inquiry on a parcel being delivered.
Events for numbers no package has confirmed yet are kept and applied when the warehouse attaches
or confirms the number.

A cross-border parcel may also hold a confirmed *last-mile* number (the destination carrier's,
``services/coverages.attach_last_mile``): events on either (carrier, number) apply to it. The
same one locking query finds parcels by both, so a batch still costs one lookup.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Coverage, TrackingEvent
from forwarder_insure.domain.access import SYSTEM, Caller
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.tracking import (
    DEFAULT_MAX_FUTURE,
    InquiryResolution,
    PackageStatus,
    ParcelState,
    Scan,
    apply_scans,
    deadlines,
    moved_since,
    too_far_ahead,
)
from forwarder_insure.services import inquiries
from forwarder_insure.services.upsert import dialect_insert

MAX_BATCH = 1000


@dataclass(frozen=True)
class IncomingEvent:
    event_id: str
    carrier: str
    tracking_number: str
    occurred_at: datetime
    code: str
    description: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class EventBatch:
    """A batch as read from the API or a CSV file: the valid events with their index among
    what was sent, and an error entry (``{"index", "event_id", "errors"}``) per invalid one."""

    events: list[IncomingEvent]
    indices: list[int]
    errors: list[dict[str, Any]]


@dataclass(frozen=True)
class RejectedEvent:
    """An event refused on its own; the rest of its batch is still taken."""

    #: Its position in the batch handed to ``ingest``.
    position: int
    event_id: str
    #: The field at fault, and why (for a person).
    field: str
    reason: str


@dataclass
class IngestSummary:
    accepted: int = 0
    duplicates: int = 0
    unmatched: int = 0
    rejected: list[RejectedEvent] = field(default_factory=list)

    def add(self, other: IngestSummary) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.unmatched += other.unmatched
        self.rejected += other.rejected

    def counts(self) -> dict[str, int]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "unmatched": self.unmatched,
            "rejected": len(self.rejected),
        }


def history(session: Session, coverage_id: str) -> list[TrackingEvent]:
    """A parcel's carrier events, oldest first (the claim page and the delivery record)."""
    return list(
        session.scalars(
            select(TrackingEvent)
            .where(TrackingEvent.coverage_id == coverage_id)
            .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
        )
    )


def ingest(
    session: Session,
    events: Sequence[IncomingEvent],
    now: datetime,
    actor: Caller = SYSTEM,
    *,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> IngestSummary:
    """Store and apply one batch of valid events; duplicates (in the batch or before) count once.

    An event dated more than ``max_future`` after ``now`` is rejected on its own (listed in the
    summary with its position), and the rest of the batch is taken.
    """
    summary = IngestSummary()
    unique: dict[tuple[str, str], IncomingEvent] = {}
    for position, event in enumerate(events):
        if too_far_ahead(event.occurred_at, now, max_future):
            summary.rejected.append(
                RejectedEvent(
                    position,
                    event.event_id,
                    "occurred_at",
                    "The event is dated more than "
                    f"{max_future.total_seconds() / 3600:g} hours after it reached us.",
                )
            )
            continue
        key = (event.carrier, event.event_id)
        if key in unique:
            summary.duplicates += 1
        else:
            unique[key] = event
    if not unique:
        return summary
    # Lock the parcels first (in id order, so concurrent batches cannot deadlock), then store the
    # events already matched to them.
    pairs = {(e.carrier, e.tracking_number) for e in unique.values()}
    parcels = _lock_live_parcels(session, pairs)
    by_number = _by_number(parcels, pairs)
    stored = _store_new(session, list(unique.values()), by_number, now)
    summary.duplicates += len(unique) - len(stored)
    summary.accepted = len(stored)
    scans: dict[str, list[Scan]] = defaultdict(list)
    for event in stored:
        parcel = by_number.get((event.carrier, event.tracking_number))
        if parcel is None:
            summary.unmatched += 1
        else:
            scans[parcel.id].append(Scan(event.occurred_at, event.code))
    _apply(session, [p for p in parcels if p.id in scans], scans, now, actor)
    return summary


def apply_waiting_events(
    session: Session, coverage: Coverage, now: datetime, actor: Caller, *, last_mile: bool = False
) -> int:
    """Attach and apply events that arrived before the warehouse confirmed this parcel's number
    (its last-mile number with ``last_mile``)."""
    if last_mile:
        carrier, number = coverage.last_mile_carrier, coverage.last_mile_tracking_number
    else:
        carrier, number = coverage.carrier, coverage.tracking_number
    if carrier is None or number is None:
        return 0
    waiting = list(
        session.execute(
            select(TrackingEvent).where(
                TrackingEvent.carrier == carrier,
                TrackingEvent.tracking_number == number,
                TrackingEvent.coverage_id.is_(None),
            )
        ).scalars()
    )
    if not waiting:
        return 0
    for event in waiting:
        event.coverage_id = coverage.id
    session.flush()
    [parcel] = [p for p in _lock_live_parcels(session, {(carrier, number)}) if p.id == coverage.id]
    _apply(
        session, [parcel], {parcel.id: [Scan(e.occurred_at, e.code) for e in waiting]}, now, actor
    )
    session.expire(coverage)
    return len(waiting)


#: What ingestion needs of a parcel (read as plain rows: updates are written in bulk).
PARCEL_COLUMNS = (
    Coverage.id,
    Coverage.carrier,
    Coverage.tracking_number,
    Coverage.tracking_confirmed_at,
    Coverage.last_mile_carrier,
    Coverage.last_mile_tracking_number,
    Coverage.last_mile_confirmed_at,
    Coverage.package_status,
    Coverage.last_event_at,
    Coverage.first_scan_at,
    Coverage.bound_at,
    Coverage.silent_period_days,
    Coverage.loss_window_days,
)


def _lock_live_parcels(session: Session, pairs: set[tuple[str, str]]) -> list[Row]:
    """Live coverages holding these (carrier, tracking number) pairs as warehouse-confirmed main
    or last-mile numbers (at most one each), row-locked in id order.

    One query: per carrier, a plain IN list on the main and on the last-mile pair, which the two
    partial unique indexes on live confirmed numbers answer (a bitmap OR on PostgreSQL). One
    statement keeps the locks in one id order, so batches cannot deadlock even when a parcel is
    reached through two carriers.
    """
    numbers: dict[str, list[str]] = defaultdict(list)
    for carrier, number in pairs:
        numbers[carrier].append(number)
    arms = []
    for carrier, carrier_numbers in sorted(numbers.items()):
        listed = sorted(carrier_numbers)
        arms.append(
            and_(
                Coverage.carrier == carrier,
                Coverage.tracking_number.in_(listed),
                Coverage.tracking_number.is_not(None),
                Coverage.status == CoverageStatus.ACTIVE,
                Coverage.tracking_confirmed_at.is_not(None),
            )
        )
        arms.append(
            and_(
                Coverage.last_mile_carrier == carrier,
                Coverage.last_mile_tracking_number.in_(listed),
                Coverage.last_mile_tracking_number.is_not(None),
                Coverage.status == CoverageStatus.ACTIVE,
                Coverage.last_mile_confirmed_at.is_not(None),
            )
        )
    return list(
        session.execute(
            select(*PARCEL_COLUMNS).where(or_(*arms)).order_by(Coverage.id).with_for_update()
        ).all()
    )


def _by_number(parcels: list[Row], pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Row]:
    """Each asked (carrier, number) to the parcel holding it as a confirmed main or last-mile
    number."""
    found: dict[tuple[str, str], Row] = {}
    for p in parcels:
        if p.tracking_confirmed_at is not None and (p.carrier, p.tracking_number) in pairs:
            found[(p.carrier, p.tracking_number)] = p
        lm = (p.last_mile_carrier, p.last_mile_tracking_number)
        if p.last_mile_confirmed_at is not None and lm in pairs:
            found[lm] = p
    return found


def _store_new(
    session: Session,
    events: list[IncomingEvent],
    parcels: dict[tuple[str, str], Row],
    now: datetime,
) -> list[IncomingEvent]:
    """Insert the events not seen before (matched to their parcel); returns those."""
    rows = []
    for e in events:
        parcel = parcels.get((e.carrier, e.tracking_number))
        rows.append(
            {
                "carrier": e.carrier,
                "event_id": e.event_id,
                "tracking_number": e.tracking_number,
                "occurred_at": e.occurred_at,
                "code": e.code,
                "description": e.description,
                "location": e.location,
                "received_at": now,
                "coverage_id": parcel.id if parcel is not None else None,
            }
        )
    # One cached statement executed for many rows: SQLAlchemy batches it into multi-row VALUES
    # ("insertmanyvalues"), so a thousand events are a few round trips, not a thousand.
    statement = (
        dialect_insert(session, TrackingEvent)
        .on_conflict_do_nothing(index_elements=["carrier", "event_id"])
        .returning(TrackingEvent.carrier, TrackingEvent.event_id)
    )
    by_key = {(e.carrier, e.event_id): e for e in events}
    inserted = session.connection().execute(statement, rows)
    return [by_key[(row.carrier, row.event_id)] for row in inserted]


def _apply(
    session: Session,
    parcels: list[Row],
    scans: dict[str, list[Scan]],
    now: datetime,
    actor: Caller,
) -> None:
    """New states by the pure rule, written in one bulk UPDATE; movers' inquiries resolved."""
    changes = []
    states: dict[str, ParcelState] = {}
    for parcel in parcels:
        before = ParcelState(parcel.package_status, parcel.last_event_at, parcel.first_scan_at)
        after = apply_scans(before, scans[parcel.id])
        states[parcel.id] = after
        if after == before:
            continue
        due = deadlines(
            after.status,
            after.last_event_at,
            parcel.bound_at,
            timedelta(days=parcel.silent_period_days),
            timedelta(days=parcel.loss_window_days),
        )
        changes.append(
            {
                "id": parcel.id,
                "package_status": after.status,
                "last_event_at": after.last_event_at,
                "first_scan_at": after.first_scan_at,
                "inquiry_due_at": due.inquiry_due_at,
                "loss_due_at": due.loss_due_at,
            }
        )
    if changes:
        session.execute(update(Coverage), changes)
    for inquiry in inquiries.live_inquiries(session, list(states)):
        state = states[inquiry.coverage_id]
        if moved_since(inquiry.last_event_at, state):
            resolution = (
                InquiryResolution.DELIVERED
                if state.status == PackageStatus.DELIVERED
                else InquiryResolution.MOVED
            )
            inquiries.resolve(session, inquiry, resolution, actor, now)
    session.flush()
