"""A claim's timeline: who did what, when and why, mirrored to the outbox as ``claim.<event>``.

Every change to a claim, whether a transition, a document or a screening result, is written
here, in the caller's transaction, so the timeline and the webhooks never disagree; every change
of status goes through :func:`transition`, the one place that consults the transition table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import ApiKey, Claim, ClaimEvent
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.claims import (
    SCREENING_EVENTS,
    STAFF_NOTE_EVENTS,
    ClaimStatus,
    Step,
    actor_seen_by_seller,
    next_status,
)
from forwarder_insure.services.events import emit


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    actor: str
    event: str
    detail: str | None


def seller_actors(session: Session, seller_id: str) -> frozenset[str]:
    """The actors the seller itself writes on a timeline: each of its API keys, revoked ones
    included (old lines keep the key that wrote them)."""
    prefixes = session.scalars(select(ApiKey.prefix).where(ApiKey.seller_id == seller_id))
    return frozenset(f"api-key:{prefix}" for prefix in prefixes)


def as_seen_by_seller(claim: Claim, own_actors: frozenset[str]) -> list[TimelineLine]:
    """The claim's timeline as its seller reads it: no screening lines, staff shown as ``ops``
    (``own_actors`` from :func:`seller_actors`), and no detail of a staff note (the line stays).
    No line's detail names a staff member: details are what the step was about (amounts,
    document kinds, reasons meant for the seller), never who took it."""
    return [
        TimelineLine(
            e.at,
            actor_seen_by_seller(e.actor, own_actors),
            e.event,
            None if e.event in STAFF_NOTE_EVENTS else e.detail,
        )
        for e in claim.timeline
        if e.event not in SCREENING_EVENTS
    ]


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
