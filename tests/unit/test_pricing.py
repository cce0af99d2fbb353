"""Unit tests for forwarder_insure.domain.pricing: the premium formula and the decline rules.

Rate cards are built from small Python dicts so every expected premium can be worked out by hand
in the test (the arithmetic is written next to each expectation).
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forwarder_insure.domain.carriers import CarrierProfiles, parse_carrier_profiles
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.pricing import Decline, Offer, PackageToPrice, price_package
from forwarder_insure.domain.rate_card import RateCard, parse_rate_card
from forwarder_insure.domain.underwriting import UnderwriterTerms

TODAY = date(2026, 11, 15)

CARD: dict[str, Any] = {
    "version": "test-1",
    "commission_rate": "0.25",
    "prohibited_categories": ["firearms"],
    "base_rates": {"general": "0.0100", "electronics": "0.0150", "jewelry": "0.0250"},
    "destination_risk": {
        "default_group": "standard",
        "groups": {
            "low": {"multiplier": "1.00", "countries": ["US", "GB", "DE", "JP", "KW"]},
            "standard": {"multiplier": "1.20", "countries": []},
            "high": {"multiplier": "1.60", "countries": ["BR"]},
        },
    },
    "carrier_multipliers": {"default": "1.10", "plain": "1.00", "ups": "0.90", "dhl": "0.95"},
    "currencies": {
        # Tiny minimums, so the rounding tests see the rounded product and not the minimum.
        "USD": {"min_premium": "0.01", "max_insured_value": "10000.00", "deductible": "0.00"},
        "JPY": {"min_premium": "1", "max_insured_value": "1500000", "deductible": "0"},
        "KWD": {"min_premium": "0.001", "max_insured_value": "3000.000", "deductible": "0.000"},
        "EUR": {"min_premium": "1.00", "max_insured_value": "9000.00", "deductible": "25.00"},
    },
}

CARRIERS: dict[str, Any] = {
    "default": {
        "domestic": {"silent_days": 7, "loss_window_days": 21},
        "international": {"silent_days": 14, "loss_window_days": 45},
    },
    "carriers": {
        "ups": {
            "domestic": {"base_cover": {"USD": "100.00"}},
            "international": {"base_cover": {"USD": "100.00"}},
        },
        "plain": {},
    },
}


def make_card(**currency_overrides: dict[str, str]) -> RateCard:
    data = copy.deepcopy(CARD)
    data["currencies"].update(currency_overrides)
    return parse_rate_card(data, "test.toml")


def make_carriers() -> CarrierProfiles:
    return parse_carrier_profiles(copy.deepcopy(CARRIERS), "carriers-test.toml")


def underwriter(
    uid: str = "uw_any",
    *,
    jurisdictions: tuple[str, ...] = ("*",),
    lines: tuple[str, ...] = ("*",),
    active_from: date = date(2020, 1, 1),
    active_to: date | None = None,
    priority: int = 100,
) -> UnderwriterTerms:
    return UnderwriterTerms(
        id=uid,
        name=f"Underwriter {uid}",
        licence_number="LIC-1",
        jurisdictions=frozenset(jurisdictions),
        lines=frozenset(lines),
        country="GB",
        currency="USD",
        active_from=active_from,
        active_to=active_to,
        priority=priority,
    )


WORLDWIDE = (underwriter(),)


def package(
    amount: str,
    currency: str = "USD",
    *,
    category: str = "general",
    origin: str = "US",
    destination: str = "GB",
    carrier: str = "plain",
    service: str | None = None,
) -> PackageToPrice:
    return PackageToPrice(
        reference="pkg-1",
        declared_value=Money.of(amount, currency),
        category=category,
        origin_country=origin,
        destination_country=destination,
        carrier=carrier,
        service=service,
        weight_kg=Decimal("1.000"),
    )


def price(
    pkg: PackageToPrice,
    card: RateCard | None = None,
    underwriters: tuple[UnderwriterTerms, ...] = WORLDWIDE,
    on: date = TODAY,
) -> Offer | Decline:
    return price_package(pkg, card or make_card(), make_carriers(), underwriters, on)


def offer(pkg: PackageToPrice, card: RateCard | None = None) -> Offer:
    result = price(pkg, card)
    assert isinstance(result, Offer), result
    return result


def decline_code(pkg: PackageToPrice, **kwargs: Any) -> str:
    result = price(pkg, **kwargs)
    assert isinstance(result, Decline), result
    return result.code


# Rounding: half-up at the currency's minor unit, on the exact product. The "plain" carrier to the
# "low" group multiplies by 1.00 x 1.00, so the raw premium is value x base rate.


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        # 250 x 0.0100 = 2.5 -> 3 (half-even would give 2, truncation 2)
        ("250", "JPY", "3"),
        # 350 x 0.0100 = 3.5 -> 4
        ("350", "JPY", "4"),
        # 249 x 0.0100 = 2.49 -> 2
        ("249", "JPY", "2"),
        # 12.50 x 0.0100 = 0.125 -> 0.13 (half-even would give 0.12)
        ("12.50", "USD", "0.13"),
        # 12.49 x 0.0100 = 0.1249 -> 0.12
        ("12.49", "USD", "0.12"),
        # 12.250 x 0.0100 = 0.1225 -> 0.123 (half-even would give 0.122)
        ("12.250", "KWD", "0.123"),
        # 12.249 x 0.0100 = 0.12249 -> 0.122
        ("12.249", "KWD", "0.122"),
    ],
)
def test_premium_is_rounded_half_up_at_the_currency_minor_unit(amount, currency, expected):
    result = offer(package(amount, currency, destination="GB"))

    assert result.premium == Money.of(expected, currency)
    assert result.premium.amount_text == expected


def test_premium_rounds_the_whole_product_once_not_each_factor():
    # 10.50 x 0.0100 x 1.60 (BR) x 1.10 (unlisted carrier) = 0.1848 -> 0.18.
    # Rounding 10.50 x 0.0100 = 0.105 to 0.11 first would give 0.11 x 1.76 = 0.1936 -> 0.19.
    result = offer(package("10.50", "USD", destination="BR", carrier="unlisted"))

    assert result.premium == Money.of("0.18", "USD")


def test_minimum_premium_applies_to_small_values():
    card = make_card(
        USD={"min_premium": "1.00", "max_insured_value": "10000.00", "deductible": "0.00"}
    )

    # 50.00 x 0.0100 = 0.50, below the 1.00 minimum
    assert offer(package("50.00"), card).premium == Money.of("1.00", "USD")
    # 100.00 x 0.0100 = 1.00, exactly the minimum
    assert offer(package("100.00"), card).premium == Money.of("1.00", "USD")
    # 150.00 x 0.0100 = 1.50, above the minimum
    assert offer(package("150.00"), card).premium == Money.of("1.50", "USD")


def test_minimum_premium_applies_in_a_zero_decimal_currency():
    card = make_card(JPY={"min_premium": "150", "max_insured_value": "1500000", "deductible": "0"})

    # 1000 x 0.0100 = 10 JPY, below the 150 JPY minimum
    assert offer(package("1000", "JPY"), card).premium == Money.of("150", "JPY")
    # 20000 x 0.0100 = 200 JPY
    assert offer(package("20000", "JPY"), card).premium == Money.of("200", "JPY")


# The cap on the insured value.


@pytest.mark.parametrize(
    ("at_cap", "above_cap", "currency"),
    [
        ("10000.00", "10000.01", "USD"),
        ("1500000", "1500001", "JPY"),
        ("3000.000", "3000.001", "KWD"),
    ],
)
def test_value_exactly_at_the_cap_is_offered_and_one_minor_unit_above_is_declined(
    at_cap, above_cap, currency
):
    at = price(package(at_cap, currency))
    above = price(package(above_cap, currency))

    assert isinstance(at, Offer)
    assert at.insured_value == Money.of(at_cap, currency)
    assert isinstance(above, Decline)
    assert above.code == "value_above_maximum"


# Declines, one by one.


def test_valid_iso_currency_missing_from_the_card_is_declined_as_unsupported_currency():
    result = price(package("10.00", "CHF"))

    assert isinstance(result, Decline)
    assert result.code == "unsupported_currency"
    assert "CHF" in result.detail


def test_prohibited_category_is_declined():
    assert decline_code(package("10.00", category="firearms")) == "prohibited_category"


def test_no_underwriter_at_all_is_declined_as_no_underwriter():
    assert decline_code(package("10.00"), underwriters=()) == "no_underwriter"


@pytest.mark.parametrize(
    "terms",
    [
        pytest.param(underwriter(active_from=TODAY + timedelta(days=1)), id="not-yet-active"),
        pytest.param(underwriter(active_to=TODAY - timedelta(days=1)), id="active-to-passed"),
        pytest.param(underwriter(active_to=TODAY), id="active-to-is-today"),
        pytest.param(underwriter(jurisdictions=("GB",)), id="not-licensed-for-origin"),
        pytest.param(underwriter(jurisdictions=("US",)), id="not-licensed-for-destination"),
        pytest.param(underwriter(lines=("electronics",)), id="does-not-accept-category"),
    ],
)
def test_package_is_declined_as_no_underwriter_when_the_only_underwriter_cannot_carry_it(terms):
    pkg = package("10.00", origin="US", destination="GB", category="general")

    assert decline_code(pkg, underwriters=(terms,)) == "no_underwriter"


def test_the_same_underwriter_with_a_fitting_lane_is_offered():
    # Guards the parametrised declines above: with US and GB licensed, the general line and an
    # open window, the package is offered.
    terms = underwriter(
        jurisdictions=("US", "GB"), lines=("general",), active_to=TODAY + timedelta(1)
    )

    result = price(package("10.00"), underwriters=(terms,))

    assert isinstance(result, Offer)
    assert result.underwriter == terms


NOBODY: tuple[UnderwriterTerms, ...] = ()


@pytest.mark.parametrize(
    ("pkg", "expected"),
    [
        pytest.param(
            package("99999999.00", "CHF", category="firearms"),
            "unsupported_currency",
            id="currency-before-category-value-underwriter",
        ),
        pytest.param(
            package("99999999.00", "USD", category="firearms"),
            "prohibited_category",
            id="category-before-value-underwriter",
        ),
        pytest.param(
            package("99999999.00", "USD", category="general"),
            "value_above_maximum",
            id="value-before-underwriter",
        ),
        pytest.param(
            package("10.00", "USD", category="general"),
            "no_underwriter",
            id="underwriter-last",
        ),
    ],
)
def test_the_first_applicable_decline_in_the_documented_order_is_given(pkg, expected):
    assert decline_code(pkg, underwriters=NOBODY) == expected


# Carrier base cover: only the excess is priced.


def test_only_the_value_above_the_carrier_base_cover_is_priced():
    # ups covers 100.00 USD; 250.00 - 100.00 = 150.00 x 0.0100 x 1.00 (GB) x 0.90 (ups) = 1.35
    result = offer(package("250.00", carrier="ups", destination="GB"))

    assert result.premium == Money.of("1.35", "USD")
    assert result.carrier_base_cover == Money.of("100.00", "USD")
    assert result.insured_value == Money.of("250.00", "USD")


def test_base_cover_is_shown_capped_at_the_declared_value_and_the_minimum_premium_is_charged():
    card = make_card(
        USD={"min_premium": "1.00", "max_insured_value": "10000.00", "deductible": "0.00"}
    )

    result = offer(package("60.00", carrier="ups", destination="US"), card)

    assert result.carrier_base_cover == Money.of("60.00", "USD")
    assert result.insured_value == Money.of("60.00", "USD")
    assert result.premium == Money.of("1.00", "USD")


def test_a_currency_without_carrier_base_cover_prices_the_full_value():
    # ups has base cover in USD only; 250.00 EUR x 0.0100 x 1.00 x 0.90 = 2.25
    result = offer(package("250.00", "EUR", carrier="ups", destination="DE"))

    assert result.carrier_base_cover is None
    assert result.premium == Money.of("2.25", "EUR")


def test_a_carrier_without_base_cover_prices_the_full_value():
    # 250.00 x 0.0100 x 1.00 x 1.00 = 2.50
    result = offer(package("250.00", carrier="plain"))

    assert result.carrier_base_cover is None
    assert result.premium == Money.of("2.50", "USD")


# Destination risk group and carrier multiplier.


@pytest.mark.parametrize(
    ("destination", "carrier", "group", "risk", "carrier_factor", "expected"),
    [
        # 100.00 x 0.0150 x 1.00 x 1.00 = 1.50 (listed group, listed carrier)
        ("GB", "plain", "low", "1.00", "1.00", "1.50"),
        # 100.00 x 0.0150 x 1.60 x 0.95 = 2.28 (listed group, listed carrier)
        ("BR", "dhl", "high", "1.60", "0.95", "2.28"),
        # 100.00 x 0.0150 x 1.20 x 1.10 = 1.98 (unlisted country, unlisted carrier: defaults)
        ("ZA", "acme", "standard", "1.20", "1.10", "1.98"),
    ],
)
def test_destination_risk_group_and_carrier_multiplier_scale_the_premium(
    destination, carrier, group, risk, carrier_factor, expected
):
    pkg = package("100.00", category="electronics", destination=destination, carrier=carrier)

    result = offer(pkg)

    assert result.risk_group == group
    assert result.risk_multiplier == Decimal(risk)
    assert result.carrier_multiplier == Decimal(carrier_factor)
    assert result.base_rate == Decimal("0.0150")
    assert result.premium == Money.of(expected, "USD")
    assert result.rate_card_version == "test-1"


# Deductible.


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("10.00", "10.00"), ("25.00", "25.00"), ("80.00", "25.00")],
)
def test_deductible_is_the_card_deductible_but_never_above_the_insured_value(amount, expected):
    # EUR has a 25.00 deductible on the test card.
    result = offer(package(amount, "EUR", destination="DE"))

    assert result.deductible == Money.of(expected, "EUR")
    assert result.deductible <= result.insured_value


# Properties over many values.

DIGITS = {"USD": 2, "JPY": 0, "KWD": 3}
PROPERTY_CARD = make_card(
    USD={"min_premium": "1.00", "max_insured_value": "10000.00", "deductible": "50.00"},
    JPY={"min_premium": "150", "max_insured_value": "1500000", "deductible": "0"},
    KWD={"min_premium": "0.300", "max_insured_value": "3000.000", "deductible": "0.000"},
)
# Largest declared value in minor units, written out (the card's caps).
MAX_MINOR = {"USD": 1_000_000, "JPY": 1_500_000, "KWD": 3_000_000}

lanes = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["general", "electronics", "jewelry"]),
        "origin": st.sampled_from(["US", "GB"]),
        "destination": st.sampled_from(["US", "GB", "BR", "ZA"]),
        "carrier": st.sampled_from(["ups", "plain", "acme"]),
    }
)


def _declared(minor: int, currency: str) -> str:
    digits = DIGITS[currency]
    return str(Decimal(minor).scaleb(-digits)) if digits else str(minor)


def _premium(minor: int, currency: str, lane: dict[str, str]) -> Money:
    pkg = package(_declared(minor, currency), currency, **lane)
    result = price_package(pkg, PROPERTY_CARD, make_carriers(), WORLDWIDE, TODAY)
    assert isinstance(result, Offer), result
    return result.premium


@settings(max_examples=60, database=None, deadline=None)
@given(
    currency=st.sampled_from(sorted(DIGITS)),
    data=st.data(),
    lane=lanes,
)
def test_premium_is_at_least_the_minimum_has_the_minor_digits_and_grows_with_value(
    currency, data, lane
):
    values = st.integers(min_value=1, max_value=MAX_MINOR[currency])
    low, high = sorted((data.draw(values, "value"), data.draw(values, "other value")))
    minimum = PROPERTY_CARD.currencies[currency].min_premium

    cheaper = _premium(low, currency, lane)
    dearer = _premium(high, currency, lane)

    for premium in (cheaper, dearer):
        assert premium >= minimum
        text = premium.amount_text
        decimals = len(text.partition(".")[2])
        assert decimals == DIGITS[currency], text
        assert (DIGITS[currency] == 0) == ("." not in text)
    assert cheaper <= dearer
