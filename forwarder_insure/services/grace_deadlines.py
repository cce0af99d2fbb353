"""The grace period's end: warn sellers a few days before, lapse claims whose documents never came.

A claim may be submitted before the slow documents (the buyer's dispute, the carrier's letter)
exist; they are due by its ``grace_deadline``. This runs nightly: a claim still missing documents
at its ``grace_reminder_due_at`` (a few days before the deadline) gets one reminder
(``claim.grace_reminder``, which reaches the seller by webhook), and one still missing them at
the deadline lapses. A fast-tracked claim, already paid, lapses too: its
advance becomes a receivable from the seller (``payout.clawback``) rather than a silent loss.

Safe to run twice or at once: each claim is locked (``SKIP LOCKED``) and re-checked, a reminder
is stamped on the claim, and a lapse is a transition the table allows only once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forwarder_insure.db.models import Claim
from forwarder_insure.domain.access import SYSTEM
from forwarder_insure.domain.claims import ClaimKind, Step, missing, statuses_allowing
from forwarder_insure.domain.clock import format_instant
from forwarder_insure.services.claim_documents import received_kinds
from forwarder_insure.services.claim_timeline import log, transition
from forwarder_insure.services.payouts import claw_back

#: Claims that lapse when their grace deadline passes with documents missing (a fast-tracked,
#: paid claim too: its advance becomes the seller's debt).
LAPSABLE = statuses_allowing(Step.LAPSE)


@dataclass
class GraceSummary:
    reminded: int = 0
    lapsed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def run(session: Session, as_of: datetime) -> GraceSummary:
    summary = GraceSummary()
    for claim in _due(session, Claim.grace_deadline <= as_of, LAPSABLE):
        lacking = _missing(claim)
        if lacking:
            claim.decided_at = as_of
            if claim.payout is not None:
                claw_back(session, claim, as_of)
            transition(
                session, claim, Step.LAPSE, SYSTEM, as_of,
                f"grace period ended without: {', '.join(lacking)}",
            )  # fmt: skip
            summary.lapsed += 1
    for claim in _due(
        session,
        (Claim.grace_reminder_due_at <= as_of)
        & (Claim.grace_deadline > as_of)
        & Claim.grace_reminded_at.is_(None),
        LAPSABLE,
    ):
        lacking = _missing(claim)
        if lacking:
            assert claim.grace_deadline is not None  # selected for it
            claim.grace_reminded_at = as_of
            log(
                session, claim, SYSTEM, "grace_reminder",
                f"still missing: {', '.join(lacking)}; due by "
                f"{format_instant(claim.grace_deadline)}",
                as_of,
            )  # fmt: skip
            summary.reminded += 1
    session.flush()
    return summary


def _due(session: Session, condition, statuses) -> list[Claim]:
    return list(
        session.scalars(
            select(Claim)
            .where(condition, Claim.status.in_([s.value for s in statuses]))
            .order_by(Claim.grace_deadline, Claim.id)
            .with_for_update(skip_locked=True, of=Claim)
            .options(selectinload(Claim.documents), selectinload(Claim.payout))
        )
    )


def _missing(claim: Claim) -> list[str]:
    return [k.value for k in missing(ClaimKind(claim.kind), received_kinds(claim))]
