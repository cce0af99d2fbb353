"""Readiness: whether the process can reach its database."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def check_database(session: Session) -> None:
    """Run the cheapest statement there is; raises if the database does not answer."""
    session.execute(text("SELECT 1"))
