"""The money of a claim: advancing the payout, clawing it back, and recovering it.

We pay the seller ourselves as soon as a claim is payable and recover the money afterwards: the
part the carrier's own liability (base cover) covers from the carrier, the rest from the
underwriter. Each step is a balanced set of postings (``domain/ledger.py``); what was not
recovered is booked, never left standing in a receivable.

Advance      Dr claims receivable (underwriter, carrier)   Cr seller payable
Clawback     Dr seller receivable                          Cr claims receivable (both parts)
Settlement   Dr cash received, claims loss (shortfall)     Cr claims receivable underwriter
Rejection    Dr claims loss or seller receivable           Cr claims receivable underwriter
Carrier      Dr cash received, claims loss (shortfall)     Cr claims receivable carrier
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.ledger import Account, Posting, check_balanced
from forwarder_insure.domain.money import Money


class PayoutStatus(StrEnum):
    """An advance stands until the seller owes it back (grace documents never came)."""

    ADVANCED = "advanced"
    CLAWED_BACK = "clawed_back"


class RecoveryTaskStatus(StrEnum):
    """A task to recover a payout for a parcel that turned up: open until ops close it."""

    OPEN = "open"
    CLOSED = "closed"


class RejectionBooking(StrEnum):
    """Who bears an advance the underwriter refuses to pay (a claim-rules setting)."""

    LOSS = "claims_loss"  # we do
    SELLER = "seller_receivable"  # the seller pays it back


@dataclass(frozen=True)
class PayoutSplit:
    """Who we recover an advance from."""

    carrier: Money
    underwriter: Money

    @property
    def total(self) -> Money:
        return self.carrier + self.underwriter


def split(amount: Money, carrier_base_cover: Money | None) -> PayoutSplit:
    """The carrier's liability covers the first part of a loss, the underwriter the rest."""
    if carrier_base_cover is None or carrier_base_cover.amount <= 0:
        return PayoutSplit(Money.zero(amount.currency), amount)
    carrier = min(amount, carrier_base_cover)
    return PayoutSplit(carrier, amount - carrier)


def advance(parts: PayoutSplit) -> list[Posting]:
    return check_balanced(
        [
            Posting(Account.CLAIMS_RECEIVABLE_UNDERWRITER, parts.underwriter),
            Posting(Account.CLAIMS_RECEIVABLE_CARRIER, parts.carrier),
            Posting(Account.SELLER_PAYABLE, -parts.total),
        ]
    )


def clawback(parts: PayoutSplit) -> list[Posting]:
    """An advance whose documents never came: the seller owes it back, nobody else does."""
    return check_balanced(
        [
            Posting(Account.SELLER_RECEIVABLE, parts.total),
            Posting(Account.CLAIMS_RECEIVABLE_UNDERWRITER, -parts.underwriter),
            Posting(Account.CLAIMS_RECEIVABLE_CARRIER, -parts.carrier),
        ]
    )


def recovery(outstanding: Money, paid: Money, receivable: Account) -> list[Posting]:
    """Money received against a receivable; any shortfall is our loss, booked at once."""
    check_recovery(outstanding, paid)
    return check_balanced(
        [
            Posting(Account.CASH_RECEIVED, paid),
            Posting(Account.CLAIMS_LOSS, outstanding - paid),
            Posting(receivable, -outstanding),
        ]
    )


def check_recovery(outstanding: Money, paid: Money) -> None:
    if paid.currency != outstanding.currency:
        raise Invalid(
            f"record the payment in {outstanding.currency}, the claim's currency",
            code="settlement_currency",
        )
    if paid.amount < 0:
        raise Invalid("a payment cannot be negative", code="settlement_amount")
    if paid > outstanding:
        raise Invalid(
            f"{paid} is more than the {outstanding} outstanding",
            code="settlement_above_outstanding",
        )


def rejection(outstanding: Money, booking: RejectionBooking) -> list[Posting]:
    """The underwriter will not pay: its receivable goes to our loss or to the seller."""
    return check_balanced(
        [
            Posting(Account(booking.value), outstanding),
            Posting(Account.CLAIMS_RECEIVABLE_UNDERWRITER, -outstanding),
        ]
    )
