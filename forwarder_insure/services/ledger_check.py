"""Proving the books: the double-entry invariants checked over the whole ledger in SQL.

:func:`services.ledger.record` refuses an unbalanced movement, and on PostgreSQL a deferred
trigger refuses to commit one. That still leaves rows written past both: by SQLite (which has no
balance trigger), by a restore or a hand-written fix, or by a SQLite client that did not turn on
foreign keys. :func:`check_books` looks at what is actually stored, for ``forwarder-insure ledger
check``, for ops after an incident, and for tests (the ``balanced_books`` fixture).

Every check is one aggregate statement (``GROUP BY`` / anti-join) run by the database; only the
problems come back to Python, so the check costs the same handful of statements on any book.
Each problem query is a single statement, so on PostgreSQL a movement committed while the check
runs is seen whole or not at all, and cannot show up as a false problem (the counts may then
differ by that movement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import LedgerAccount, LedgerPosting, LedgerTransaction
from forwarder_insure.domain.ledger import Account
from forwarder_insure.domain.money import Money, MoneyError, check_currency


class ProblemKind(StrEnum):
    """What is wrong; the values are stable codes printed by the CLI."""

    #: A transaction's postings do not sum to zero in one currency.
    UNBALANCED_TRANSACTION = "unbalanced_transaction"
    #: A transaction with no posting or one: it moves nothing, or moves money from nowhere.
    TOO_FEW_POSTINGS = "too_few_postings"
    #: A posting to an account missing from ``ledger_accounts`` or from the chart of accounts.
    UNKNOWN_ACCOUNT = "unknown_account"
    #: Postings whose transaction row does not exist.
    UNKNOWN_TRANSACTION = "unknown_transaction"
    #: Postings in a code that is not an ISO 4217 currency.
    UNKNOWN_CURRENCY = "unknown_currency"
    #: The trial balance: all balances in one currency do not sum to zero.
    UNBALANCED_BOOK = "unbalanced_book"


@dataclass(frozen=True)
class LedgerProblem:
    """One broken invariant, with what is needed to find the rows."""

    kind: ProblemKind
    detail: str
    transaction_id: str | None = None
    currency: str | None = None
    #: By how much the postings miss zero (debits positive); None where it does not apply or
    #: the currency is not one we can express as Money (the detail then has the minor units).
    imbalance: Money | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "transaction_id": self.transaction_id,
            "currency": self.currency,
            "imbalance": None
            if self.imbalance is None
            else {"amount": self.imbalance.amount_text, "currency": self.imbalance.currency},
            "detail": self.detail,
        }


@dataclass(frozen=True)
class LedgerCheck:
    """The result of :func:`check_books`: what was checked, and every problem found."""

    transactions: int
    postings: int
    currencies: tuple[str, ...]
    problems: tuple[LedgerProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """The summary the CLI prints: ``{"ok": …, "transactions": …, "problems": […]}``."""
        return {
            "ok": self.ok,
            "transactions": self.transactions,
            "postings": self.postings,
            "currencies": list(self.currencies),
            "problems": [problem.as_json() for problem in self.problems],
        }


def check_books(session: Session) -> LedgerCheck:
    """Check every double-entry invariant over the whole ledger; read-only.

    Problems come in a fixed order: unknown currencies, unknown transactions, unknown accounts,
    transactions with too few postings, unbalanced transactions, then the trial balance.
    """
    transactions = session.execute(select(func.count()).select_from(LedgerTransaction)).scalar()
    per_currency = [
        (currency, int(count), int(total))
        for currency, count, total in session.execute(
            select(LedgerPosting.currency, func.count(), func.sum(LedgerPosting.amount_minor))
            .group_by(LedgerPosting.currency)
            .order_by(LedgerPosting.currency)
        )
    ]
    currencies = tuple(currency for currency, _, _ in per_currency)
    problems = [
        *_unknown_currencies(currencies),
        *_unknown_transactions(session),
        *_unknown_accounts(session),
        *_too_few_postings(session),
        *_unbalanced_transactions(session),
        *_unbalanced_book(per_currency),
    ]
    return LedgerCheck(
        transactions=int(transactions or 0),
        postings=sum(count for _, count, _ in per_currency),
        currencies=currencies,
        problems=tuple(problems),
    )


def _unknown_currencies(currencies: tuple[str, ...]) -> list[LedgerProblem]:
    # The distinct currencies are already in hand (one row each), so this is checked here.
    unknown = []
    for currency in currencies:
        try:
            check_currency(currency)
        except MoneyError:
            unknown.append(
                LedgerProblem(
                    ProblemKind.UNKNOWN_CURRENCY,
                    f"postings in {currency!r}, which is not an ISO 4217 currency",
                    currency=currency,
                )
            )
    return unknown


def _unknown_transactions(session: Session) -> list[LedgerProblem]:
    rows = session.execute(
        select(LedgerPosting.transaction_id, func.count())
        .outerjoin(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerTransaction.id.is_(None))
        .group_by(LedgerPosting.transaction_id)
        .order_by(LedgerPosting.transaction_id)
    ).all()
    return [
        LedgerProblem(
            ProblemKind.UNKNOWN_TRANSACTION,
            f"{count} posting(s) belong to transaction {transaction_id!r}, which does not exist",
            transaction_id=transaction_id,
        )
        for transaction_id, count in rows
    ]


def _unknown_accounts(session: Session) -> list[LedgerProblem]:
    chart = [account.value for account in Account]
    rows = session.execute(
        select(LedgerPosting.transaction_id, LedgerPosting.currency, LedgerPosting.account)
        .outerjoin(LedgerAccount, LedgerAccount.code == LedgerPosting.account)
        .where(or_(LedgerAccount.code.is_(None), LedgerPosting.account.not_in(chart)))
        .group_by(LedgerPosting.transaction_id, LedgerPosting.currency, LedgerPosting.account)
        .order_by(LedgerPosting.transaction_id, LedgerPosting.currency, LedgerPosting.account)
    ).all()
    return [
        LedgerProblem(
            ProblemKind.UNKNOWN_ACCOUNT,
            f"transaction {transaction_id!r} posts to {account!r}, which is not in the chart of "
            "accounts",
            transaction_id=transaction_id,
            currency=currency,
        )
        for transaction_id, currency, account in rows
    ]


def _too_few_postings(session: Session) -> list[LedgerProblem]:
    postings = func.count(LedgerPosting.id)
    rows = session.execute(
        select(LedgerTransaction.id, postings)
        .outerjoin(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
        .group_by(LedgerTransaction.id)
        .having(postings < 2)
        .order_by(LedgerTransaction.id)
    ).all()
    return [
        LedgerProblem(
            ProblemKind.TOO_FEW_POSTINGS,
            f"transaction {transaction_id!r} has {count} posting(s); a movement needs two",
            transaction_id=transaction_id,
        )
        for transaction_id, count in rows
    ]


def _unbalanced_transactions(session: Session) -> list[LedgerProblem]:
    total = func.sum(LedgerPosting.amount_minor)
    rows = session.execute(
        select(LedgerPosting.transaction_id, LedgerPosting.currency, total)
        .group_by(LedgerPosting.transaction_id, LedgerPosting.currency)
        .having(total != 0)
        .order_by(LedgerPosting.transaction_id, LedgerPosting.currency)
    ).all()
    problems = []
    for transaction_id, currency, off_minor in rows:
        imbalance, off = _imbalance(int(off_minor), currency)
        problems.append(
            LedgerProblem(
                ProblemKind.UNBALANCED_TRANSACTION,
                f"transaction {transaction_id!r} is off by {off}",
                transaction_id=transaction_id,
                currency=currency,
                imbalance=imbalance,
            )
        )
    return problems


def _unbalanced_book(per_currency: Sequence[tuple[str, int, int]]) -> list[LedgerProblem]:
    """The trial balance, from the per-currency totals already fetched.

    Implied by every transaction balancing, and reported on its own because it is the figure an
    accountant asks for first.
    """
    problems = []
    for currency, _, total in per_currency:
        if total == 0:
            continue
        imbalance, off = _imbalance(total, currency)
        problems.append(
            LedgerProblem(
                ProblemKind.UNBALANCED_BOOK,
                f"all {currency} balances sum to {off}, not zero",
                currency=currency,
                imbalance=imbalance,
            )
        )
    return problems


def _imbalance(minor: int, currency: str) -> tuple[Money | None, str]:
    """The amount as Money and as text; only text when the currency or amount is not Money."""
    try:
        money = Money.from_minor(minor, currency)
    except MoneyError:
        return None, f"{minor} minor units of {currency!r}"
    return money, str(money)
