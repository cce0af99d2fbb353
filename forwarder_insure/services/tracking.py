"""Tracking ingestion: carrier events in, parcel state and inquiries updated.

One call takes a batch (up to 1,000 events from the API, or a chunk of a CSV file). Events are
stored once per (carrier, event id), matched to the live coverage with their tracking number,
and applied to each parcel under a row lock, so concurrent batches for one parcel serialise and
the sweep (which skips locked parcels) never opens an inquiry on a parcel being delivered.
Events for numbers no package has yet are kept and applied when the number is attached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Coverage, TrackingEvent
from forwarder_insure.domain.access import SYSTEM, Caller
from forwarder_insure.domain.tracking import (
    ParcelState,
    Scan,
    apply_scans,
    deadlines,
    moved_since,
)
from forwarder_insure.services import inquiries

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


@dataclass
class IngestSummary:
    accepted: int = 0
    duplicates: int = 0
    unmatched: int = 0

    def add(self, other: IngestSummary) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.unmatched += other.unmatched


def ingest(
    session: Session, events: Sequence[IncomingEvent], now: datetime, actor: Caller = SYSTEM
) -> IngestSummary:
    """Store and apply one batch of valid events; duplicates (in the batch or before) count once."""
    unique: dict[tuple[str, str], IncomingEvent] = {}
    for event in events:
        unique.setdefault((event.carrier, event.event_id), event)
    summary = IngestSummary(duplicates=len(events) - len(unique))
    if not unique:
        return summary
    stored = _store_new(session, list(unique.values()), now)
    summary.duplicates += len(unique) - len(stored)
    summary.accepted = len(stored)
    if not stored:
        return summary

    pairs = {(e.carrier, e.tracking_number) for e in stored.values()}
    coverages = _lock_live_coverages(session, pairs)
    by_number = {(c.carrier, c.tracking_number): c for c in coverages}
    matched: dict[str, list[int]] = defaultdict(list)
    for row_id, event in stored.items():
        coverage = by_number.get((event.carrier, event.tracking_number))
        if coverage is None:
            summary.unmatched += 1
        else:
            matched[coverage.id].append(row_id)
    if matched:
        session.execute(
            update(TrackingEvent),
            [
                {"id": row_id, "coverage_id": coverage_id}
                for coverage_id, row_ids in matched.items()
                for row_id in row_ids
            ],
        )
        scans = {
            coverage_id: [Scan(stored[i].occurred_at, stored[i].code) for i in row_ids]
            for coverage_id, row_ids in matched.items()
        }
        _apply(session, [c for c in coverages if c.id in scans], scans, now, actor)
    return summary


def apply_waiting_events(session: Session, coverage: Coverage, now: datetime, actor: Caller) -> int:
    """Attach and apply events that arrived before this coverage had its tracking number."""
    waiting = list(
        session.execute(
            select(TrackingEvent).where(
                TrackingEvent.carrier == coverage.carrier,
                TrackingEvent.tracking_number == coverage.tracking_number,
                TrackingEvent.coverage_id.is_(None),
            )
        ).scalars()
    )
    if not waiting:
        return 0
    for event in waiting:
        event.coverage_id = coverage.id
    _apply(
        session,
        [coverage],
        {coverage.id: [Scan(e.occurred_at, e.code) for e in waiting]},
        now,
        actor,
    )
    return len(waiting)


def _store_new(
    session: Session, events: list[IncomingEvent], now: datetime
) -> dict[int, IncomingEvent]:
    """Insert the events not seen before; returns them by their new row id."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(TrackingEvent)
        .values(
            [
                {
                    "carrier": e.carrier,
                    "event_id": e.event_id,
                    "tracking_number": e.tracking_number,
                    "occurred_at": e.occurred_at,
                    "code": e.code,
                    "description": e.description,
                    "location": e.location,
                    "received_at": now,
                }
                for e in events
            ]
        )
        .on_conflict_do_nothing(index_elements=["carrier", "event_id"])
        .returning(TrackingEvent.id, TrackingEvent.carrier, TrackingEvent.event_id)
    )
    by_key = {(e.carrier, e.event_id): e for e in events}
    return {row.id: by_key[(row.carrier, row.event_id)] for row in session.execute(statement)}


def _lock_live_coverages(session: Session, pairs: set[tuple[str, str]]) -> list[Coverage]:
    """Live coverages with these (carrier, tracking number) pairs, row-locked in id order."""
    query = (
        select(Coverage)
        .where(
            tuple_(Coverage.carrier, Coverage.tracking_number).in_(sorted(pairs)),
            Coverage.status == "active",
        )
        .order_by(Coverage.id)
        .with_for_update()
    )
    return list(session.execute(query).scalars())


def _apply(
    session: Session,
    coverages: list[Coverage],
    scans: dict[str, list[Scan]],
    now: datetime,
    actor: Caller,
) -> None:
    for coverage in coverages:
        before = ParcelState(
            coverage.package_status, coverage.last_event_at, coverage.first_scan_at
        )
        after = apply_scans(before, scans[coverage.id])
        if after == before:
            continue
        coverage.package_status = after.status
        coverage.last_event_at = after.last_event_at
        coverage.first_scan_at = after.first_scan_at
        due = deadlines(
            after.status,
            after.last_event_at,
            coverage.bound_at,
            timedelta(days=coverage.silent_period_days),
            timedelta(days=coverage.loss_window_days),
        )
        coverage.inquiry_due_at = due.inquiry_due_at
        coverage.loss_due_at = due.loss_due_at
    session.flush()
    by_id = {c.id: c for c in coverages}
    for inquiry in inquiries.live_inquiries(session, list(by_id)):
        coverage = by_id[inquiry.coverage_id]
        state = ParcelState(coverage.package_status, coverage.last_event_at, coverage.first_scan_at)
        if moved_since(inquiry.last_event_at, state):
            resolution = "delivered" if coverage.package_status == "delivered" else "moved"
            inquiries.resolve(session, inquiry, resolution, actor, now)
    session.flush()
