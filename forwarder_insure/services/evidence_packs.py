"""A claim's evidence pack: the claim and its documents as one ZIP the insurer can check.

Staff send the pack to the insurer and read all of it. A claim's seller may download its own
pack too, and reads in it what it reads of the claim through the API: no screening (a flag may
name other sellers' claims), and staff on the timeline and as uploaders shown as ``ops``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import IO

from sqlalchemy.orm import Session

from forwarder_insure.db.models import Claim, Coverage
from forwarder_insure.documents.evidence_pack import (
    ChecklistLine,
    CoverSheet,
    Flag,
    PackDocument,
    TimelineEntry,
    write_evidence_pack,
)
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.claims import actor_seen_by_seller
from forwarder_insure.services.claim_timeline import as_seen_by_seller, seller_actors
from forwarder_insure.services.claims import checklist, get_claim
from forwarder_insure.storage import DocumentStore


def write_pack(
    session: Session,
    store: DocumentStore,
    caller: Caller,
    claim_id: str,
    out: IO[bytes],
    now: datetime,
) -> Claim:
    """Write the pack of a claim the caller may see to ``out`` (a temporary file: if a stored
    file no longer matches its recorded hash, writing stops and ``out`` must be discarded).
    Staff get the full pack; anyone else (the claim's seller) the seller's reading of it."""
    claim = get_claim(session, caller, claim_id)
    coverage = session.get_one(Coverage, claim.coverage_id)
    keys = {d.id: d.storage_key for d in claim.documents}
    if caller.is_staff:
        cover = cover_sheet(claim, coverage, now)
    else:
        cover = seller_cover_sheet(claim, coverage, now, seller_actors(session, claim.seller_id))
    write_evidence_pack(out, cover, lambda d: store.open(keys[d.document_id]))
    return claim


def cover_sheet(claim: Claim, coverage: Coverage, now: datetime) -> CoverSheet:
    """The cover sheet staff and the insurer read: screening flags, every actor as recorded."""
    return _sheet(
        claim,
        coverage,
        now,
        uploader=lambda actor: actor,
        flags=tuple(Flag(f["code"], f["detail"]) for f in claim.risk_flags),
        timeline=tuple(TimelineEntry(t.at, t.actor, t.event, t.detail) for t in claim.timeline),
    )


def seller_cover_sheet(
    claim: Claim, coverage: Coverage, now: datetime, own_actors: frozenset[str]
) -> CoverSheet:
    """The cover sheet of the claim's seller (``own_actors`` from
    :func:`~forwarder_insure.services.claim_timeline.seller_actors`): no screening section, the
    timeline as the seller reads it in the API, and staff uploaders as ``ops``."""
    return _sheet(
        claim,
        coverage,
        now,
        uploader=lambda actor: actor_seen_by_seller(actor, own_actors),
        flags=None,
        timeline=tuple(
            TimelineEntry(line.at, line.actor, line.event, line.detail)
            for line in as_seen_by_seller(claim, own_actors)
        ),
    )


def _sheet(
    claim: Claim,
    coverage: Coverage,
    now: datetime,
    *,
    uploader: Callable[[str], str],
    flags: tuple[Flag, ...] | None,
    timeline: tuple[TimelineEntry, ...],
) -> CoverSheet:
    """The facts every reader of the pack gets; who reads it decides ``uploader`` (how an
    uploader is named), ``flags`` and ``timeline``."""
    return CoverSheet(
        claim_id=claim.id,
        claim_kind=claim.kind,
        claim_status=claim.status,
        seller_id=claim.seller_id,
        coverage_id=coverage.id,
        certificate_number=coverage.certificate_number,
        underwriter_name=coverage.underwriter.name,
        amount_claimed=claim.amount_claimed,
        amount_approved=claim.amount_approved,
        insured_value=coverage.insured_value,
        deductible=coverage.deductible,
        description=claim.description,
        submitted_at=claim.submitted_at,
        grace_deadline=claim.grace_deadline,
        generated_at=now,
        checklist=tuple(
            ChecklistLine(e.kind.value, e.stage.value, e.status) for e in checklist(claim)
        ),
        documents=tuple(
            PackDocument(
                document_id=d.id,
                kind=d.kind,
                filename=d.filename,
                content_type=d.content_type,
                size=d.size,
                sha256=d.sha256,
                uploaded_at=d.uploaded_at,
                uploaded_by=uploader(d.uploaded_by),
                status=d.status,
            )
            for d in claim.documents
        ),
        flags=flags,
        timeline=timeline,
    )
