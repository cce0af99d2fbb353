"""Writing to and reading from the ledger.

:func:`record` is the only way money moves: it checks the postings balance per currency before
writing, and the ``(kind, reference)`` uniqueness of transactions makes a repeated movement fail
instead of paying twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import LedgerPosting, LedgerTransaction
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.ledger import Posting, check_balanced
from forwarder_insure.domain.money import Money


def record(
    session: Session,
    *,
    kind: str,
    reference: str,
    postings: Iterable[Posting],
    now: datetime,
    memo: str | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction in the caller's unit of work."""
    postings = check_balanced(postings)
    transaction = LedgerTransaction(
        id=new_id("txn"), kind=kind, reference=reference, memo=memo, created_at=now
    )
    session.add(transaction)
    session.flush()
    session.add_all(
        LedgerPosting(
            transaction_id=transaction.id,
            account=p.account.value,
            currency=p.amount.currency,
            amount_minor=p.amount.minor,
        )
        for p in postings
    )
    session.flush()
    return transaction


@dataclass(frozen=True)
class Balance:
    account: str
    balance: Money


def balances(session: Session) -> list[Balance]:
    """Every account's balance per currency (debits positive); each currency sums to zero."""
    rows = session.execute(
        select(LedgerPosting.account, LedgerPosting.currency, func.sum(LedgerPosting.amount_minor))
        .group_by(LedgerPosting.account, LedgerPosting.currency)
        .order_by(LedgerPosting.currency, LedgerPosting.account)
    ).all()
    return [
        Balance(account, Money.from_minor(int(total), currency))
        for account, currency, total in rows
    ]
