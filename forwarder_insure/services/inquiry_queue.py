"""The console's inquiry queue: live inquiries, the longest-silent parcel first, and what one
inquiry's page shows beside it. "Silent since" is ``claim_predicates.silent_since`` (one row)
and ``claim_predicates.silent_since_sql`` (the order), the rule of ``domain/tracking.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forwarder_insure.db.models import Claim, Coverage, Inquiry
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.tracking import LIVE_INQUIRY_STATUSES
from forwarder_insure.services.claim_predicates import silent_since, silent_since_sql
from forwarder_insure.services.inquiries import get_inquiry, list_query
from forwarder_insure.services.pagination import numbered


@dataclass(frozen=True)
class QueueRow:
    inquiry: Inquiry
    coverage: Coverage
    #: The parcel's last scan, or its binding when never scanned: what the sweep counts from.
    silent_since: datetime
    days_silent: int


@dataclass(frozen=True)
class InquiryView:
    """One inquiry with its parcel, the parcel's claims and since when it has been silent."""

    inquiry: Inquiry
    coverage: Coverage
    claims: list[Claim]
    silent_since: datetime


def live_page(
    session: Session,
    caller: Caller,
    *,
    status: str | None,
    seller_id: str | None,
    number: int,
    size: int,
    now: datetime,
) -> tuple[list[QueueRow], bool]:
    """Page ``number`` (from 1) of ``size`` live inquiries, the longest-silent parcel first
    (ties: the oldest inquiry), and whether a next page exists."""
    query = (
        list_query(caller, status=status, seller_id=seller_id)
        .where(Inquiry.status.in_(LIVE_INQUIRY_STATUSES))
        .add_columns(Coverage)
        .join(Coverage, Coverage.id == Inquiry.coverage_id)
        .options(selectinload(Inquiry.letters))
        .order_by(None)
        .order_by(silent_since_sql().asc(), Inquiry.id.asc())
    )
    found = session.execute(numbered(query, number, size)).all()
    rows = []
    for inquiry, coverage in found[:size]:
        since = silent_since(coverage)
        rows.append(QueueRow(inquiry, coverage, since, max((now - since).days, 0)))
    return rows, len(found) > size


def inquiry_view(session: Session, caller: Caller, inquiry_id: str) -> InquiryView:
    """The inquiry (NotFound if the caller may not see it), its parcel and the parcel's claims."""
    inquiry = get_inquiry(session, caller, inquiry_id)
    coverage = session.get_one(Coverage, inquiry.coverage_id)
    claims = session.scalars(
        select(Claim).where(Claim.coverage_id == inquiry.coverage_id).order_by(Claim.id)
    ).all()
    return InquiryView(inquiry, coverage, list(claims), silent_since(coverage))
