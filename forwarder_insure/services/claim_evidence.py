"""Evidence we already hold, attached without asking anybody for it.

When a claim is filed we add what our own records prove: a delivery record (the parcel's
tracking history as a PDF snapshot), a hand-over record where the carrier scanned the parcel
into its network, and any carrier loss letter ops have attached to the parcel's inquiry. Our
records are only as good as the tracking number: a number only the seller attached (not yet
confirmed by the warehouse, which prints the labels) earns no record of ours. A letter
attached to an inquiry later reaches the parcel's claim at once. The seller is left with only
what it alone can supply.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Claim, Coverage, InquiryDocument, TrackingEvent
from forwarder_insure.documents.delivery_record_pdf import (
    DeliveryRecord,
    TrackingLine,
    render_delivery_record,
)
from forwarder_insure.documents.handover_record_pdf import HandoverRecord, render_handover_record
from forwarder_insure.domain.access import SYSTEM, Caller
from forwarder_insure.domain.claim_rules import ClaimRules
from forwarder_insure.domain.claims import (
    STANDING_STATUSES,
    TAKES_DOCUMENTS,
    DocumentKind,
    DocumentSource,
)
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.permissions import Action, check
from forwarder_insure.domain.tracking import NOT_A_SCAN
from forwarder_insure.services import claim_documents, tracking
from forwarder_insure.services.claim_documents import OnFailure
from forwarder_insure.services.inquiries import get_inquiry
from forwarder_insure.storage import DocumentStore, StoredDocument


def attach_known_evidence(
    session: Session,
    store: DocumentStore,
    claim: Claim,
    coverage: Coverage,
    rules: ClaimRules,
    now: datetime,
    on_failure: OnFailure,
) -> None:
    """Attach the delivery record, the hand-over record (if the carrier ever scanned the parcel)
    and the carrier letters from the parcel's inquiries to a newly filed claim. A tracking number
    the warehouse has not confirmed earns neither record: ops supply them if they are due."""
    if coverage.tracking_number is None or coverage.tracking_confirmed:
        _attach_records(session, store, claim, coverage, rules, now, on_failure)
    letters = session.scalars(
        select(InquiryDocument)
        .where(InquiryDocument.coverage_id == coverage.id)
        .order_by(InquiryDocument.uploaded_at, InquiryDocument.id)
    )
    for letter in letters:
        claim_documents.record(
            session, claim, DocumentKind(letter.kind), _stored(letter), SYSTEM, rules, now,
            DocumentSource.INQUIRY,
        )  # fmt: skip


def _attach_records(
    session: Session,
    store: DocumentStore,
    claim: Claim,
    coverage: Coverage,
    rules: ClaimRules,
    now: datetime,
    on_failure: OnFailure,
) -> None:
    events = tracking.history(session, coverage.id)
    record_pdf = render_delivery_record(_delivery_record(coverage, events, now))
    _attach_generated(
        session, store, claim, DocumentKind.DELIVERY_RECORD, record_pdf,
        f"delivery-record-{coverage.certificate_number}.pdf", rules, now, on_failure,
    )  # fmt: skip
    first_scan = next((e for e in events if e.code not in NOT_A_SCAN), None)
    if first_scan is not None:
        handover_pdf = render_handover_record(_handover_record(coverage, first_scan, now))
        _attach_generated(
            session, store, claim, DocumentKind.DELIVERY_CERTIFICATE, handover_pdf,
            f"handover-record-{coverage.certificate_number}.pdf", rules, now, on_failure,
        )  # fmt: skip


def attach_loss_letter(
    session: Session,
    store: DocumentStore,
    caller: Caller,
    inquiry_id: str,
    *,
    stream: IO[bytes],
    declared_name: str | None,
    rules: ClaimRules,
    now: datetime,
    on_failure: OnFailure,
) -> InquiryDocument:
    """Keep the carrier's loss or damage letter with the inquiry, and hand it to the parcel's
    claim if one stands and still takes documents (a later claim receives it when filed)."""
    check(caller, Action.ATTACH_LETTER)
    inquiry = get_inquiry(session, caller, inquiry_id)
    stored = store.put(stream, declared_name=declared_name)
    on_failure(lambda: store.delete(stored.key))
    letter = InquiryDocument(
        id=new_id("idoc"),
        inquiry_id=inquiry.id,
        coverage_id=inquiry.coverage_id,
        kind=DocumentKind.CARRIER_LOSS_LETTER.value,
        storage_key=stored.key,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=caller.actor,
        uploaded_at=now,
    )
    session.add(letter)
    session.flush()
    taking = STANDING_STATUSES & TAKES_DOCUMENTS
    # The claim's row lock, as every step on a claim takes it (scope.lock_visible): a letter
    # arriving while the claim is approved, withdrawn or paid waits for that step, then sees
    # the claim as it left it (PostgreSQL re-checks the status of a row it waited for).
    claim = session.scalars(
        select(Claim)
        .where(
            Claim.coverage_id == inquiry.coverage_id,
            Claim.status.in_([s.value for s in taking]),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if claim is not None:
        claim_documents.record(
            session, claim, DocumentKind.CARRIER_LOSS_LETTER, stored, caller, rules, now,
            DocumentSource.INQUIRY,
        )  # fmt: skip
    return letter


def _delivery_record(
    coverage: Coverage, events: list[TrackingEvent], now: datetime
) -> DeliveryRecord:
    return DeliveryRecord(
        certificate_number=coverage.certificate_number,
        coverage_id=coverage.id,
        carrier=coverage.carrier,
        service=coverage.service,
        tracking_number=coverage.tracking_number,
        origin_country=coverage.origin_country,
        destination_country=coverage.destination_country,
        package_status=coverage.package_status,
        bound_at=coverage.bound_at,
        first_scan_at=coverage.first_scan_at,
        last_event_at=coverage.last_event_at,
        generated_at=now,
        events=tuple(
            TrackingLine(
                occurred_at=e.occurred_at,
                code=e.code,
                description=e.description,
                location=e.location,
                leg=_leg(coverage, e),
            )
            for e in events
        ),
        last_mile_carrier=coverage.last_mile_carrier,
        last_mile_tracking_number=coverage.last_mile_tracking_number,
    )


def _leg(coverage: Coverage, event: TrackingEvent) -> str | None:
    """Which leg of a two-leg parcel an event was reported on (events keep their number)."""
    if coverage.last_mile_tracking_number is None:
        return None
    last_mile = (coverage.last_mile_carrier, coverage.last_mile_tracking_number)
    return "last mile" if (event.carrier, event.tracking_number) == last_mile else "main"


def _handover_record(coverage: Coverage, scan: TrackingEvent, now: datetime) -> HandoverRecord:
    return HandoverRecord(
        certificate_number=coverage.certificate_number,
        coverage_id=coverage.id,
        order_reference=coverage.order_reference,
        package_reference=coverage.package_reference,
        carrier=coverage.carrier,
        service=coverage.service,
        tracking_number=coverage.tracking_number,
        handed_over_at=scan.occurred_at,
        scan_code=scan.code,
        scan_location=scan.location,
        scan_description=scan.description,
        generated_at=now,
    )


def _attach_generated(
    session: Session,
    store: DocumentStore,
    claim: Claim,
    kind: DocumentKind,
    pdf: bytes,
    name: str,
    rules: ClaimRules,
    now: datetime,
    on_failure: OnFailure,
) -> None:
    # Our own records are not uploads: the upload size limit does not apply to them.
    stored = store.put(io.BytesIO(pdf), declared_name=name, max_bytes=max(len(pdf), 1))
    on_failure(lambda: store.delete(stored.key))
    claim_documents.record(session, claim, kind, stored, SYSTEM, rules, now, DocumentSource.SYSTEM)


def _stored(letter: InquiryDocument) -> StoredDocument:
    return StoredDocument(
        key=letter.storage_key,
        size=letter.size,
        sha256=letter.sha256,
        content_type=letter.content_type,
        filename=letter.filename,
    )
