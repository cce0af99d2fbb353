"""Unit tests for forwarder_insure.domain.money: exact amounts, one rounding rule, no floats."""

from __future__ import annotations

import operator
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forwarder_insure.domain.money import (
    CurrencyMismatch,
    InvalidAmount,
    Money,
    MoneyError,
    UnknownCurrency,
    check_currency,
    minor_units,
    round_to_minor,
    total,
)

# Minor digits written out here so the properties do not depend on the code under test.
CURRENCY_DIGITS = {"USD": 2, "EUR": 2, "JPY": 0, "KWD": 3, "GBP": 2, "BHD": 3, "CLP": 0}
CURRENCIES = sorted(CURRENCY_DIGITS)

# No example database: these tests must not write a .hypothesis folder into the repository.
quick = settings(database=None, deadline=None)

currencies = st.sampled_from(CURRENCIES)
# About ten trillion in major units: far beyond any insured value, well inside Decimal's precision.
minor_amounts = st.integers(min_value=-(10**15), max_value=10**15)
factors = st.decimals(
    min_value=-1000, max_value=1000, places=6, allow_nan=False, allow_infinity=False
)
raw_amounts = st.decimals(
    min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False
)


def money_in(currency: str) -> st.SearchStrategy[Money]:
    return st.builds(Money.from_minor, minor_amounts, st.just(currency))


def same_currency(n: int) -> st.SearchStrategy[tuple[Money, ...]]:
    return currencies.flatmap(lambda c: st.tuples(*[money_in(c)] * n))


def half_up(amount: Decimal, digits: int) -> Decimal:
    """Independent reference: exact product, then one half-up quantize."""
    with localcontext() as ctx:
        ctx.prec = 200
        return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


# --- properties -------------------------------------------------------------------------------


@quick
@given(minor=minor_amounts, currency=st.sampled_from(["JPY", "USD", "KWD"]))
def test_from_minor_round_trips_for_zero_two_and_three_minor_digits(minor, currency):
    assert Money.from_minor(minor, currency).minor == minor


@quick
@given(minor=minor_amounts, currency=currencies)
def test_from_minor_round_trips_for_sampled_currencies(minor, currency):
    money = Money.from_minor(minor, currency)
    assert money.minor == minor
    assert money.amount == Decimal(minor) / (10 ** CURRENCY_DIGITS[currency])


@quick
@given(pair=same_currency(2))
def test_addition_is_commutative(pair):
    a, b = pair
    assert a + b == b + a


@quick
@given(triple=same_currency(3))
def test_addition_is_associative(triple):
    a, b, c = triple
    assert (a + b) + c == a + (b + c)


@quick
@given(pair=same_currency(2))
def test_addition_equals_adding_minor_units(pair):
    a, b = pair
    result = a + b
    assert result.currency == a.currency
    assert result.minor == a.minor + b.minor


@quick
@given(pair=same_currency(2))
def test_subtracting_then_adding_back_returns_the_original(pair):
    a, b = pair
    result = a - b + b
    assert result == a
    assert result.minor == a.minor


@quick
@given(minor=minor_amounts, currency=currencies, factor=factors)
def test_times_rounds_the_exact_product_half_up_once(minor, currency, factor):
    money = Money.from_minor(minor, currency)
    expected = half_up(money.amount * factor, CURRENCY_DIGITS[currency])
    assert money.times(factor).amount == expected


@quick
@given(minor=minor_amounts, currency=currencies, factor=factors)
def test_times_result_has_exactly_the_currency_minor_digits(minor, currency, factor):
    result = Money.from_minor(minor, currency).times(factor)
    assert result.amount.as_tuple().exponent == -CURRENCY_DIGITS[currency]


@quick
@given(amount=raw_amounts, currency=currencies)
def test_round_to_minor_gives_exactly_the_currency_minor_digits(amount, currency):
    rounded = round_to_minor(amount, currency)
    assert rounded.as_tuple().exponent == -CURRENCY_DIGITS[currency]
    assert rounded == half_up(amount, CURRENCY_DIGITS[currency])


@quick
@given(amount=raw_amounts, currency=currencies)
def test_round_to_minor_is_idempotent(amount, currency):
    once = round_to_minor(amount, currency)
    twice = round_to_minor(once, currency)
    assert twice == once
    assert twice.as_tuple() == once.as_tuple()


@quick
@given(amount=raw_amounts, currency=currencies)
def test_amount_text_has_exactly_the_currency_minor_digits(amount, currency):
    text = Money.rounded(amount, currency).amount_text
    digits = CURRENCY_DIGITS[currency]
    if digits == 0:
        assert "." not in text
    else:
        assert len(text.split(".")[1]) == digits
    assert Decimal(text) == round_to_minor(amount, currency)


# --- examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("USD", 2), ("KWD", 3)])
def test_minor_units_follow_the_currency(currency, digits):
    assert minor_units(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "USD", "0.13"),
        ("0.124", "USD", "0.12"),
        ("-0.125", "USD", "-0.13"),
        ("-0.124", "USD", "-0.12"),
        ("2.5", "JPY", "3"),
        ("-2.5", "JPY", "-3"),
        ("1.0005", "KWD", "1.001"),
        ("1.0004", "KWD", "1.000"),
    ],
)
def test_half_up_rounds_away_from_zero_at_the_midpoint(amount, currency, expected):
    assert round_to_minor(Decimal(amount), currency) == Decimal(expected)
    assert Money.rounded(amount, currency).amount_text == expected


def test_times_rounds_a_midpoint_product_up():
    # 0.25 * 0.5 = 0.125 exactly; banker's rounding would give 0.12.
    assert Money.of("0.25", "USD").times("0.5") == Money.of("0.13", "USD")


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("0.125", "USD"), ("1.5", "JPY"), ("1.0005", "KWD"), (Decimal("0.001"), "EUR")],
)
def test_of_refuses_more_decimals_than_the_currency_allows(amount, currency):
    with pytest.raises(InvalidAmount):
        Money.of(amount, currency)


def test_of_accepts_trailing_zeros_and_normalises_to_the_minor_digits():
    assert Money.of("12.500", "USD").amount_text == "12.50"
    assert Money.of("100.0", "JPY").amount_text == "100"


@pytest.mark.parametrize("value", [1.5, 0.1, 2.0, float("nan")])
def test_of_refuses_floats(value):
    with pytest.raises(InvalidAmount):
        Money.of(value, "USD")


def test_of_refuses_booleans():
    with pytest.raises(InvalidAmount):
        Money.of(True, "USD")


@pytest.mark.parametrize(
    "value", ["NaN", "sNaN", "Infinity", "-Infinity", Decimal("NaN"), Decimal("-Infinity")]
)
def test_of_refuses_nan_and_infinity(value):
    with pytest.raises(InvalidAmount):
        Money.of(value, "USD")


@pytest.mark.parametrize("value", ["", "12,50", "twelve", None])
def test_of_refuses_text_that_is_not_a_number(value):
    with pytest.raises(InvalidAmount):
        Money.of(value, "USD")


@pytest.mark.parametrize("value", [1.0, True, "3"])
def test_from_minor_refuses_anything_but_an_integer(value):
    with pytest.raises(InvalidAmount):
        Money.from_minor(value, "USD")


@pytest.mark.parametrize("currency", ["XYZ", "usd", "", "US"])
def test_unknown_currency_is_refused(currency):
    with pytest.raises(UnknownCurrency):
        Money.of("1", currency)
    with pytest.raises(UnknownCurrency):
        check_currency(currency)


def test_money_errors_carry_stable_codes():
    assert issubclass(UnknownCurrency, MoneyError)
    assert UnknownCurrency.code == "unknown_currency"
    assert CurrencyMismatch.code == "currency_mismatch"
    assert InvalidAmount.code == "invalid_amount"


@pytest.mark.parametrize(
    "combine", [operator.add, operator.sub, operator.lt, operator.le, operator.gt, operator.ge]
)
def test_mixing_currencies_raises_currency_mismatch(combine):
    with pytest.raises(CurrencyMismatch):
        combine(Money.of("1", "USD"), Money.of("1", "EUR"))


def test_comparisons_order_amounts_of_one_currency():
    small, large = Money.of("1.99", "USD"), Money.of("2", "USD")
    assert small < large
    assert large > small
    assert small <= Money.of("1.99", "USD")
    assert not large <= small


def test_combining_money_with_a_plain_number_is_a_type_error():
    with pytest.raises(TypeError):
        Money.of("1", "USD") + Decimal(1)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("12.5", "USD", "12.50"),
        ("100", "JPY", "100"),
        ("1", "KWD", "1.000"),
        ("-3", "USD", "-3.00"),
    ],
)
def test_amount_text_prints_exactly_the_minor_digits(amount, currency, text):
    money = Money.of(amount, currency)
    assert money.amount_text == text
    assert str(money) == f"{text} {currency}"


def test_total_of_nothing_is_zero_in_the_given_currency():
    result = total([], "USD")
    assert result == Money.zero("USD")
    assert result.is_zero
    assert result.currency == "USD"
    assert result.amount_text == "0.00"


def test_total_adds_every_item():
    items = [Money.of("1.10", "USD"), Money.of("2.20", "USD"), Money.of("-0.30", "USD")]
    assert total(items, "USD") == Money.of("3.00", "USD")


def test_total_refuses_an_item_in_another_currency():
    with pytest.raises(CurrencyMismatch):
        total([Money.of("1", "EUR")], "USD")


def test_negation_and_absolute_value_keep_the_currency():
    money = Money.of("-4.25", "GBP")
    assert -money == Money.of("4.25", "GBP")
    assert abs(money) == Money.of("4.25", "GBP")


# --- large and very precise amounts -----------------------------------------------------------


@pytest.mark.parametrize("amount", ["1e30", "1" * 30])
def test_of_refuses_an_amount_too_large_for_decimal_precision_with_invalid_amount(amount):
    with pytest.raises(InvalidAmount):
        Money.of(amount, "USD")


def test_times_rounds_once_even_when_the_product_exceeds_decimal_precision():
    factor = Decimal("0.12499999999999999999999999999999")
    assert Money.of("1.00", "USD").times(factor) == Money.of("0.12", "USD")


def test_there_is_no_negative_zero():
    assert Money.of("-0.00", "USD").amount_text == "0.00"
    assert Money.of("-0.01", "USD").times("0.1").amount_text == "0.00"


def test_an_amount_beyond_a_64_bit_minor_unit_column_is_refused():
    with pytest.raises(InvalidAmount):
        Money.from_minor(2**63, "USD")
    assert Money.from_minor(2**63 - 1, "USD").minor == 2**63 - 1
