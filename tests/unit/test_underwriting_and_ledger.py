"""Unit tests for choosing an underwriter and for the double-entry ledger rules."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forwarder_insure.domain.ledger import (
    Account,
    Posting,
    UnbalancedTransaction,
    check_balanced,
    premium_booking,
    reversal,
)
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.underwriting import UnderwriterTerms, choose_underwriter

DAY = date(2026, 11, 15)


def underwriter(
    uid: str,
    *,
    priority: int = 100,
    jurisdictions: tuple[str, ...] = ("*",),
    lines: tuple[str, ...] = ("*",),
    active_from: date = date(2020, 1, 1),
    active_to: date | None = None,
) -> UnderwriterTerms:
    return UnderwriterTerms(
        id=uid,
        name=f"Underwriter {uid}",
        licence_number=f"LIC-{uid}",
        jurisdictions=frozenset(jurisdictions),
        lines=frozenset(lines),
        country="GB",
        currency="USD",
        active_from=active_from,
        active_to=active_to,
        priority=priority,
    )


def choose(*underwriters: UnderwriterTerms, on: date = DAY, category: str = "general"):
    return choose_underwriter(underwriters, "US", "GB", category, on)


# choose_underwriter


def test_lowest_priority_number_wins_whatever_the_input_order():
    candidates = [
        underwriter("uw_a", priority=20),
        underwriter("uw_z", priority=5),
        underwriter("uw_m", priority=10),
    ]

    for order in itertools.permutations(candidates):
        chosen = choose(*order)
        assert chosen is not None
        assert chosen.id == "uw_z"


def test_equal_priority_is_broken_by_id_whatever_the_input_order():
    candidates = [
        underwriter("uw_b", priority=10),
        underwriter("uw_a", priority=10),
        underwriter("uw_c", priority=10),
    ]

    for order in itertools.permutations(candidates):
        chosen = choose(*order)
        assert chosen is not None
        assert chosen.id == "uw_a"


def test_an_ineligible_underwriter_is_skipped_even_with_the_best_priority():
    best = underwriter("uw_best", priority=1, jurisdictions=("US",))
    next_best = underwriter("uw_next", priority=2)

    assert choose(best, next_best) == next_best


def test_nobody_eligible_gives_none():
    assert choose() is None
    assert choose(underwriter("uw_a", jurisdictions=("FR",))) is None


def test_worldwide_jurisdiction_and_all_lines_wildcards_cover_any_lane_and_category():
    terms = underwriter("uw_a", jurisdictions=("*",), lines=("*",))

    assert choose_underwriter([terms], "BR", "NG", "jewelry", DAY) == terms
    assert choose_underwriter([terms], "JP", "JP", "anything_else", DAY) == terms


def test_listed_jurisdictions_must_include_both_origin_and_destination():
    both = underwriter("uw_a", jurisdictions=("US", "GB"))
    origin_only = underwriter("uw_b", jurisdictions=("US",))
    destination_only = underwriter("uw_c", jurisdictions=("GB",))

    assert choose(both) == both
    assert choose(origin_only) is None
    assert choose(destination_only) is None


def test_listed_lines_must_include_the_category():
    terms = underwriter("uw_a", lines=("general", "apparel"))

    assert choose(terms, category="apparel") == terms
    assert choose(terms, category="electronics") is None


@pytest.mark.parametrize(
    ("on", "eligible"),
    [
        (DAY - timedelta(days=1), False),  # before active_from
        (DAY, True),  # active_from is inclusive
        (DAY + timedelta(days=9), True),  # last day before active_to
        (DAY + timedelta(days=10), False),  # active_to is exclusive
        (DAY + timedelta(days=11), False),  # after active_to
    ],
)
def test_active_window_includes_active_from_and_excludes_active_to(on, eligible):
    terms = underwriter("uw_a", active_from=DAY, active_to=DAY + timedelta(days=10))

    assert (choose(terms, on=on) == terms) is eligible


def test_underwriter_without_active_to_stays_active():
    terms = underwriter("uw_a", active_from=DAY, active_to=None)

    assert choose(terms, on=date(2099, 12, 31)) == terms


# check_balanced


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_balanced_postings_are_returned_as_a_list():
    postings = (
        Posting(Account.PREMIUMS_RECEIVABLE, usd("10.00")),
        Posting(Account.FEE_INCOME, usd("-2.50")),
        Posting(Account.PREMIUMS_PAYABLE_UNDERWRITER, usd("-7.50")),
    )

    assert check_balanced(iter(postings)) == list(postings)


def test_unbalanced_postings_are_refused():
    postings = [
        Posting(Account.PREMIUMS_RECEIVABLE, usd("10.00")),
        Posting(Account.FEE_INCOME, usd("-9.99")),
    ]

    with pytest.raises(UnbalancedTransaction) as caught:
        check_balanced(postings)

    assert caught.value.code == "unbalanced_transaction"


@pytest.mark.parametrize(
    "postings",
    [
        pytest.param([], id="no-postings"),
        pytest.param([Posting(Account.FEE_INCOME, usd("0.00"))], id="one-zero-posting"),
        pytest.param([Posting(Account.FEE_INCOME, usd("5.00"))], id="one-posting"),
    ],
)
def test_fewer_than_two_postings_are_refused(postings):
    with pytest.raises(UnbalancedTransaction):
        check_balanced(postings)


def test_postings_that_only_net_to_zero_across_currencies_are_refused():
    postings = [
        Posting(Account.PREMIUMS_RECEIVABLE, usd("10.00")),
        Posting(Account.FEE_INCOME, eur("-10.00")),
    ]

    with pytest.raises(UnbalancedTransaction):
        check_balanced(postings)


def test_mixed_currency_transaction_balanced_in_each_currency_is_accepted():
    postings = [
        Posting(Account.PREMIUMS_RECEIVABLE, usd("10.00")),
        Posting(Account.FEE_INCOME, usd("-10.00")),
        Posting(Account.CLAIMS_RECEIVABLE_UNDERWRITER, eur("7.00")),
        Posting(Account.SELLER_PAYABLE, eur("-7.00")),
    ]

    assert check_balanced(postings) == postings


def test_mixed_currency_transaction_unbalanced_in_one_currency_is_refused():
    postings = [
        Posting(Account.PREMIUMS_RECEIVABLE, usd("10.00")),
        Posting(Account.FEE_INCOME, usd("-10.00")),
        Posting(Account.CLAIMS_RECEIVABLE_UNDERWRITER, eur("7.00")),
        Posting(Account.SELLER_PAYABLE, eur("-6.99")),
    ]

    with pytest.raises(UnbalancedTransaction):
        check_balanced(postings)


# premium_booking


def _amounts(postings: list[Posting]) -> dict[Account, Money]:
    """Each premium-booking account's amount; an account not posted to (a zero share) is 0."""
    assert len({p.account for p in postings}) == len(postings)
    assert all(not p.amount.is_zero for p in postings)
    currency = postings[0].amount.currency
    accounts = (
        Account.PREMIUMS_RECEIVABLE,
        Account.FEE_INCOME,
        Account.PREMIUMS_PAYABLE_UNDERWRITER,
    )
    return {a: Money.zero(currency) for a in accounts} | {p.account: p.amount for p in postings}


@pytest.mark.parametrize(
    ("premium", "rate", "fee", "payable"),
    [
        # 1.00 x 0.333 = 0.333 -> 0.33; the underwriter gets 1.00 - 0.33 = 0.67
        (usd("1.00"), "0.333", "0.33", "0.67"),
        # 1.50 x 0.25 = 0.375 -> 0.38 (half-up); 1.50 - 0.38 = 1.12
        (usd("1.50"), "0.25", "0.38", "1.12"),
        # 155 x 0.25 = 38.75 -> 39; 155 - 39 = 116
        (Money.of("155", "JPY"), "0.25", "39", "116"),
        # 0.300 x 0.3335 = 0.10005 -> 0.100; 0.300 - 0.100 = 0.200
        (Money.of("0.300", "KWD"), "0.3335", "0.100", "0.200"),
        # 0.300 x 0.335 = 0.1005 -> 0.101 (half-up); 0.300 - 0.101 = 0.199
        (Money.of("0.300", "KWD"), "0.335", "0.101", "0.199"),
        # no commission: everything is the underwriter's
        (usd("3.00"), "0", "0.00", "3.00"),
    ],
)
def test_premium_booking_rounds_the_commission_once_and_gives_the_underwriter_the_remainder(
    premium, rate, fee, payable
):
    postings = premium_booking(premium, Decimal(rate))

    amounts = _amounts(postings)
    currency = premium.currency
    assert amounts == {
        Account.PREMIUMS_RECEIVABLE: premium,
        Account.FEE_INCOME: -Money.of(fee, currency),
        Account.PREMIUMS_PAYABLE_UNDERWRITER: -Money.of(payable, currency),
    }


@settings(max_examples=60, database=None, deadline=None)
@given(
    minor=st.integers(min_value=1, max_value=10**9),
    rate=st.decimals(min_value=0, max_value="0.9999", places=4),
)
def test_premium_booking_balances_and_loses_nothing_to_rounding(minor, rate):
    premium = Money.from_minor(minor, "USD")
    # The fee, rounded half-up by hand at the cent.
    expected_fee = (Decimal(minor) / 100 * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    amounts = _amounts(premium_booking(premium, rate))

    assert amounts[Account.PREMIUMS_RECEIVABLE] == premium
    assert -amounts[Account.FEE_INCOME] == usd(str(expected_fee))
    assert -(amounts[Account.FEE_INCOME] + amounts[Account.PREMIUMS_PAYABLE_UNDERWRITER]) == premium


# reversal


def test_reversal_negates_every_posting_on_the_same_account_and_balances():
    original = premium_booking(usd("1.00"), Decimal("0.333"))

    undone = reversal(original)

    assert [p.account for p in undone] == [p.account for p in original]
    assert [p.amount for p in undone] == [-p.amount for p in original]
    assert check_balanced(undone) == undone
    assert _amounts(undone)[Account.FEE_INCOME] == usd("0.33")


def test_reversing_a_reversal_gives_back_the_original_postings():
    original = premium_booking(Money.of("155", "JPY"), Decimal("0.25"))

    assert reversal(reversal(original)) == original


def test_reversal_of_an_unbalanced_set_is_refused():
    with pytest.raises(UnbalancedTransaction):
        reversal([Posting(Account.FEE_INCOME, usd("1.00")), Posting(Account.CLAIMS_LOSS, usd("2"))])


def test_a_transaction_of_zero_postings_moves_nothing_and_is_refused():
    with pytest.raises(UnbalancedTransaction):
        check_balanced(
            [Posting(Account.FEE_INCOME, usd("0")), Posting(Account.CLAIMS_LOSS, usd("0"))]
        )
    with pytest.raises(UnbalancedTransaction):
        premium_booking(usd("0"), Decimal("0.2"))
