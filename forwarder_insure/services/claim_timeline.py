"""A claim's timeline: who did what, when and why, mirrored to the outbox as ``claim.<event>``.

Every change to a claim, whether a transition, a document or a screening result, is written
here, in the caller's transaction, so the timeline and the webhooks never disagree; every change
of status goes through :func:`transition`, the one place that consults the transition table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from forwarder_insure.db.models import Claim, ClaimEvent
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.claims import ClaimStatus, Step, next_status
from forwarder_insure.services.events import emit


def log(
    session: Session, claim: Claim, actor: Caller, event: str, detail: str | None, now: datetime
) -> None:
    """A timeline line and the matching ``claim.<event>`` outbox event."""
    session.add(
        ClaimEvent(claim_id=claim.id, at=now, actor=actor.actor, event=event, detail=detail)
    )
    emit(
        session,
        f"claim.{event}",
        subject_type="claim",
        subject_id=claim.id,
        seller_id=claim.seller_id,
        data={
            "claim_id": claim.id,
            "coverage_id": claim.coverage_id,
            "status": claim.status,
            "kind": claim.kind,
            "amount_claimed": {
                "amount": claim.amount_claimed.amount_text,
                "currency": claim.currency,
            },
        },
        actor=actor,
        now=now,
    )
    session.flush()


def transition(
    session: Session, claim: Claim, step: Step, caller: Caller, now: datetime, detail: str | None
) -> ClaimStatus:
    """Move ``claim`` by ``step`` (409 if the table does not allow it), logged and announced."""
    new = next_status(ClaimStatus(claim.status), step)
    claim.status = new.value
    log(session, claim, caller, new.value, detail, now)
    return new
