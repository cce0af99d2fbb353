"""Payouts we advance to sellers, and recovery tasks when a paid parcel turns up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from forwarder_insure.db.base import Base, equals, in_list
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.payouts import PayoutStatus, RecoveryTaskStatus

#: Recovery tasks still to be worked, as an index predicate.
OPEN_TASK = equals("status", RecoveryTaskStatus.OPEN)


class Payout(Base):
    """One advance per claim, guaranteed by the unique claim id whatever runs at once."""

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint(in_list("status", PayoutStatus), name="status_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "carrier_part_minor + underwriter_part_minor = amount_minor", name="parts_add_up"
        ),
        Index("ix_payouts_status_advanced_at", "status", "advanced_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), unique=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    carrier_part_minor: Mapped[int] = mapped_column(BigInteger)
    underwriter_part_minor: Mapped[int] = mapped_column(BigInteger)
    #: Advanced before the grace documents arrived (fast track): clawed back if they never do.
    fast_track: Mapped[bool] = mapped_column(Boolean)
    advanced_at: Mapped[datetime]
    ledger_transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"))
    clawed_back_at: Mapped[datetime | None]
    #: What the underwriter and the carrier paid us back, once recorded.
    insurer_paid_minor: Mapped[int | None] = mapped_column(BigInteger)
    insurer_paid_at: Mapped[datetime | None]
    carrier_paid_minor: Mapped[int | None] = mapped_column(BigInteger)
    carrier_paid_at: Mapped[datetime | None]

    def money(self, minor: int | None) -> Money | None:
        return None if minor is None else Money.from_minor(minor, self.currency)

    @property
    def reference(self) -> str:
        """What billing quotes when it credits the seller: the payout id itself."""
        return self.id

    @property
    def insurer_paid(self) -> Money | None:
        return self.money(self.insurer_paid_minor)

    @property
    def carrier_paid(self) -> Money | None:
        return self.money(self.carrier_paid_minor)

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)

    @property
    def carrier_part(self) -> Money:
        return Money.from_minor(self.carrier_part_minor, self.currency)

    @property
    def underwriter_part(self) -> Money:
        return Money.from_minor(self.underwriter_part_minor, self.currency)


class RecoveryTask(Base):
    """A parcel delivered after we paid for its loss: ops recover the money, we never pay twice."""

    __tablename__ = "recovery_tasks"
    __table_args__ = (
        CheckConstraint(in_list("status", RecoveryTaskStatus), name="status_known"),
        Index(
            "ix_recovery_tasks_open",
            "opened_at",
            sqlite_where=text(OPEN_TASK),
            postgresql_where=text(OPEN_TASK),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), unique=True)
    payout_id: Mapped[str] = mapped_column(ForeignKey("payouts.id"))
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), index=True)
    status: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(300))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(1000))
