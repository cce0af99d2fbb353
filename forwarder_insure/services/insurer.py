"""The underwriter's side of a claim we advanced: filing, acceptance, settlement, rejection.

Ops record what the underwriter did; we book what it means. Acceptance starts the settlement
clock (``insurer_settlement_working_days`` working days by the underwriter's country calendar);
a settlement clears the receivable and books any shortfall as our loss; a rejection moves the
receivable to our loss or to the seller, as the claim rules say. The carrier's share (where its
base cover applied) is recovered separately. Each step locks the claim, checks the claim's status
before anything else (409 on an unpaid claim, whatever the body says) and is one transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Claim, Coverage, Payout, Underwriter
from forwarder_insure.domain import payouts as money_rules
from forwarder_insure.domain.access import SYSTEM, Caller
from forwarder_insure.domain.claim_rules import ClaimRules
from forwarder_insure.domain.claims import FILEABLE, ClaimStatus, Step, next_status
from forwarder_insure.domain.clock import format_instant
from forwarder_insure.domain.errors import Conflict, Invalid
from forwarder_insure.domain.ledger import Account
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.permissions import Action, check
from forwarder_insure.domain.working_days import add_working_days
from forwarder_insure.services import ledger
from forwarder_insure.services.claim_timeline import log, transition
from forwarder_insure.services.claims import lock_claim
from forwarder_insure.services.events import emit
from forwarder_insure.services.payouts import describe


def awaits_filing(claim: Claim) -> bool:
    """The claim can be filed with the underwriter and has not been yet."""
    return ClaimStatus(claim.status) in FILEABLE and claim.filed_with_insurer_at is None


def awaits_carrier(claim: Claim) -> bool:
    """We advanced a payout with a carrier part that the carrier has not paid yet."""
    payout = claim.payout
    return (
        payout is not None
        and not payout.carrier_part.is_zero
        and payout.carrier_paid_at is None
        and payout.clawed_back_at is None
    )


def file_with_insurer(session: Session, caller: Caller, claim_id: str, now: datetime) -> Claim:
    """Record that the evidence pack went to the underwriter (once)."""
    check(caller, Action.FILE_WITH_INSURER)
    claim = lock_claim(session, caller, claim_id)
    if ClaimStatus(claim.status) not in FILEABLE:
        raise Conflict(
            f"a {claim.status} claim is not filed with the underwriter", code="not_fileable"
        )
    if not awaits_filing(claim):
        raise Conflict("the claim was already filed with the underwriter", code="already_filed")
    claim.filed_with_insurer_at = now
    log(session, claim, caller, "filed_with_insurer", None, now)
    return claim


def accept(
    session: Session,
    caller: Caller,
    claim_id: str,
    *,
    insurer_reference: str,
    accepted_at: datetime,
    rules: ClaimRules,
    now: datetime,
) -> Claim:
    """The underwriter accepted the claim: it owes settlement within N of its working days."""
    check(caller, Action.RECORD_INSURER_ACCEPTANCE)
    claim = lock_claim(session, caller, claim_id)
    next_status(ClaimStatus(claim.status), Step.INSURER_ACCEPT)
    _not_in_future(accepted_at, now, "accepted_at")
    underwriter = _underwriter_of(session, claim)
    due = add_working_days(accepted_at, rules.insurer_settlement_working_days, underwriter.country)
    transition(
        session, claim, Step.INSURER_ACCEPT, caller, now,
        f"{underwriter.name} accepted as {insurer_reference}; settlement due "
        f"{format_instant(due)}",
    )  # fmt: skip
    claim.insurer_reference = insurer_reference
    claim.insurer_accepted_at = accepted_at
    claim.settlement_due_at = due
    if claim.filed_with_insurer_at is None:
        claim.filed_with_insurer_at = accepted_at
    session.flush()
    return claim


def settle(
    session: Session,
    caller: Caller,
    claim_id: str,
    *,
    amount: Money,
    paid_at: datetime,
    now: datetime,
) -> Claim:
    """The underwriter paid (all or part of) its share; a shortfall is booked as our loss."""
    check(caller, Action.RECORD_INSURER_SETTLEMENT)
    claim = lock_claim(session, caller, claim_id)
    next_status(ClaimStatus(claim.status), Step.INSURER_SETTLE)  # only an accepted, paid claim
    _not_in_future(paid_at, now, "paid_at")
    payout = claim.payout
    assert payout is not None  # the status check above means a paid claim
    money_rules.check_recovery(payout.underwriter_part, amount)
    transition(session, claim, Step.INSURER_SETTLE, caller, now, _settled(payout, amount))
    _book_recovery(
        session, "insurer_settlement", claim, payout.underwriter_part, amount,
        Account.CLAIMS_RECEIVABLE_UNDERWRITER, now,
    )  # fmt: skip
    payout.insurer_paid_minor = amount.minor
    payout.insurer_paid_at = paid_at
    claim.settled_at = paid_at
    session.flush()
    return claim


def reject(
    session: Session,
    caller: Caller,
    claim_id: str,
    *,
    reason: str,
    rules: ClaimRules,
    now: datetime,
) -> Claim:
    """The underwriter refused a claim we already paid."""
    check(caller, Action.RECORD_INSURER_REJECTION)
    claim = lock_claim(session, caller, claim_id)
    next_status(ClaimStatus(claim.status), Step.INSURER_REJECT)
    booking = rules.insurer_rejection_booking
    transition(
        session, claim, Step.INSURER_REJECT, caller, now, f"{reason} (booked to {booking.value})"
    )
    assert claim.payout is not None  # the transition table only rejects paid claims
    outstanding = claim.payout.underwriter_part
    if not outstanding.is_zero:
        ledger.record(
            session,
            kind="insurer_rejection",
            reference=claim.id,
            postings=money_rules.rejection(outstanding, booking),
            now=now,
            memo=f"underwriter rejected claim {claim.id}",
        )
    session.flush()
    return claim


def recover_from_carrier(
    session: Session,
    caller: Caller,
    claim_id: str,
    *,
    amount: Money,
    paid_at: datetime,
    now: datetime,
) -> Claim:
    """The carrier paid its liability (base cover) on a claim we advanced."""
    check(caller, Action.RECORD_CARRIER_RECOVERY)
    claim = lock_claim(session, caller, claim_id)
    payout = claim.payout
    if payout is None or payout.carrier_part.is_zero:
        raise Conflict("nothing is owed by the carrier on this claim", code="no_carrier_part")
    if payout.clawed_back_at is not None:
        raise Conflict(
            "the advance was taken back from the seller; the carrier owes us nothing on it",
            code="payout_clawed_back",
        )
    if not awaits_carrier(claim):
        raise Conflict("the carrier's payment was already recorded", code="already_recovered")
    _not_in_future(paid_at, now, "paid_at")
    money_rules.check_recovery(payout.carrier_part, amount)
    _book_recovery(
        session, "carrier_recovery", claim, payout.carrier_part, amount,
        Account.CLAIMS_RECEIVABLE_CARRIER, now,
    )  # fmt: skip
    payout.carrier_paid_minor = amount.minor
    payout.carrier_paid_at = paid_at
    log(session, claim, caller, "carrier_recovered", _settled(payout, amount, "carrier"), now)
    return claim


@dataclass
class SlaRun:
    overdue: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def flag_overdue_settlements(session: Session, as_of: datetime) -> SlaRun:
    """Announce each accepted claim whose settlement is past due (once per claim)."""
    run = SlaRun()
    late = session.scalars(
        select(Claim)
        .where(
            Claim.status == ClaimStatus.INSURER_ACCEPTED.value,
            Claim.settlement_due_at <= as_of,
            Claim.settlement_overdue_at.is_(None),
        )
        .order_by(Claim.settlement_due_at, Claim.id)
        .with_for_update(skip_locked=True)
    )
    for claim in late:
        assert claim.payout is not None  # accepted claims are paid
        assert claim.settlement_due_at is not None
        claim.settlement_overdue_at = as_of
        due = format_instant(claim.settlement_due_at)
        log(session, claim, SYSTEM, "settlement_overdue", f"settlement was due {due}", as_of)
        emit(
            session,
            "insurer.settlement_overdue",
            subject_type="claim",
            subject_id=claim.id,
            seller_id=None,
            data={
                **describe(claim.payout, claim),
                "insurer_reference": claim.insurer_reference,
                "settlement_due_at": due,
            },
            actor=SYSTEM,
            now=as_of,
        )
        run.overdue += 1
    session.flush()
    return run


def _book_recovery(
    session: Session,
    kind: str,
    claim: Claim,
    outstanding: Money,
    paid: Money,
    receivable: Account,
    now: datetime,
) -> None:
    if outstanding.is_zero:
        return
    ledger.record(
        session,
        kind=kind,
        reference=claim.id,
        postings=money_rules.recovery(outstanding, paid, receivable),
        now=now,
        memo=f"{kind.replace('_', ' ')} on claim {claim.id}",
    )


def _settled(payout: Payout, paid: Money, who: str = "underwriter") -> str:
    owed = payout.carrier_part if who == "carrier" else payout.underwriter_part
    shortfall = owed - paid
    return f"{who} paid {paid} of {owed}" + (
        f"; shortfall {shortfall} booked as our loss" if shortfall.amount > 0 else ""
    )


def _underwriter_of(session: Session, claim: Claim) -> Underwriter:
    coverage = session.get_one(Coverage, claim.coverage_id)
    return session.get_one(Underwriter, coverage.underwriter_id)


def _not_in_future(moment: datetime, now: datetime, field: str) -> None:
    if moment > now:
        raise Invalid(f"{field} cannot be in the future", code="time_in_future", field=field)
