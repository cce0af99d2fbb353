"""Sellers and the credentials that act for them or for the forwarder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forwarder_insure.db.base import Base
from forwarder_insure.domain.access import Role

_ROLE_NAMES = ", ".join(f"'{r.value}'" for r in Role)


class Seller(Base):
    """A seller, keyed by the warehouse's customer code; created on first reference."""

    __tablename__ = "sellers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]

    @property
    def seller_id(self) -> str:
        """A seller owns itself (tenant scope treats it like any seller-owned row)."""
        return self.id


class ApiKey(Base):
    """An API key. Only a SHA-256 of the secret is stored; ``prefix`` is what people are shown."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_NAMES})", name="role_known"),
        CheckConstraint(
            "(role = 'seller' AND seller_id IS NOT NULL)"
            " OR (role <> 'seller' AND seller_id IS NULL)",
            name="seller_key_has_seller",
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    seller_id: Mapped[str | None] = mapped_column(ForeignKey("sellers.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class StaffUser(Base):
    """An ops staff member who logs in to the console; the password is stored as a salted hash."""

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint("role IN ('handler', 'supervisor', 'admin')", name="role_is_staff"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    #: Failed logins in a row; at the limit the login locks until ``locked_until``.
    failed_logins: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    locked_until: Mapped[datetime | None]


class StaffSession(Base):
    """A console session, kept on the server so logging out really ends it.

    The browser's signed cookie carries a random token; only its SHA-256 is stored here (``id``),
    so a copy of this table opens no console. A session is alive while ``ended_at`` is empty and
    neither its lifetime (from ``created_at``) nor its idle timeout (from ``last_seen_at``) has
    passed.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
