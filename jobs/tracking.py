"""The tracking sweep as a job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from forwarder_insure.services.sweep import sweep


def tracking_sweep(session: Session, as_of: datetime) -> dict[str, int]:
    """Open inquiries on silent parcels, presume lost past the loss window, resolve movers."""
    return sweep(session, as_of).as_dict()
