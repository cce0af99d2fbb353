"""API keys and staff users: creating them, and turning a presented secret into a caller.

An API key is shown once, at creation. We keep only its SHA-256 (a key is 256 random bits, so a
fast hash is enough; passwords, which are not random, get a slow salted hash) and a short public
prefix that lets people tell keys apart in lists and logs.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cachetools import TTLCache
from sqlalchemy import case, literal, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from forwarder_insure.db.base import UTCDateTime
from forwarder_insure.db.models import ApiKey, StaffUser
from forwarder_insure.db.session import Database
from forwarder_insure.domain.access import STAFF_ROLES, Caller, Role
from forwarder_insure.domain.clock import Clock
from forwarder_insure.domain.errors import Conflict, Invalid, NotFound
from forwarder_insure.domain.ids import new_id
from forwarder_insure.services import staff_sessions
from forwarder_insure.services.sellers import ensure_seller

KEY_SCHEME = "fik"
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key: ``secret`` is the only copy and is never stored."""

    id: str
    prefix: str
    secret: str
    role: Role
    seller_id: str | None


def key_prefix(secret: str) -> str:
    """The public part of a key (``fik_1a2b3c4d5e``): what lists and logs show."""
    return "_".join(secret.split("_", 2)[:2])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise Invalid(f"{value!r} is not a role; roles are {roles}", code="invalid_role") from None


def create_api_key(
    session: Session,
    role: Role,
    now: datetime,
    seller_id: str | None = None,
    name: str | None = None,
    *,
    secret: str | None = None,
) -> IssuedKey:
    """Issue a key for ``role``; a seller key needs the seller it acts for.

    ``secret`` is for keys derived elsewhere (the demo's); by default the key is random.
    """
    if role is Role.SELLER and not seller_id:
        raise Invalid("a seller key needs a seller id", code="seller_required")
    if role is not Role.SELLER and seller_id:
        raise Invalid("only seller keys are bound to a seller", code="seller_not_allowed")
    if seller_id:
        ensure_seller(session, seller_id, now)
    if secret is None:
        secret = f"{KEY_SCHEME}_{secrets.token_hex(5)}_{secrets.token_urlsafe(32)}"
    prefix = key_prefix(secret)
    row = ApiKey(
        id=new_id("key"),
        prefix=prefix,
        secret_hash=hash_secret(secret),
        role=role.value,
        seller_id=seller_id,
        name=name,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return IssuedKey(id=row.id, prefix=prefix, secret=secret, role=role, seller_id=seller_id)


@dataclass(frozen=True)
class KeyHolder:
    """What a valid key tells us: who is calling and under which key id."""

    key_id: str
    prefix: str
    caller: Caller


def authenticate_key(session: Session, presented: str) -> KeyHolder | None:
    """The holder of ``presented``, or None if no live key matches."""
    if not presented or len(presented) > 200:
        return None
    row = session.execute(
        select(ApiKey).where(ApiKey.secret_hash == hash_secret(presented))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    caller = Caller(role=Role(row.role), actor=f"api-key:{row.prefix}", seller_id=row.seller_id)
    return KeyHolder(key_id=row.id, prefix=row.prefix, caller=caller)


class KeyCache:
    """Keys that were valid moments ago, so requests that change nothing skip the database.

    A :class:`cachetools.TTLCache` of valid keys by hash, timed by the app clock. Only a request
    that changes nothing (``read_only``) may answer from it, so a revoked key may still read
    and quote in a process for at most ``max_age`` seconds (FI_API_KEY_CACHE_SECONDS; 0 turns
    the cache off) but never writes again: every other request checks the database, and a key
    it finds revoked is dropped from the cache too.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, max_age: float, clock: Clock):
        self._entries: TTLCache[str, KeyHolder] | None = None
        if max_age > 0:
            self._entries = TTLCache(
                maxsize=self.MAX_ENTRIES, ttl=max_age, timer=lambda: clock.now().timestamp()
            )
        self._lock = threading.Lock()

    def authenticate(
        self, presented: str, load: Callable[[], Session], *, read_only: bool
    ) -> KeyHolder | None:
        """The holder of ``presented``: from the cache if ``read_only`` and it is there, else
        from the database via ``load()`` (which refreshes or drops the cached entry)."""
        entries = self._entries
        if entries is None:
            return authenticate_key(load(), presented)
        digest = hash_secret(presented or "")
        if read_only:
            with self._lock:
                try:
                    return entries[digest]  # one timer call, unlike ``get``
                except KeyError:
                    pass
        holder = authenticate_key(load(), presented)
        with self._lock:
            if holder is None:
                entries.pop(digest, None)
            else:
                entries[digest] = holder
        return holder

    def forget(self) -> None:
        """Drop every cached key (after a revocation in this process)."""
        if self._entries is not None:
            with self._lock:
                self._entries.clear()


def revoke_api_key(session: Session, prefix: str, now: datetime) -> bool:
    row = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


def create_staff_user(
    session: Session, email: str, role: Role, password: str, now: datetime
) -> StaffUser:
    """A console login for ops staff; e-mail addresses are compared case-insensitively."""
    if role not in STAFF_ROLES:
        raise Invalid(f"staff users are handler, supervisor or admin, not {role.value}")
    normalised = email.strip().lower()
    if "@" not in normalised or len(normalised) > 254:
        raise Invalid(f"{email!r} is not an e-mail address", code="invalid_email")
    _require_strong(password)
    if session.execute(select(StaffUser.id).where(StaffUser.email == normalised)).first():
        raise Conflict(f"a staff user {normalised} already exists", code="staff_user_exists")
    user = StaffUser(
        id=new_id("usr"),
        email=normalised,
        password_hash=generate_password_hash(password),
        role=role.value,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def _require_strong(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters", code="weak_password"
        )


def _staff_user(session: Session, email: str) -> StaffUser:
    user = session.execute(
        select(StaffUser).where(StaffUser.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no staff user {email.strip().lower()}", code="staff_user_not_found")
    return user


def change_staff_password(session: Session, user_id: str, password: str, now: datetime) -> None:
    """Give the staff user a new password and log out every one of its console sessions (a
    stolen cookie is why people change passwords). A new password also clears the count of
    login attempts."""
    _require_strong(password)
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"no staff user {user_id}", code="staff_user_not_found")
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    staff_sessions.end_sessions_of(session, user.id, now)


def set_staff_password(session: Session, email: str, password: str, now: datetime) -> StaffUser:
    """An administrator's password reset (``set-staff-password``): as
    :func:`change_staff_password`, for the user with that address."""
    user = _staff_user(session, email)
    change_staff_password(session, user.id, password, now)
    return user


def disable_staff_user(session: Session, email: str, now: datetime) -> StaffUser:
    """Stop a staff user logging in, and end its console sessions at once."""
    user = _staff_user(session, email)
    if user.disabled_at is None:
        user.disabled_at = now
    session.flush()
    staff_sessions.end_sessions_of(session, user.id, now)
    return user


#: Console login attempts that lock the login, and for how long. A lock slows a
#: password-guessing run to a handful of tries per quarter hour per account.
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginAttempt:
    """A reserved attempt: one password check against this account's hash may be made."""

    user_id: str
    password_hash: str


def reserve_login_attempt(session: Session, email: str, now: datetime) -> LoginAttempt | None:
    """Count one login attempt against the account of ``email`` *before* its password is
    checked, or refuse (None) an unknown, disabled or locked account.

    One conditional ``UPDATE … RETURNING``: PostgreSQL re-reads the row a concurrent attempt
    just changed before deciding, and SQLite runs one writer at a time, so however many
    attempts race, at most :data:`LOCKOUT_AFTER` are granted per lock window. The attempt that
    reaches the limit sets ``locked_until``; an expired lock starts the count again. Commit the
    session at once, before the (slow) password check, so the row lock is held only for this
    statement.
    """
    restarting = StaffUser.locked_until.is_not(None)  # only expired locks get this far
    attempts = case((restarting, 1), else_=StaffUser.failed_logins + 1)
    lock_ends = literal(now + LOCKOUT_FOR, UTCDateTime())
    row = session.execute(
        update(StaffUser)
        .where(
            StaffUser.email == email.strip().lower(),
            StaffUser.disabled_at.is_(None),
            or_(StaffUser.locked_until.is_(None), StaffUser.locked_until <= now),
        )
        .values(
            failed_logins=attempts,
            locked_until=case((attempts >= LOCKOUT_AFTER, lock_ends), else_=None),
        )
        .returning(StaffUser.id, StaffUser.password_hash)
        .execution_options(synchronize_session=False)
    ).first()
    return None if row is None else LoginAttempt(user_id=row.id, password_hash=row.password_hash)


def check_login_attempt(
    session: Session, attempt: LoginAttempt | None, password: str
) -> StaffUser | None:
    """The staff user if ``password`` is right for the reserved ``attempt``, with the count of
    attempts cleared (flushed in ``session``); None otherwise. Without an attempt the same time
    is spent on a dummy hash, so a timing probe cannot tell unknown, locked or wrong apart."""
    if attempt is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(attempt.password_hash, password):
        return None
    user = session.get(StaffUser, attempt.user_id, populate_existing=True)
    if user is None or user.disabled_at is not None:
        return None
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def authenticate_staff(
    database: Database, email: str, password: str, now: datetime
) -> StaffUser | None:
    """A console login: the active, unlocked staff user with these credentials, or None.

    The attempt is reserved and counted in its own short transaction (committed even when the
    password then proves wrong), the password is checked outside any lock, and a success clears
    the count in another. So at most :data:`LOCKOUT_AFTER` passwords are ever checked per
    account per :data:`LOCKOUT_FOR`, whatever runs at once.
    """
    with database.unit_of_work() as session:
        attempt = reserve_login_attempt(session, email, now)
    with database.unit_of_work() as session:
        return check_login_attempt(session, attempt, password)


_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))
