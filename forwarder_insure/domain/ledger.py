"""Double-entry bookkeeping: accounts, postings, and the money movements of the product.

Every movement is one transaction whose postings sum to zero in each currency. A posting's amount
is positive for a debit and negative for a credit. Transactions are never edited: a correction
or a refund is a new transaction (see :func:`reversal`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from forwarder_insure.domain.errors import DomainError
from forwarder_insure.domain.money import Money


class Account(StrEnum):
    """The chart of accounts (codes are stored in every posting)."""

    #: Premiums sellers owe us (collected through the warehouse's billing).
    PREMIUMS_RECEIVABLE = "premiums_receivable"
    #: The underwriter's share of premiums, owed to it.
    PREMIUMS_PAYABLE_UNDERWRITER = "premiums_payable_underwriter"
    #: Our commission on premiums.
    FEE_INCOME = "fee_income"
    #: Claim payouts we owe sellers (advanced before the insurer settles).
    SELLER_PAYABLE = "seller_payable"
    #: What underwriters owe us for claims we advanced.
    CLAIMS_RECEIVABLE_UNDERWRITER = "claims_receivable_underwriter"
    #: What carriers owe us under their own liability (base cover).
    CLAIMS_RECEIVABLE_CARRIER = "claims_receivable_carrier"
    #: What sellers owe us back (an advance whose documents never came).
    SELLER_RECEIVABLE = "seller_receivable"
    #: Losses we bear ourselves (an insurer shortfall or rejection we do not pass on).
    CLAIMS_LOSS = "claims_loss"
    #: Money received from underwriters and carriers (claim settlements and recoveries).
    CASH_RECEIVED = "cash_received"


ACCOUNT_NAMES = {
    Account.PREMIUMS_RECEIVABLE: "Premiums receivable from sellers",
    Account.PREMIUMS_PAYABLE_UNDERWRITER: "Premiums payable to underwriters",
    Account.FEE_INCOME: "Commission income",
    Account.SELLER_PAYABLE: "Claim payouts payable to sellers",
    Account.CLAIMS_RECEIVABLE_UNDERWRITER: "Claims receivable from underwriters",
    Account.CLAIMS_RECEIVABLE_CARRIER: "Claims receivable from carriers",
    Account.SELLER_RECEIVABLE: "Receivable from sellers (clawbacks)",
    Account.CLAIMS_LOSS: "Claim losses borne by us",
    Account.CASH_RECEIVED: "Claim money received from underwriters and carriers",
}


class UnbalancedTransaction(DomainError):
    code = "unbalanced_transaction"


@dataclass(frozen=True)
class Posting:
    account: Account
    amount: Money  # debit > 0, credit < 0


def check_balanced(postings: Iterable[Posting]) -> list[Posting]:
    """Return the postings that move money, if they sum to zero per currency and there are at
    least two of them; else raise. Zero postings are dropped first, so they cannot make up the
    count of a transaction that moves nothing."""
    postings = [p for p in postings if not p.amount.is_zero]
    if len(postings) < 2:
        raise UnbalancedTransaction("a transaction needs at least two postings that move money")
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for posting in postings:
        sums[posting.amount.currency] += posting.amount.amount
    off = {currency: total for currency, total in sums.items() if total != 0}
    if off:
        raise UnbalancedTransaction(f"postings do not sum to zero: {off}")
    return postings


def premium_booking(premium: Money, commission_rate: Decimal) -> list[Posting]:
    """Binding: the seller owes the premium; our commission is income, the rest the underwriter's.

    The commission is rounded once; the underwriter's share is the exact remainder, so nothing is
    lost to rounding.
    """
    fee = premium.times(commission_rate)
    return check_balanced(
        [
            Posting(Account.PREMIUMS_RECEIVABLE, premium),
            Posting(Account.FEE_INCOME, -fee),
            Posting(Account.PREMIUMS_PAYABLE_UNDERWRITER, -(premium - fee)),
        ]
    )


def reversal(postings: Iterable[Posting]) -> list[Posting]:
    """The transaction that undoes ``postings`` (a void's premium refund, for instance)."""
    return check_balanced([Posting(p.account, -p.amount) for p in postings])
