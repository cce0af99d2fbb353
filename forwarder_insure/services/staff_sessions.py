"""Console sessions kept on the server, so that ending one really ends it.

The browser holds a random token inside Flask's signed cookie; the database holds only the
token's SHA-256 with the user, when the session started, when it was last used and when it
ended. A request opens the console only while its session row is alive: not ended (logout,
password change, disabled user) and within both the lifetime and the idle timeout. A cookie
copied before any of those is worthless afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from forwarder_insure.db.models import StaffSession, StaffUser

#: ``last_seen_at`` is rewritten at most this often, so busy pages do not write on every
#: request; the idle timeout is exact to within this much.
TOUCH_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionLimits:
    """How long a session may live at all (``lifetime``) and without a request (``idle``)."""

    lifetime: timedelta
    idle: timedelta


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user_id: str, now: datetime) -> str:
    """A new session for the user; the returned token is the only copy (it goes in the cookie)."""
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(id=_session_id(token), user_id=user_id, created_at=now, last_seen_at=now)
    )
    session.flush()
    return token


def resume_session(
    session: Session, token: str, now: datetime, limits: SessionLimits
) -> StaffUser | None:
    """The active staff user of the live session ``token``, which counts as used now; None for
    an unknown, ended, expired or idle session (which is then ended) or a disabled user."""
    if not token or len(token) > 100:
        return None
    row = session.get(StaffSession, _session_id(token))
    if row is None or row.ended_at is not None:
        return None
    user = session.get(StaffUser, row.user_id)
    if (
        user is None
        or user.disabled_at is not None
        or now >= row.created_at + limits.lifetime
        or now >= row.last_seen_at + limits.idle
    ):
        row.ended_at = now
        return None
    if now - row.last_seen_at >= TOUCH_AFTER:
        row.last_seen_at = now
    return user


def end_session(session: Session, token: str, now: datetime) -> None:
    """Log one session out (the logout button)."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.id == _session_id(token), StaffSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )


def end_sessions_of(session: Session, user_id: str, now: datetime) -> None:
    """Log every session of a user out (password change, disabled user)."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
