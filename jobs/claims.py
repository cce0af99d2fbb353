"""Claim jobs: grace deadlines, advancing payouts, the insurer's settlement SLA."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from forwarder_insure.services import insurer, payouts
from forwarder_insure.services.grace_deadlines import run


def grace_deadlines(session: Session, as_of: datetime) -> dict[str, int]:
    """Remind sellers of grace documents still missing; lapse claims past the deadline."""
    return run(session, as_of).as_dict()


def advance_payouts(session: Session, as_of: datetime) -> dict[str, int]:
    """Advance every payable claim still unpaid; recovery tasks for paid parcels delivered."""
    return payouts.advance_due(session, as_of).as_dict()


def insurer_sla(session: Session, as_of: datetime) -> dict[str, int]:
    """Flag and announce insurer settlements past their due date."""
    return insurer.flag_overdue_settlements(session, as_of).as_dict()
