"""The tracking sweep: inquiries for silent parcels, presumed loss after the loss window.

Set-based from start to end: each step is one statement over the rows that are due, found
through an index on a precomputed deadline (``coverages.inquiry_due_at``, a partial index that
holds only watched parcels), never a loop over parcels in Python. One sweep is one transaction,
so a sweep killed halfway leaves nothing behind, and each step only touches rows still in the
state it changes, so running it twice, or two at once, does each thing once: the partial unique
index on live inquiries refuses a second inquiry for a parcel, and parcels row-locked by tracking
ingestion are skipped (``SKIP LOCKED``) until the next run. Event ids are derived from the
inquiry id (as ingestion's are), so an announcement can never be written twice. Inquiry ids are
made by the database but time-ordered like every other id (``domain/ids.py``), so the inquiry
queue, newest first, is in the order the inquiries were opened.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Exists, and_, case, exists, literal, or_, select, text, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from forwarder_insure.db.models import Coverage, Inquiry, OutboxEvent
from forwarder_insure.db.models.tracking import LIVE_INQUIRY
from forwarder_insure.db.sql import json_object, time_ordered_id
from forwarder_insure.domain.access import SYSTEM
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.ids import time_head
from forwarder_insure.domain.tracking import (
    WATCHED_STATUSES,
    InquiryResolution,
    InquiryStatus,
    PackageStatus,
)
from forwarder_insure.services.inquiries import EVENT_SUFFIX, LIVE
from forwarder_insure.services.upsert import dialect_insert


@dataclass
class SweepSummary:
    opened: int = 0
    presumed_lost: int = 0
    resolved: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep(session: Session, as_of: datetime) -> SweepSummary:
    """Run every step of the sweep as of ``as_of`` in the caller's transaction."""
    summary = SweepSummary()
    summary.resolved = _resolve_moved(session, as_of)
    summary.opened = _open_due(session, as_of)
    summary.presumed_lost = _presume_lost(session, as_of)
    return summary


def _live_inquiry_of(coverage_id: ColumnElement[str] | InstrumentedAttribute[str]) -> Exists:
    return exists().where(Inquiry.coverage_id == coverage_id, Inquiry.status.in_(LIVE))


def _open_due(session: Session, as_of: datetime) -> int:
    """An inquiry for every watched parcel whose silent period has passed."""
    due = (
        select(
            time_ordered_id(time_head("inq")),
            Coverage.id,
            Coverage.seller_id,
            literal(InquiryStatus.OPEN, type_=Inquiry.status.type),
            literal(as_of, type_=Inquiry.opened_at.type),
            Coverage.last_event_at,
            Coverage.loss_due_at,
        )
        .where(
            Coverage.inquiry_due_at <= as_of,
            Coverage.status == CoverageStatus.ACTIVE,
            Coverage.package_status.in_(WATCHED_STATUSES),
            ~_live_inquiry_of(Coverage.id),
        )
        .with_for_update(of=Coverage, skip_locked=True)
    )
    insert = (
        dialect_insert(session, Inquiry)
        .from_select(
            [
                "id",
                "coverage_id",
                "seller_id",
                "status",
                "opened_at",
                "last_event_at",
                "loss_window_ends_at",
            ],
            due,
        )
        .on_conflict_do_nothing(index_elements=["coverage_id"], index_where=text(LIVE_INQUIRY))
        .returning(Inquiry.id)
    )
    # Counted from RETURNING: drivers do not agree on rowcount for INSERT … SELECT … ON CONFLICT.
    opened = len(session.execute(insert).all())
    if opened:
        # A parcel with a live inquiry is no longer due: its next deadline is the loss window.
        session.execute(
            update(Coverage)
            .where(Coverage.inquiry_due_at <= as_of, _live_inquiry_of(Coverage.id))
            .values(inquiry_due_at=None)
            .execution_options(synchronize_session=False)
        )
        _announce(session, "inquiry.opened", Inquiry.opened_at == as_of, as_of)
    return opened


def _presume_lost(session: Session, as_of: datetime) -> int:
    """Open inquiries whose parcel stayed silent through the loss window: presumed lost."""
    result = session.execute(
        update(Inquiry)
        .where(Inquiry.status == InquiryStatus.OPEN, Inquiry.loss_window_ends_at <= as_of)
        .values(status=InquiryStatus.PRESUMED_LOST, presumed_lost_at=as_of)
        .execution_options(synchronize_session=False)
    )
    lost = cast(CursorResult[Any], result).rowcount or 0
    # Driven from the (few) inquiries just marked, not from the (many) coverages.
    just_lost = select(Inquiry.coverage_id).where(
        Inquiry.status == InquiryStatus.PRESUMED_LOST, Inquiry.presumed_lost_at == as_of
    )
    session.execute(
        update(Coverage)
        .where(Coverage.id.in_(just_lost), Coverage.package_status.in_(WATCHED_STATUSES))
        .values(package_status=PackageStatus.PRESUMED_LOST, inquiry_due_at=None, loss_due_at=None)
        .execution_options(synchronize_session=False)
    )
    if lost > 0:
        _announce(
            session,
            "inquiry.presumed_lost",
            and_(Inquiry.status == InquiryStatus.PRESUMED_LOST, Inquiry.presumed_lost_at == as_of),
            as_of,
        )
    return max(lost, 0)


def _resolve_moved(session: Session, as_of: datetime) -> int:
    """A safety net behind ingestion, which resolves an inquiry the moment its parcel moves.

    Only parcels that are due again are looked at: a parcel that moved has new deadlines, so a
    live inquiry left behind on it shows up here when those come round, and the check costs
    nothing for the many parcels that are not due.
    """
    # Materialised first, so the plan starts from the (few) due parcels whatever the statistics.
    due_again = (
        select(Coverage.id, Coverage.last_event_at)
        .where(Coverage.inquiry_due_at <= as_of, Coverage.last_event_at.is_not(None))
        .cte("due_again")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    moved = (
        select(due_again.c.id)
        .where(
            due_again.c.id == Inquiry.coverage_id,
            or_(
                Inquiry.last_event_at.is_(None),
                due_again.c.last_event_at > Inquiry.last_event_at,
            ),
        )
        .exists()
    )
    resolution = (
        select(
            case(
                (
                    Coverage.package_status == PackageStatus.DELIVERED,
                    InquiryResolution.DELIVERED.value,
                ),
                else_=InquiryResolution.MOVED.value,
            )
        )
        .where(Coverage.id == Inquiry.coverage_id)
        .scalar_subquery()
    )
    # Counted from RETURNING: sqlite3 reports no rowcount for a statement starting with WITH.
    resolved = len(
        session.execute(
            update(Inquiry)
            .add_cte(due_again)
            .where(Inquiry.status.in_(LIVE), moved)
            .values(status=InquiryStatus.RESOLVED, closed_at=as_of, resolution=resolution)
            .returning(Inquiry.id)
            .execution_options(synchronize_session=False)
        ).all()
    )
    if resolved > 0:
        _announce(
            session,
            "inquiry.resolved",
            and_(Inquiry.status == InquiryStatus.RESOLVED, Inquiry.closed_at == as_of),
            as_of,
        )
    return resolved


def _announce(session: Session, event: str, which, as_of: datetime) -> None:
    """One outbox event per inquiry matched by ``which``; ids derived from the inquiry id."""
    rows = (
        select(
            Inquiry.id + f"{EVENT_SUFFIX[event]}",
            literal(event),
            literal("inquiry"),
            Inquiry.id,
            Inquiry.seller_id,
            literal(SYSTEM.actor),
            json_object(
                inquiry_id=Inquiry.id,
                coverage_id=Inquiry.coverage_id,
                status=Inquiry.status,
                resolution=Inquiry.resolution,
                carrier=Coverage.carrier,
                tracking_number=Coverage.tracking_number,
            ),
            literal(as_of, type_=OutboxEvent.created_at.type),
        )
        .join(Coverage, Coverage.id == Inquiry.coverage_id)
        .where(which)
    )
    session.execute(
        dialect_insert(session, OutboxEvent)
        .from_select(
            [
                "id",
                "type",
                "subject_type",
                "subject_id",
                "seller_id",
                "actor",
                "data",
                "created_at",
            ],
            rows,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
