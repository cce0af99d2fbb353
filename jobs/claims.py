"""Claim deadlines as a job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from forwarder_insure.services.grace_deadlines import run


def grace_deadlines(session: Session, as_of: datetime) -> dict[str, int]:
    """Remind sellers of grace documents still missing; lapse claims past the deadline."""
    return run(session, as_of).as_dict()
