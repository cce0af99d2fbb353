"""check_books proves the double-entry invariants over what is stored, not what record() meant.

Broken books cannot be written through ``services.ledger.record``, so these tests write rows
directly, inside each test's rolled-back transaction. Where the database itself refuses such rows
(foreign keys on both backends, the deferred balance trigger on PostgreSQL), a test shows the
refusal first, and the detection test then gets past it only inside that same rolled-back
transaction: the balance trigger fires at COMMIT, which never comes; foreign keys are deferred
(SQLite) or dropped (PostgreSQL DDL is transactional, so the rollback puts them back).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from forwarder_insure.db.models import LedgerAccount, LedgerPosting, LedgerTransaction
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.ledger import Account, Posting, premium_booking, reversal
from forwarder_insure.domain.money import Money
from forwarder_insure.services import ledger
from forwarder_insure.services.ledger_check import ProblemKind, check_books
from tests.fixtures.books import assert_books_balance
from tests.fixtures.insurance import bind, offered_token

FOREIGN_KEYS = (
    "fk_ledger_postings_account_ledger_accounts",
    "fk_ledger_postings_transaction_id_ledger_transactions",
)


def money(amount: str, currency: str = "USD") -> Money:
    return Money.of(amount, currency)


def record(database, clock, reference: str, *postings: Posting, kind: str = "test") -> str:
    with database.unit_of_work() as session:
        return ledger.record(
            session, kind=kind, reference=reference, postings=postings, now=clock.now()
        ).id


def write_directly(
    session: Session, clock, transaction_id: str, *postings: tuple[str, str, int]
) -> None:
    """A transaction and its postings (account, currency, minor units), past record()'s checks."""
    session.execute(
        insert(LedgerTransaction).values(
            id=transaction_id, kind="raw", reference=transaction_id, created_at=clock.now()
        )
    )
    write_postings(session, transaction_id, *postings)


def write_postings(session: Session, transaction_id: str, *postings: tuple[str, str, int]) -> None:
    for account, currency, minor in postings:
        session.execute(
            insert(LedgerPosting).values(
                transaction_id=transaction_id,
                account=account,
                currency=currency,
                amount_minor=minor,
            )
        )


def checked(database):
    with database.unit_of_work() as session:
        return check_books(session)


@contextmanager
def foreign_keys_unenforced(database, backend) -> Iterator[Session]:
    """A session whose writes skip the ledger's foreign keys until the test rolls back."""
    with database.unit_of_work() as session:
        if backend == "sqlite":
            # Checked only at COMMIT, which the test's outer transaction never reaches.
            session.execute(text("PRAGMA defer_foreign_keys = ON"))
        else:
            for name in FOREIGN_KEYS:
                session.execute(text(f"ALTER TABLE ledger_postings DROP CONSTRAINT {name}"))
        yield session


def test_an_empty_ledger_is_balanced(database):
    result = checked(database)
    assert result.ok
    assert (result.transactions, result.postings, result.currencies) == (0, 0, ())
    assert result.as_json() == {
        "ok": True,
        "transactions": 0,
        "postings": 0,
        "currencies": [],
        "problems": [],
    }


def test_balanced_movements_in_several_currencies_pass_and_are_counted(database, clock):
    record(
        database,
        clock,
        "usd",
        Posting(Account.PREMIUMS_RECEIVABLE, money("10.00")),
        Posting(Account.FEE_INCOME, money("-2.50")),
        Posting(Account.PREMIUMS_PAYABLE_UNDERWRITER, money("-7.50")),
    )
    record(
        database,
        clock,
        "jpy",
        Posting(Account.SELLER_PAYABLE, money("-1500", "JPY")),
        Posting(Account.CLAIMS_RECEIVABLE_UNDERWRITER, money("1500", "JPY")),
    )
    record(
        database,
        clock,
        "kwd",
        Posting(Account.SELLER_RECEIVABLE, money("0.125", "KWD")),
        Posting(Account.SELLER_PAYABLE, money("-0.125", "KWD")),
    )
    result = checked(database)
    assert result.ok, result.problems
    assert (result.transactions, result.postings) == (3, 7)
    assert result.currencies == ("JPY", "KWD", "USD")


def test_a_premium_and_its_refund_leave_the_books_balanced(database, clock):
    booking = premium_booking(money("3.33"), Decimal("0.2"))
    record(database, clock, "cov_1", *booking, kind="premium_booked")
    record(database, clock, "cov_1", *reversal(booking), kind="premium_refunded")
    assert checked(database).ok


def test_an_unbalanced_transaction_is_found_with_its_imbalance(database, clock):
    with database.unit_of_work() as session:
        write_directly(
            session,
            clock,
            "txn_off",
            ("premiums_receivable", "USD", 1000),
            ("fee_income", "USD", -995),
            ("seller_payable", "JPY", 700),
            ("seller_receivable", "JPY", -700),
        )
    result = checked(database)
    assert not result.ok
    off = Money.of("0.05", "USD")
    assert [(p.kind, p.transaction_id, p.currency, p.imbalance) for p in result.problems] == [
        (ProblemKind.UNBALANCED_TRANSACTION, "txn_off", "USD", off),
        (ProblemKind.UNBALANCED_BOOK, None, "USD", off),
    ]
    assert result.problems[0].as_json() == {
        "kind": "unbalanced_transaction",
        "transaction_id": "txn_off",
        "currency": "USD",
        "imbalance": {"amount": "0.05", "currency": "USD"},
        "detail": "transaction 'txn_off' is off by 0.05 USD",
    }


@pytest.mark.postgres_only
def test_postgres_would_refuse_to_commit_what_the_check_finds(database, clock, backend):
    with database.unit_of_work() as session:
        write_directly(session, clock, "txn_off", ("fee_income", "USD", 5))
    assert [p.kind for p in checked(database).problems] == [
        ProblemKind.TOO_FEW_POSTINGS,
        ProblemKind.UNBALANCED_TRANSACTION,
        ProblemKind.UNBALANCED_BOOK,
    ]
    # The balance trigger is deferred to COMMIT; making it immediate runs it now.
    with (
        pytest.raises(DBAPIError, match="does not balance"),
        database.unit_of_work() as session,
    ):
        session.execute(text("SET CONSTRAINTS ledger_postings_balanced IMMEDIATE"))


def test_transactions_with_fewer_than_two_postings_are_found(database, clock):
    # Both balance (a bare transaction; one posting of zero), so no trigger objects to them.
    with database.unit_of_work() as session:
        write_directly(session, clock, "txn_bare")
        write_directly(session, clock, "txn_single", ("fee_income", "EUR", 0))
    result = checked(database)
    assert [(p.kind, p.transaction_id) for p in result.problems] == [
        (ProblemKind.TOO_FEW_POSTINGS, "txn_bare"),
        (ProblemKind.TOO_FEW_POSTINGS, "txn_single"),
    ]
    assert (
        result.problems[1].detail
        == "transaction 'txn_single' has 1 posting(s); a movement needs two"
    )


def test_the_database_refuses_a_posting_to_an_unknown_account(database, clock):
    with pytest.raises(IntegrityError), database.unit_of_work() as session:
        write_directly(
            session, clock, "txn_x", ("petty_cash", "USD", 100), ("fee_income", "USD", -100)
        )


def test_a_posting_to_an_unknown_account_is_found_where_foreign_keys_were_not_enforced(
    database, clock, backend
):
    with foreign_keys_unenforced(database, backend) as session:
        write_directly(
            session, clock, "txn_x", ("petty_cash", "USD", 100), ("fee_income", "USD", -100)
        )
    result = checked(database)
    assert [(p.kind, p.transaction_id, p.currency) for p in result.problems] == [
        (ProblemKind.UNKNOWN_ACCOUNT, "txn_x", "USD")
    ]
    assert "'petty_cash'" in result.problems[0].detail


def test_an_account_the_chart_of_accounts_does_not_know_is_found(database, clock):
    with database.unit_of_work() as session:
        session.add(LedgerAccount(code="suspense", name="Suspense"))
        write_directly(
            session, clock, "txn_s", ("suspense", "USD", 100), ("fee_income", "USD", -100)
        )
    assert [(p.kind, p.transaction_id) for p in checked(database).problems] == [
        (ProblemKind.UNKNOWN_ACCOUNT, "txn_s")
    ]


def test_postings_of_a_transaction_that_does_not_exist_are_found(database, clock, backend):
    with foreign_keys_unenforced(database, backend) as session:
        write_postings(
            session, "txn_gone", ("fee_income", "USD", -100), ("premiums_receivable", "USD", 100)
        )
    result = checked(database)
    assert [(p.kind, p.transaction_id) for p in result.problems] == [
        (ProblemKind.UNKNOWN_TRANSACTION, "txn_gone")
    ]
    assert (result.transactions, result.postings) == (0, 2)


def test_postings_in_an_unknown_currency_are_reported_without_failing_the_check(database, clock):
    with database.unit_of_work() as session:
        write_directly(
            session, clock, "txn_c", ("fee_income", "ZZZ", -100), ("seller_payable", "ZZZ", 90)
        )
    result = checked(database)
    assert [(p.kind, p.currency, p.imbalance) for p in result.problems] == [
        (ProblemKind.UNKNOWN_CURRENCY, "ZZZ", None),
        (ProblemKind.UNBALANCED_TRANSACTION, "ZZZ", None),
        (ProblemKind.UNBALANCED_BOOK, "ZZZ", None),
    ]
    assert "-10 minor units of 'ZZZ'" in result.problems[1].detail


def test_the_check_runs_the_same_statements_whatever_the_size_of_the_book(database, clock):
    def statements_run_by_the_check() -> int:
        seen: list[str] = []
        with database.unit_of_work() as session:
            connection = session.connection()
            listener = lambda *args: seen.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
            event.listen(connection, "before_cursor_execute", listener)
            try:
                check_books(session)
            finally:
                event.remove(connection, "before_cursor_execute", listener)
        return len(seen)

    def book(start: int, count: int) -> None:
        for n in range(start, start + count):
            record(
                database,
                clock,
                f"r{n}",
                Posting(Account.PREMIUMS_RECEIVABLE, money("1.00")),
                Posting(Account.FEE_INCOME, money("-1.00")),
            )

    book(0, 2)
    small = statements_run_by_the_check()
    book(2, 60)
    with database.unit_of_work() as session:
        for n in range(20):
            write_directly(session, clock, f"txn_off_{n}", ("fee_income", "USD", n + 1))
    assert len(checked(database).problems) == 2 * 20 + 1
    assert 5 <= statements_run_by_the_check() == small <= 8


def test_binding_and_voiding_a_coverage_keeps_the_books_balanced(
    balanced_books, app, as_role, underwriter
):
    seller = as_role(Role.SELLER)
    coverage = bind(seller, offered_token(seller)).get_json()
    assert seller.post(f"/api/v1/coverages/{coverage['id']}/void").status_code == 200
    result = checked(app.extensions["forwarder_insure"].database)
    assert result.ok
    assert result.transactions == 2


def test_balanced_books_fails_the_test_that_leaves_the_books_broken(database, clock):
    assert_books_balance(database)
    with database.unit_of_work() as session:
        write_directly(session, clock, "txn_off", ("fee_income", "USD", 5))
    with pytest.raises(
        pytest.fail.Exception, match="unbalanced_transaction: transaction 'txn_off'"
    ):
        assert_books_balance(database)
