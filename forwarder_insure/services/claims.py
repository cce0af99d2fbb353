"""Claims: filing, reading and moving a claim through the transition table.

Every change goes through :func:`transition` (the one place that consults the table), appends a
line to the claim's timeline and announces ``claim.<event>`` in the outbox, all in the caller's
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Claim, Coverage
from forwarder_insure.domain.access import SYSTEM, Caller
from forwarder_insure.domain.claim_rules import ClaimRules
from forwarder_insure.domain.claims import (
    CHECKLISTS,
    ChecklistStatus,
    ClaimKind,
    ClaimStatus,
    DocumentKind,
    DocumentStatus,
    Stage,
    Step,
    check_amount_approved,
    check_amount_claimed,
    check_coverage_live,
    checklist_item,
    missing,
    next_status,
)
from forwarder_insure.domain.errors import Conflict, Forbidden, Invalid
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.permissions import Action, allowed, check
from forwarder_insure.services.claim_documents import OnFailure, received_kinds
from forwarder_insure.services.claim_evidence import attach_known_evidence
from forwarder_insure.services.claim_predicates import (
    decision_overdue_sql,
    settlement_overdue_sql,
)
from forwarder_insure.services.claim_screening import screen_claim
from forwarder_insure.services.claim_timeline import log, transition
from forwarder_insure.services.payouts import advance_if_payable
from forwarder_insure.services.scope import get_visible, list_visible, lock_visible
from forwarder_insure.storage import DocumentStore


@dataclass(frozen=True)
class ChecklistEntry:
    kind: DocumentKind
    required: bool
    stage: Stage
    status: str  # missing, received, rejected
    document_ids: tuple[str, ...]


def file_claim(
    session: Session,
    caller: Caller,
    *,
    coverage_id: str,
    kind: ClaimKind,
    amount: Money,
    description: str | None,
    store: DocumentStore,
    rules: ClaimRules,
    now: datetime,
    on_failure: OnFailure,
    invoice_amount: Money | None = None,
) -> Claim:
    """Open a draft claim on a live coverage (one standing claim per coverage), with the
    evidence our own records already provide attached."""
    check(caller, Action.FILE_CLAIM)
    # Locked: a void running at the same time either sees this claim or is seen by it.
    coverage = lock_visible(session, Coverage, coverage_id, caller, "coverage")
    check_coverage_live(coverage.status)
    check_amount_claimed(amount, coverage.insured_value)
    if invoice_amount is not None and invoice_amount.currency != amount.currency:
        raise Invalid("state the invoice amount in the claim's currency", code="claim_currency")
    claim = Claim(
        id=new_id("clm"),
        coverage_id=coverage.id,
        seller_id=coverage.seller_id,
        kind=kind.value,
        status=ClaimStatus.DRAFT.value,
        currency=amount.currency,
        amount_claimed_minor=amount.minor,
        invoice_amount_minor=invoice_amount.minor if invoice_amount else None,
        description=description,
        risk_score=0,
        risk_flags=[],
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "this coverage already has a claim that is in progress or paid",
            code="claim_already_open",
        ) from None
    log(session, claim, caller, "filed", f"{kind.value} claim for {amount}", now)
    attach_known_evidence(session, store, claim, coverage, rules, now, on_failure)
    return claim


def get_claim(session: Session, caller: Caller, claim_id: str) -> Claim:
    check(caller, Action.READ_CLAIM)
    return get_visible(session, Claim, claim_id, caller, "claim")


def lock_claim(session: Session, caller: Caller, claim_id: str) -> Claim:
    """The claim, row-locked until the transaction ends: every change to a claim takes this
    lock first, so concurrent steps on one claim happen one after the other."""
    return lock_visible(session, Claim, claim_id, caller, "claim")


def list_query(
    caller: Caller,
    *,
    status: str | None,
    seller_id: str | None,
    rules: ClaimRules,
    now: datetime,
    decision_overdue: bool | None = None,
    settlement_overdue: bool | None = None,
) -> Select:
    """Claims the caller may see (a seller: its own), newest first, optionally only those past
    (or within) our decision SLA or with the insurer's settlement overdue."""
    check(caller, Action.READ_CLAIM)
    query = list_visible(Claim, caller, status=status, seller_id=seller_id)
    if decision_overdue is not None:
        late = decision_overdue_sql(rules, now)
        query = query.where(late if decision_overdue else ~late)
    if settlement_overdue is not None:
        overdue = settlement_overdue_sql()
        query = query.where(overdue if settlement_overdue else ~overdue)
    return query


def submit(
    session: Session, caller: Caller, claim_id: str, rules: ClaimRules, now: datetime
) -> Claim:
    """Submit once the submission documents are in; the grace documents may follow.

    The claim is screened; a small claim with no flag is approved at once (fast track).
    """
    check(caller, Action.SUBMIT_CLAIM)
    claim = lock_claim(session, caller, claim_id)
    next_status(ClaimStatus(claim.status), Step.SUBMIT)  # refuse early, before anything changes
    check_coverage_live(session.get_one(Coverage, claim.coverage_id).status)
    lacking = missing(ClaimKind(claim.kind), received_kinds(claim), Stage.SUBMISSION)
    if lacking:
        raise Conflict(
            f"documents still missing for submission: {', '.join(k.value for k in lacking)}",
            code="documents_missing",
            missing=[k.value for k in lacking],
        )
    first_submission = claim.submitted_at is None
    transition(session, claim, Step.SUBMIT, caller, now, None)
    if first_submission:
        claim.submitted_at = now
        claim.grace_deadline = now + rules.grace_period
        claim.grace_reminder_due_at = claim.grace_deadline - rules.grace_reminder
    result = screen_claim(session, claim, rules, now)
    if result.flags:
        log(session, claim, caller, "flagged", "; ".join(f.code for f in result.flags), now)
    elif rules.fast_track_allows(claim.amount_claimed):
        claim.amount_approved_minor = claim.amount_claimed_minor
        claim.decided_at = now
        claim.fast_tracked = True
        transition(session, claim, Step.APPROVE, SYSTEM, now, "fast track: small claim, no flag")
        advance_if_payable(session, claim, SYSTEM, now)
    session.flush()
    return claim


def request_documents(
    session: Session,
    caller: Caller,
    claim_id: str,
    kinds: list[DocumentKind],
    note: str | None,
    now: datetime,
) -> Claim:
    """Ask the seller for more (the claim waits in needs_info until it is submitted again)."""
    check(caller, Action.REQUEST_DOCUMENTS)
    claim = lock_claim(session, caller, claim_id)
    for kind in kinds:
        checklist_item(ClaimKind(claim.kind), kind)
    wanted = ", ".join(k.value for k in kinds)
    transition(
        session, claim, Step.REQUEST_DOCUMENTS, caller, now, f"{wanted}. {note or ''}".strip()
    )
    session.flush()
    return claim


def approve(
    session: Session,
    caller: Caller,
    claim_id: str,
    amount: Money,
    note: str | None,
    rules: ClaimRules,
    now: datetime,
) -> Claim:
    """Approve an amount (at most the amount claimed, and the insured value less deductible);
    above the four-eyes limit only the roles the permission table allows
    ``approve_above_four_eyes`` (supervisor, admin) may."""
    check(caller, Action.APPROVE_CLAIM)
    claim = lock_claim(session, caller, claim_id)
    next_status(ClaimStatus(claim.status), Step.APPROVE)
    coverage = session.get_one(Coverage, claim.coverage_id)
    check_coverage_live(coverage.status)
    check_amount_approved(amount, coverage.insured_value, coverage.deductible, claim.amount_claimed)
    if rules.needs_supervisor(amount) and not allowed(caller.role, Action.APPROVE_ABOVE_FOUR_EYES):
        raise Forbidden(
            f"approving {amount} needs a supervisor (four-eyes limit)", code="four_eyes_required"
        )
    claim.amount_approved_minor = amount.minor
    claim.decided_at = now
    transition(session, claim, Step.APPROVE, caller, now, f"{amount}. {note or ''}".strip())
    advance_if_payable(session, claim, SYSTEM, now)
    session.flush()
    return claim


def deny(session: Session, caller: Caller, claim_id: str, reason: str, now: datetime) -> Claim:
    check(caller, Action.DENY_CLAIM)
    claim = lock_claim(session, caller, claim_id)
    claim.decided_at = now
    transition(session, claim, Step.DENY, caller, now, reason)
    session.flush()
    return claim


def withdraw(
    session: Session, caller: Caller, claim_id: str, now: datetime, reason: str | None
) -> Claim:
    check(caller, Action.WITHDRAW_CLAIM)
    claim = lock_claim(session, caller, claim_id)
    transition(session, claim, Step.WITHDRAW, caller, now, reason)
    session.flush()
    return claim


def checklist(claim: Claim) -> list[ChecklistEntry]:
    """The claim's checklist with what has been received, rejected or is still missing."""
    entries = []
    for item in CHECKLISTS[ClaimKind(claim.kind)]:
        documents = [d for d in claim.documents if d.kind == item.kind.value]
        received = [d.id for d in documents if d.status == DocumentStatus.RECEIVED]
        rejected = [d.id for d in documents if d.status == DocumentStatus.REJECTED]
        status = (
            ChecklistStatus.RECEIVED
            if received
            else (ChecklistStatus.REJECTED if rejected else ChecklistStatus.MISSING)
        )
        entries.append(
            ChecklistEntry(
                kind=item.kind,
                required=True,
                stage=item.stage,
                status=status,
                document_ids=tuple(received or rejected),
            )
        )
    return entries
