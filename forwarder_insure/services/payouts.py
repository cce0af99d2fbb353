"""Advancing a payout the moment a claim is payable, and taking it back when it must be.

A claim is payable when it is approved and its checklist is complete, or when it was approved
through the fast track (then before the grace documents). :func:`advance_if_payable` is called
on every change that can make a claim payable (approval, a document arriving) and by the
``advance-payouts`` job, always with the claim row locked: the advance, its ledger transaction,
the claim's new status and the ``payout.advanced`` event are written in one transaction, and a
unique claim id on payouts (and on the ledger's (kind, reference)) makes a second advance
impossible whatever runs at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Claim, Coverage, Payout, RecoveryTask
from forwarder_insure.domain import payouts as money_rules
from forwarder_insure.domain.access import SYSTEM, Caller
from forwarder_insure.domain.claims import ClaimKind, ClaimStatus, Step, check_coverage_live
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.payouts import PayoutSplit, PayoutStatus, RecoveryTaskStatus
from forwarder_insure.domain.permissions import Action, check
from forwarder_insure.domain.tracking import PackageStatus
from forwarder_insure.services import ledger
from forwarder_insure.services.claim_predicates import awaiting_underwriter_sql
from forwarder_insure.services.claim_timeline import log, transition
from forwarder_insure.services.events import emit
from forwarder_insure.services.pagination import Page, page
from forwarder_insure.services.scope import list_visible


def payable(claim: Claim) -> bool:
    return claim.status == ClaimStatus.APPROVED.value and (
        claim.fast_tracked or claim.checklist_complete_at is not None
    )


def advance_if_payable(
    session: Session, claim: Claim, actor: Caller, now: datetime
) -> Payout | None:
    """Pay the approved amount now if the claim is payable (the caller holds the row lock).
    Nothing is paid on a voided coverage: that is refused (409)."""
    if not payable(claim):
        return None
    coverage = session.get_one(Coverage, claim.coverage_id)
    check_coverage_live(coverage.status)
    amount = claim.amount_approved
    assert amount is not None  # payable() requires an approved amount
    parts = money_rules.split(amount, coverage.carrier_base_cover)
    transaction = ledger.record(
        session,
        kind="claim_payout",
        reference=claim.id,
        postings=money_rules.advance(parts),
        now=now,
        memo=f"payout advanced on claim {claim.id}",
    )
    payout = Payout(
        id=new_id("pay"),
        claim_id=claim.id,
        seller_id=claim.seller_id,
        status=PayoutStatus.ADVANCED,
        currency=amount.currency,
        amount_minor=amount.minor,
        carrier_part_minor=parts.carrier.minor,
        underwriter_part_minor=parts.underwriter.minor,
        fast_track=claim.checklist_complete_at is None,
        advanced_at=now,
        ledger_transaction_id=transaction.id,
    )
    session.add(payout)
    session.flush()
    transition(session, claim, Step.ADVANCE_PAYOUT, actor, now, f"{amount} advanced as {payout.id}")
    announce(session, "payout.advanced", payout, claim, actor, now)
    session.refresh(claim, ["payout"])
    return payout


def claw_back(session: Session, claim: Claim, now: datetime) -> Payout:
    """The grace period ended without the documents of a fast-tracked claim: the seller owes
    the advance back (the claim lapses in the same transaction)."""
    payout = claim.payout
    assert payout is not None  # only fast-tracked (paid) claims are clawed back
    ledger.record(
        session,
        kind="claim_clawback",
        reference=claim.id,
        postings=money_rules.clawback(parts_of(payout)),
        now=now,
        memo=f"advance on claim {claim.id} owed back by the seller",
    )
    payout.status = PayoutStatus.CLAWED_BACK
    payout.clawed_back_at = now
    session.flush()
    announce(session, "payout.clawback", payout, claim, SYSTEM, now)
    return payout


def list_query(caller: Caller, *, status: str | None, awaiting_insurer: bool | None) -> Select:
    """Payouts, newest first; ``awaiting_insurer`` keeps (or drops) the advances whose
    underwriter share is still owed to us."""
    check(caller, Action.READ_MONEY)
    query = list_visible(Payout, caller, status=status, seller_id=None)
    if awaiting_insurer is not None:
        awaiting = awaiting_underwriter_sql()
        query = query.where(awaiting if awaiting_insurer else ~awaiting)
    return query


def list_page(
    session: Session,
    caller: Caller,
    *,
    status: str | None,
    awaiting_insurer: bool | None,
    after: str | None,
    limit: int,
) -> Page:
    """A cursor page of :func:`list_query`."""
    query = list_query(caller, status=status, awaiting_insurer=awaiting_insurer)
    return page(session, query, Payout.id, after, limit)


def parts_of(payout: Payout) -> PayoutSplit:
    return PayoutSplit(carrier=payout.carrier_part, underwriter=payout.underwriter_part)


@dataclass
class PayoutRun:
    advanced: int = 0
    recovery_tasks: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def advance_due(session: Session, as_of: datetime) -> PayoutRun:
    """The job's pass: advance every payable claim still unpaid (one the API missed, or one
    locked at the time), and open a recovery task for each paid lost parcel since delivered.
    Claims on a voided coverage are never paid, so the pass leaves them alone."""
    run = PayoutRun()
    due = session.scalars(
        select(Claim)
        .join(Coverage, Coverage.id == Claim.coverage_id)
        .where(
            Claim.status == ClaimStatus.APPROVED.value,
            or_(Claim.fast_tracked, Claim.checklist_complete_at.is_not(None)),
            Coverage.status == CoverageStatus.ACTIVE,
        )
        .order_by(Claim.id)
        .with_for_update(skip_locked=True, of=Claim)
    )
    for claim in due:
        if advance_if_payable(session, claim, SYSTEM, as_of) is not None:
            run.advanced += 1
    run.recovery_tasks = _open_recovery_tasks(session, as_of)
    return run


def _open_recovery_tasks(session: Session, as_of: datetime) -> int:
    found = session.execute(
        select(Payout, Claim)
        .join(Claim, Claim.id == Payout.claim_id)
        .join(Coverage, Coverage.id == Claim.coverage_id)
        .where(
            Claim.kind == ClaimKind.LOST.value,
            Coverage.package_status == PackageStatus.DELIVERED,
            ~exists().where(RecoveryTask.claim_id == Claim.id),
        )
        .order_by(Payout.id)
        .with_for_update(skip_locked=True, of=Payout)
    ).all()
    opened = 0
    for payout, claim in found:
        task = RecoveryTask(
            id=new_id("rec"),
            claim_id=claim.id,
            payout_id=payout.id,
            seller_id=claim.seller_id,
            status=RecoveryTaskStatus.OPEN,
            reason="the parcel was delivered after we paid for its loss",
            opened_at=as_of,
        )
        try:
            with session.begin_nested():
                session.add(task)
        except IntegrityError:  # opened meanwhile by another run: that one stands
            continue
        log(session, claim, SYSTEM, "recovery_opened", task.reason, as_of)
        announce(session, "payout.recovery_opened", payout, claim, SYSTEM, as_of)
        opened += 1
    return opened


def announce(
    session: Session, event: str, payout: Payout, claim: Claim, actor: Caller, now: datetime
) -> None:
    emit(
        session,
        event,
        subject_type="payout",
        subject_id=payout.id,
        seller_id=payout.seller_id,
        data=describe(payout, claim),
        actor=actor,
        now=now,
    )


def describe(payout: Payout, claim: Claim) -> dict[str, Any]:
    """What billing needs to credit (or debit) the seller: the reference is the payout id."""
    return {
        "payout_id": payout.id,
        "reference": payout.reference,
        "claim_id": claim.id,
        "coverage_id": claim.coverage_id,
        "seller_id": payout.seller_id,
        "status": payout.status,
        "amount": {"amount": payout.amount.amount_text, "currency": payout.currency},
        "fast_track": payout.fast_track,
    }
