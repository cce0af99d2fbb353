"""Inquiries with carriers about silent parcels: reading them, closing them, and the events
that tell sellers and subscribers what happened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from forwarder_insure.db.models import Coverage, Inquiry, InquiryDocument
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.errors import Conflict, NotFound
from forwarder_insure.domain.permissions import Action, check
from forwarder_insure.domain.tracking import (
    LIVE_INQUIRY_STATUSES,
    CarrierOutcome,
    InquiryResolution,
    InquiryStatus,
    PackageStatus,
)
from forwarder_insure.services.events import emit
from forwarder_insure.services.pagination import Page, page
from forwarder_insure.services.scope import get_visible, list_visible

LIVE = LIVE_INQUIRY_STATUSES
CARRIER_OUTCOMES = tuple(o.value for o in CarrierOutcome)

#: Each step of an inquiry's life happens once, so its event id is the inquiry id plus a suffix:
#: whichever of ingestion or the sweep announces it, the outbox keeps one.
EVENT_SUFFIX = {
    "inquiry.opened": ".o",
    "inquiry.presumed_lost": ".l",
    "inquiry.resolved": ".r",
    "inquiry.confirmed_lost": ".c",
}


def get_inquiry(session: Session, caller: Caller, inquiry_id: str) -> Inquiry:
    check(caller, Action.READ_INQUIRY)
    return get_visible(session, Inquiry, inquiry_id, caller, "inquiry")


def get_letter(
    session: Session, caller: Caller, inquiry_id: str, letter_id: str
) -> InquiryDocument:
    """One of the inquiry's letters, if the caller may see the inquiry (404 otherwise)."""
    inquiry = get_inquiry(session, caller, inquiry_id)
    letter = session.get(InquiryDocument, letter_id)
    if letter is None or letter.inquiry_id != inquiry.id:
        raise NotFound(f"inquiry {inquiry_id} has no letter {letter_id}", code="letter_not_found")
    return letter


def list_query(caller: Caller, *, status: str | None, seller_id: str | None) -> Select:
    """Inquiries the caller may see (a seller: its own parcels)."""
    check(caller, Action.READ_INQUIRY)
    return list_visible(Inquiry, caller, status=status, seller_id=seller_id)


def list_page(
    session: Session,
    caller: Caller,
    *,
    status: str | None,
    seller_id: str | None,
    after: str | None,
    limit: int,
) -> Page:
    """A cursor page of the inquiries the caller may see, newest first, letters loaded."""
    query = list_query(caller, status=status, seller_id=seller_id).options(
        selectinload(Inquiry.letters)
    )
    return page(session, query, Inquiry.id, after, limit)


def live_inquiries(session: Session, coverage_ids: list[str]) -> list[Inquiry]:
    if not coverage_ids:
        return []
    return list(
        session.execute(
            select(Inquiry).where(Inquiry.coverage_id.in_(coverage_ids), Inquiry.status.in_(LIVE))
        ).scalars()
    )


def resolve(
    session: Session, inquiry: Inquiry, resolution: str, actor: Caller, now: datetime
) -> None:
    """The parcel moved, was delivered or was found: the inquiry is over."""
    inquiry.status = InquiryStatus.RESOLVED
    inquiry.resolution = resolution
    inquiry.closed_at = now
    announce(session, "inquiry.resolved", inquiry, actor, now)


def record_carrier_response(
    session: Session,
    caller: Caller,
    inquiry_id: str,
    *,
    outcome: str,
    carrier_reference: str | None,
    note: str | None,
    now: datetime,
) -> Inquiry:
    """What the carrier answered: ``found`` resolves the inquiry, ``confirmed_lost`` closes it and
    marks the parcel lost (the seller is invited to claim), ``no_answer`` is noted."""
    check(caller, Action.ANSWER_INQUIRY)
    inquiry = get_inquiry(session, caller, inquiry_id)
    if inquiry.status not in LIVE:
        raise Conflict(f"the inquiry is already {inquiry.status}", code="inquiry_closed")
    if carrier_reference:
        inquiry.carrier_reference = carrier_reference
    if note:
        inquiry.note = note
    coverage = session.get_one(Coverage, inquiry.coverage_id)
    if outcome == CarrierOutcome.FOUND:
        resolve(session, inquiry, InquiryResolution.FOUND, caller, now)
    elif outcome == CarrierOutcome.CONFIRMED_LOST:
        inquiry.status = InquiryStatus.CLOSED
        inquiry.resolution = InquiryResolution.CONFIRMED_LOST
        inquiry.closed_at = now
        coverage.package_status = PackageStatus.PRESUMED_LOST
        coverage.inquiry_due_at = None
        coverage.loss_due_at = None
        announce(session, "inquiry.confirmed_lost", inquiry, caller, now)
    else:
        announce(session, "inquiry.carrier_no_answer", inquiry, caller, now)
    session.flush()
    return inquiry


def announce(session: Session, event: str, inquiry: Inquiry, actor: Caller, now: datetime) -> None:
    coverage = session.get(Coverage, inquiry.coverage_id)
    suffix = EVENT_SUFFIX.get(event)
    emit(
        session,
        event,
        event_id=inquiry.id + suffix if suffix else None,
        subject_type="inquiry",
        subject_id=inquiry.id,
        seller_id=inquiry.seller_id,
        data={
            "inquiry_id": inquiry.id,
            "coverage_id": inquiry.coverage_id,
            "status": inquiry.status,
            "resolution": inquiry.resolution,
            "carrier": coverage.carrier if coverage else None,
            "tracking_number": coverage.tracking_number if coverage else None,
        },
        actor=actor,
        now=now,
    )
