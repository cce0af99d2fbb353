"""Claims: the statuses, the one transition table, and the evidence checklist per claim kind.

Every step a claim can take is a row of :data:`TRANSITIONS`; a step not listed from the current
status is refused (HTTP 409) and changes nothing. The checklist (DESIGN.md §2 step 7) says which
documents each kind of claim needs, who supplies them, and whether they are due at submission or
may follow within the grace period.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from forwarder_insure.domain.access import SYSTEM
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.errors import Conflict, Invalid
from forwarder_insure.domain.money import Money


class ClaimKind(StrEnum):
    LOST = "lost"
    DAMAGED = "damaged"
    MISSING_CONTENTS = "missing_contents"


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    PAYOUT_ADVANCED = "payout_advanced"
    INSURER_ACCEPTED = "insurer_accepted"
    SETTLED = "settled"
    INSURER_REJECTED = "insurer_rejected"
    DENIED = "denied"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"


class Step(StrEnum):
    SUBMIT = "submit"
    REQUEST_DOCUMENTS = "request_documents"
    APPROVE = "approve"
    ADVANCE_PAYOUT = "advance_payout"
    DENY = "deny"
    WITHDRAW = "withdraw"
    LAPSE = "lapse"
    INSURER_ACCEPT = "insurer_accept"
    INSURER_SETTLE = "insurer_settle"
    INSURER_REJECT = "insurer_reject"


S, St = ClaimStatus, Step

#: (status, step) -> the status the step leads to. Nothing else is allowed.
TRANSITIONS: dict[tuple[ClaimStatus, Step], ClaimStatus] = {
    (S.DRAFT, St.SUBMIT): S.SUBMITTED,
    (S.NEEDS_INFO, St.SUBMIT): S.SUBMITTED,  # the seller answered the request
    (S.SUBMITTED, St.REQUEST_DOCUMENTS): S.NEEDS_INFO,
    (S.SUBMITTED, St.APPROVE): S.APPROVED,
    (S.NEEDS_INFO, St.APPROVE): S.APPROVED,
    (S.APPROVED, St.ADVANCE_PAYOUT): S.PAYOUT_ADVANCED,
    (S.SUBMITTED, St.DENY): S.DENIED,
    (S.NEEDS_INFO, St.DENY): S.DENIED,
    (S.APPROVED, St.DENY): S.DENIED,  # only while nothing has been paid
    (S.DRAFT, St.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, St.WITHDRAW): S.WITHDRAWN,
    (S.NEEDS_INFO, St.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, St.WITHDRAW): S.WITHDRAWN,
    # The grace period ended with documents missing: nothing paid, or a fast-track advance that
    # becomes a receivable from the seller.
    (S.SUBMITTED, St.LAPSE): S.LAPSED,
    (S.NEEDS_INFO, St.LAPSE): S.LAPSED,
    (S.APPROVED, St.LAPSE): S.LAPSED,
    (S.PAYOUT_ADVANCED, St.LAPSE): S.LAPSED,
    (S.PAYOUT_ADVANCED, St.INSURER_ACCEPT): S.INSURER_ACCEPTED,
    (S.INSURER_ACCEPTED, St.INSURER_SETTLE): S.SETTLED,
    # The underwriter refuses a claim we already paid: booked as our loss or the seller's debt.
    (S.PAYOUT_ADVANCED, St.INSURER_REJECT): S.INSURER_REJECTED,
    (S.INSURER_ACCEPTED, St.INSURER_REJECT): S.INSURER_REJECTED,
}

#: Statuses in which a claim is still being worked by ops.
OPEN_STATUSES = frozenset({S.DRAFT, S.SUBMITTED, S.NEEDS_INFO, S.APPROVED})
#: Claims that ended with nothing owed by anyone (unless a lapse followed an advance).
ENDED_UNPAID = frozenset({S.DENIED, S.WITHDRAWN, S.LAPSED})
#: Statuses in which a claim stands, worked or paid: a coverage has at most one such claim, so a
#: parcel is never paid twice. A denied, withdrawn or lapsed claim leaves room for a new one.
STANDING_STATUSES = frozenset(ClaimStatus) - ENDED_UNPAID
#: Documents are taken while a claim is being worked or waits for its grace documents.
TAKES_DOCUMENTS = frozenset({S.DRAFT, S.SUBMITTED, S.NEEDS_INFO, S.APPROVED, S.PAYOUT_ADVANCED})
#: A claim is filed with the underwriter once we decided to pay it.
FILEABLE = frozenset({S.APPROVED, S.PAYOUT_ADVANCED})
#: Statuses after which nothing more happens.
FINAL_STATUSES = frozenset({S.SETTLED, S.INSURER_REJECTED, S.DENIED, S.LAPSED, S.WITHDRAWN})
#: A claim in any other status is open: its coverage cannot be voided under it.
NOT_FINAL = frozenset(ClaimStatus) - FINAL_STATUSES


def check_coverage_live(coverage_status: str) -> None:
    """Nothing moves on a voided coverage: no claim on it is filed, submitted, approved or paid
    (409). Ending one (withdrawal, denial, lapse) stays possible."""
    if coverage_status != CoverageStatus.ACTIVE:
        raise Conflict(
            "the coverage was voided: no claim on it is filed, submitted, approved or paid",
            code="coverage_voided",
        )


class TransitionRefused(Conflict):
    code = "transition_not_allowed"


def next_status(status: ClaimStatus, step: Step) -> ClaimStatus:
    """The status ``step`` leads to from ``status``; refused (409) when the table has no row."""
    try:
        return TRANSITIONS[(status, step)]
    except KeyError:
        allowed = sorted(s.value for (frm, s) in TRANSITIONS if frm is status)
        raise TransitionRefused(
            f"a {status.value} claim cannot {step.value.replace('_', ' ')}"
            + (f"; possible steps: {', '.join(allowed)}" if allowed else ""),
            claim_status=status.value,
            step=step.value,
        ) from None


def allowed_steps(status: ClaimStatus) -> list[Step]:
    return [step for (frm, step) in TRANSITIONS if frm is status]


def statuses_allowing(step: Step) -> frozenset[ClaimStatus]:
    """Every status from which ``step`` may be taken, read off the transition table."""
    return frozenset(frm for (frm, s) in TRANSITIONS if s is step)


class DocumentKind(StrEnum):
    DELIVERY_RECORD = "delivery_record"
    VALUE_PROOF = "value_proof"
    DELIVERY_CERTIFICATE = "delivery_certificate"
    DAMAGE_PHOTOS = "damage_photos"
    DISPUTE_SCREENSHOT = "dispute_screenshot"
    CARRIER_LOSS_LETTER = "carrier_loss_letter"


class DocumentStatus(StrEnum):
    """A stored evidence file: received, until ops reject it (its checklist item reopens)."""

    RECEIVED = "received"
    REJECTED = "rejected"


class ChecklistStatus(StrEnum):
    """A checklist item: a received document fills it; only rejected ones leave it rejected."""

    MISSING = "missing"
    RECEIVED = "received"
    REJECTED = "rejected"


class Stage(StrEnum):
    SUBMISSION = "submission"
    GRACE = "grace"


class DocumentSource(StrEnum):
    """Where a claim document came from; only uploads count for evidence reuse."""

    UPLOAD = "upload"  # a person sent the file (seller or ops)
    SYSTEM = "system"  # we generated it from our own records
    INQUIRY = "inquiry"  # ops attached it to the carrier inquiry on the parcel


class Supplier(StrEnum):
    SYSTEM = "system"
    SELLER = "seller"
    OPS = "ops"


@dataclass(frozen=True)
class ChecklistItem:
    kind: DocumentKind
    stage: Stage
    suppliers: frozenset[Supplier]


D = DocumentKind
_COMMON = (
    ChecklistItem(D.DELIVERY_RECORD, Stage.SUBMISSION, frozenset({Supplier.SYSTEM, Supplier.OPS})),
    ChecklistItem(D.VALUE_PROOF, Stage.SUBMISSION, frozenset({Supplier.SELLER})),
    ChecklistItem(
        D.DELIVERY_CERTIFICATE, Stage.SUBMISSION, frozenset({Supplier.SYSTEM, Supplier.OPS})
    ),
)
_GRACE = (
    ChecklistItem(D.DISPUTE_SCREENSHOT, Stage.GRACE, frozenset({Supplier.SELLER})),
    ChecklistItem(D.CARRIER_LOSS_LETTER, Stage.GRACE, frozenset({Supplier.OPS})),
)
_PHOTOS = (ChecklistItem(D.DAMAGE_PHOTOS, Stage.SUBMISSION, frozenset({Supplier.SELLER})),)

#: The documents each kind of claim requires (all listed items are required).
CHECKLISTS: dict[ClaimKind, tuple[ChecklistItem, ...]] = {
    ClaimKind.LOST: _COMMON + _GRACE,
    ClaimKind.DAMAGED: _COMMON + _PHOTOS + _GRACE,
    ClaimKind.MISSING_CONTENTS: _COMMON + _PHOTOS + _GRACE,
}


def checklist_item(claim_kind: ClaimKind, document_kind: DocumentKind) -> ChecklistItem:
    """The checklist entry a document fills; refused (422) if this kind of claim takes none."""
    for item in CHECKLISTS[claim_kind]:
        if item.kind is document_kind:
            return item
    raise Invalid(
        f"a {claim_kind.value} claim does not take {document_kind.value} documents",
        code="document_kind_not_accepted",
    )


def missing(
    claim_kind: ClaimKind, received: Iterable[DocumentKind], stage: Stage | None = None
) -> list[DocumentKind]:
    """Required documents not yet received (of one stage, or of all), in checklist order."""
    have = set(received)
    return [
        item.kind
        for item in CHECKLISTS[claim_kind]
        if item.kind not in have and (stage is None or item.stage is stage)
    ]


def ready_to_submit(claim_kind: ClaimKind, received: Iterable[DocumentKind]) -> bool:
    return not missing(claim_kind, received, Stage.SUBMISSION)


def complete(claim_kind: ClaimKind, received: Iterable[DocumentKind]) -> bool:
    return not missing(claim_kind, received)


def check_amount_claimed(amount: Money, insured_value: Money) -> None:
    """A claim asks for more than nothing and at most the insured value."""
    if amount.currency != insured_value.currency:
        raise Invalid(
            f"claim in {insured_value.currency}, the coverage's currency", code="claim_currency"
        )
    if amount.amount <= 0:
        raise Invalid("the amount claimed must be greater than zero", code="claim_amount")
    if amount > insured_value:
        raise Invalid(
            f"the amount claimed {amount} is above the insured value {insured_value}",
            code="claim_above_insured_value",
        )


def max_approvable(insured_value: Money, deductible: Money) -> Money:
    """The most a claim can pay: the insured value less the deductible (never negative)."""
    ceiling = insured_value - deductible
    return ceiling if ceiling.amount > 0 else Money.zero(insured_value.currency)


def check_amount_approved(
    amount: Money, insured_value: Money, deductible: Money, claimed: Money
) -> None:
    """An approval pays more than nothing, at most the insured value less the deductible, and
    never more than the seller claimed (whoever approves: the four-eyes limit is another rule)."""
    ceiling = max_approvable(insured_value, deductible)
    if amount.currency != ceiling.currency:
        raise Invalid(
            f"approve in {ceiling.currency}, the coverage's currency", code="claim_currency"
        )
    if amount.amount <= 0:
        raise Invalid("an approved amount must be greater than zero", code="approval_amount")
    if amount > ceiling:
        raise Invalid(
            f"at most {ceiling} can be approved (insured value less deductible)",
            code="approval_above_maximum",
        )
    if amount > claimed:
        raise Invalid(
            f"{amount} is above the {claimed} claimed; no claim is approved above its amount",
            code="approval_above_claimed",
        )


#: Timeline events that report screening. Screening is for staff: a seller never reads them.
SCREENING_EVENTS = frozenset({"flagged", "rescreened"})
#: Timeline events whose detail is a note staff wrote for staff (closing a recovery task, which
#: only staff work): a seller reads that the step happened, never the note.
STAFF_NOTE_EVENTS = frozenset({"recovery_closed"})
#: What a seller reads on its claim's timeline in place of a staff member's identity.
STAFF_AS_SEEN_BY_SELLER = "ops"


def actor_seen_by_seller(actor: str, own_actors: Collection[str]) -> str:
    """The actor of a timeline line as the claim's seller reads it: ``system`` and the seller's
    own actors (its keys) as they are, anyone else (staff e-mails, staff key prefixes, any actor
    we do not know to be the seller's) as ``ops``."""
    return actor if actor == SYSTEM.actor or actor in own_actors else STAFF_AS_SEEN_BY_SELLER
