"""Gathering the facts screening looks at, from the claim, its coverage and the seller's history.

A claim is screened when it is submitted and again whenever its evidence changes afterwards (a
document arrives or is rejected), so a reused invoice sent during the grace period is still seen.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Claim, ClaimDocument, Coverage, Inquiry
from forwarder_insure.domain.access import SYSTEM
from forwarder_insure.domain.claim_rules import ClaimRules
from forwarder_insure.domain.claims import FINAL_STATUSES, ClaimStatus, DocumentSource
from forwarder_insure.domain.screening import ClaimFacts, Screening, screen
from forwarder_insure.domain.tracking import PackageStatus
from forwarder_insure.services.claim_timeline import log


def screen_claim(session: Session, claim: Claim, rules: ClaimRules, now: datetime) -> Screening:
    """Screen ``claim`` now and store the score and flags on it."""
    result = screen(facts_for(session, claim, rules, now), rules.screening)
    claim.risk_score = result.score
    claim.risk_flags = [
        {"code": f.code, "detail": f.detail, "weight": f.weight} for f in result.flags
    ]
    return result


def rescreen(session: Session, claim: Claim, rules: ClaimRules, now: datetime) -> None:
    """Screen a submitted claim again after its evidence changed; a change of flags goes on the
    timeline. Drafts are screened when they are submitted, finished claims no more."""
    if claim.submitted_at is None or ClaimStatus(claim.status) in FINAL_STATUSES:
        return
    before = sorted(f["code"] for f in claim.risk_flags)
    after = sorted(f.code for f in screen_claim(session, claim, rules, now).flags)
    if after != before:
        log(session, claim, SYSTEM, "rescreened", f"flags now: {', '.join(after) or 'none'}", now)


def facts_for(session: Session, claim: Claim, rules: ClaimRules, now: datetime) -> ClaimFacts:
    coverage = session.get_one(Coverage, claim.coverage_id)
    window_start = now - rules.screening.window
    return ClaimFacts(
        kind=claim.kind,
        amount_claimed=claim.amount_claimed,
        declared_value=coverage.declared_value,
        invoice_amount=claim.invoice_amount,
        filed_at=claim.submitted_at or now,  # a claim is made when first submitted
        bound_at=coverage.bound_at,
        first_scan_at=coverage.first_scan_at,
        last_event_at=coverage.last_event_at,
        delivered=coverage.package_status == PackageStatus.DELIVERED,
        silent_period=timedelta(days=coverage.silent_period_days),
        inquiry_opened_before_binding=_earlier_inquiry(session, coverage),
        reused_evidence=_reused_evidence(session, claim),
        seller_claims_in_window=session.execute(
            select(func.count())
            .select_from(Claim)
            .where(Claim.seller_id == claim.seller_id, Claim.created_at >= window_start)
        ).scalar_one(),
        seller_coverages_in_window=session.execute(
            select(func.count())
            .select_from(Coverage)
            .where(Coverage.seller_id == claim.seller_id, Coverage.bound_at >= window_start)
        ).scalar_one(),
    )


def _earlier_inquiry(session: Session, coverage: Coverage) -> datetime | None:
    """An inquiry on the same parcel (an earlier, voided coverage) opened before this binding.
    Only numbers the warehouse confirmed name a parcel: a seller's unconfirmed attach of the
    number (a squatter's, say) says nothing about this one."""
    if not coverage.tracking_number:
        return None
    return session.execute(
        select(func.min(Inquiry.opened_at))
        .join(Coverage, Coverage.id == Inquiry.coverage_id)
        .where(
            Coverage.carrier == coverage.carrier,
            Coverage.tracking_number == coverage.tracking_number,
            Coverage.tracking_confirmed_at.is_not(None),
            Inquiry.opened_at < coverage.bound_at,
        )
    ).scalar_one()


def _reused_evidence(session: Session, claim: Claim) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """This claim's uploaded files whose exact bytes (SHA-256) were also uploaded to claims on
    other parcels. Records we generated or attached ourselves, and a claim filed again on the
    same parcel after a withdrawal, are not reuse."""
    uploaded = ClaimDocument.source == DocumentSource.UPLOAD.value
    mine = select(ClaimDocument.sha256).where(ClaimDocument.claim_id == claim.id, uploaded)
    rows = session.execute(
        select(ClaimDocument.sha256, ClaimDocument.claim_id)
        .join(Claim, Claim.id == ClaimDocument.claim_id)
        .where(
            ClaimDocument.sha256.in_(mine),
            uploaded,
            Claim.coverage_id != claim.coverage_id,
        )
        .order_by(ClaimDocument.sha256, ClaimDocument.claim_id)
    ).all()
    others: dict[str, list[str]] = {}
    for sha256, claim_id in rows:
        others.setdefault(sha256, []).append(claim_id)
    return tuple((sha, tuple(dict.fromkeys(ids))) for sha, ids in others.items())
