"""The ledger's invariants hold in the database itself, not only in our code."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import DBAPIError

from forwarder_insure.db.models import LedgerPosting, LedgerTransaction
from forwarder_insure.domain.ledger import Account, Posting, UnbalancedTransaction
from forwarder_insure.domain.money import Money
from forwarder_insure.services import ledger


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def test_record_refuses_postings_that_do_not_balance(database, clock):
    with pytest.raises(UnbalancedTransaction), database.unit_of_work() as session:
        ledger.record(
            session,
            kind="test",
            reference="r1",
            postings=[
                Posting(Account.PREMIUMS_RECEIVABLE, usd("1.00")),
                Posting(Account.FEE_INCOME, usd("-0.99")),
            ],
            now=clock.now(),
        )


def test_the_same_movement_cannot_be_recorded_twice(database, clock):
    postings = [
        Posting(Account.PREMIUMS_RECEIVABLE, usd("1.00")),
        Posting(Account.FEE_INCOME, usd("-1.00")),
    ]
    with database.unit_of_work() as session:
        ledger.record(session, kind="test", reference="r2", postings=postings, now=clock.now())
    with pytest.raises(DBAPIError), database.unit_of_work() as session:
        ledger.record(session, kind="test", reference="r2", postings=postings, now=clock.now())


def recorded(database, clock) -> str:
    with database.unit_of_work() as session:
        return ledger.record(
            session,
            kind="test",
            reference="r3",
            postings=[
                Posting(Account.PREMIUMS_RECEIVABLE, usd("2.00")),
                Posting(Account.FEE_INCOME, usd("-2.00")),
            ],
            now=clock.now(),
        ).id


@pytest.mark.parametrize(
    "statement",
    [
        lambda txn: update(LedgerPosting).values(amount_minor=0),
        lambda txn: delete(LedgerPosting),
        lambda txn: update(LedgerTransaction).values(memo="edited"),
        lambda txn: delete(LedgerTransaction).where(LedgerTransaction.id == txn),
    ],
    ids=["update-posting", "delete-posting", "update-transaction", "delete-transaction"],
)
def test_postings_and_transactions_cannot_be_edited_or_deleted(database, clock, statement):
    txn = recorded(database, clock)
    with pytest.raises(DBAPIError, match="append-only"), database.unit_of_work() as session:
        session.execute(statement(txn))


@pytest.mark.postgres_only
def test_postgres_refuses_to_commit_an_unbalanced_transaction_written_behind_our_back(
    committing_database, clock, backend
):
    def write_unbalanced_rows_directly():
        with committing_database.unit_of_work() as session:
            session.execute(
                insert(LedgerTransaction).values(
                    id="txn_raw", kind="raw", reference="raw", created_at=clock.now()
                )
            )
            session.execute(
                insert(LedgerPosting).values(
                    transaction_id="txn_raw", account="fee_income", currency="USD", amount_minor=5
                )
            )

    with pytest.raises(DBAPIError, match="does not balance"):
        write_unbalanced_rows_directly()
