"""The ledger: accounts, transactions and their postings (double-entry, append-only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forwarder_insure.db.base import Base, BigIntKey


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"

    code: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class LedgerTransaction(Base):
    """One money movement. ``(kind, reference)`` is unique: a movement cannot happen twice."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (UniqueConstraint("kind", "reference"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: What the movement is about, as ``<kind>:<id>`` (for example the coverage id).
    reference: Mapped[str] = mapped_column(String(80))
    memo: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    postings: Mapped[list[LedgerPosting]] = relationship(
        back_populates="transaction", order_by="LedgerPosting.id"
    )


class LedgerPosting(Base):
    """A debit (amount > 0) or credit (amount < 0) of one account, in one currency."""

    __tablename__ = "ledger_postings"
    __table_args__ = (Index("ix_ledger_postings_account_currency", "account", "currency"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.code"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    transaction: Mapped[LedgerTransaction] = relationship(back_populates="postings")
