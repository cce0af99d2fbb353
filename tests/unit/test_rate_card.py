"""Unit tests for the rule files: the rate card and the carrier profiles.

A bad file must stop the app with a ConfigFileError naming the file and the dotted key.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config.settings import DEFAULT_CARRIERS_FILE, DEFAULT_RATES_FILE
from forwarder_insure.domain.carriers import load_carrier_profiles, parse_carrier_profiles
from forwarder_insure.domain.config_tables import ConfigFileError
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.rate_card import load_rate_card, parse_rate_card

SOURCE = "test.toml"

CARD: dict[str, Any] = {
    "version": "test-1",
    "quote_lifetime_seconds": 600,
    "commission_rate": "0.25",
    "prohibited_categories": ["firearms"],
    "base_rates": {"general": "0.0100", "electronics": "0.0150"},
    "destination_risk": {
        "default_group": "standard",
        "groups": {
            "low": {"multiplier": "1.00", "countries": ["US", "GB"]},
            "standard": {"multiplier": "1.20", "countries": []},
            "high": {"multiplier": "1.60", "countries": ["BR"]},
        },
    },
    "carrier_multipliers": {"default": "1.10", "ups": "0.90"},
    "currencies": {
        "USD": {"min_premium": "1.00", "max_insured_value": "10000.00", "deductible": "0.00"},
        "JPY": {"min_premium": "150", "max_insured_value": "1500000", "deductible": "0"},
    },
}


def card_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(CARD)
    change(data)
    return data


def assert_refused(data: dict[str, Any], key: str) -> ConfigFileError:
    with pytest.raises(ConfigFileError) as caught:
        parse_rate_card(data, SOURCE)
    error = caught.value
    assert error.source == SOURCE
    assert error.key == key
    assert str(error).startswith(f"{SOURCE}: {key}: ")
    return error


# The shipped files.


def test_shipped_rate_card_loads_and_prices_usd():
    card = load_rate_card(DEFAULT_RATES_FILE)

    assert card.version
    assert "USD" in card.currencies
    assert card.base_rates["general"] > 0
    assert 0 <= card.commission_rate < 1


def test_shipped_rate_card_categories_include_prohibited_ones_and_are_sorted():
    card = load_rate_card(DEFAULT_RATES_FILE)

    assert "general" in card.categories
    assert "firearms_and_ammunition" in card.categories
    assert card.prohibited_categories <= set(card.categories)
    assert set(card.base_rates) <= set(card.categories)
    assert card.categories == sorted(card.categories)


def test_categories_are_the_union_of_priced_and_prohibited():
    card = parse_rate_card(copy.deepcopy(CARD), SOURCE)

    assert card.categories == ["electronics", "firearms", "general"]


def test_a_card_knows_exactly_its_priced_and_prohibited_categories():
    card = parse_rate_card(copy.deepcopy(CARD), SOURCE)

    named = ("electronics", "firearms", "general", "spaceships", "")
    assert [category for category in named if card.knows(category)] == card.categories


def test_shipped_carrier_profiles_load_with_a_loss_window_longer_than_the_silent_period():
    profiles = load_carrier_profiles(DEFAULT_CARRIERS_FILE)

    assert profiles.known("ups")
    for carrier in [*profiles.names, "unlisted"]:
        for origin, destination in (("US", "US"), ("US", "GB")):
            lane = profiles.for_parcel(carrier, None, origin, destination)
            assert lane.loss_window > lane.silent_period, (carrier, origin, destination)


def test_shipped_usps_priority_domestic_includes_base_cover_and_international_does_not():
    profiles = load_carrier_profiles(DEFAULT_CARRIERS_FILE)

    domestic = profiles.for_parcel("usps", "priority", "US", "US")
    international = profiles.for_parcel("usps", "priority", "US", "GB")

    assert domestic.base_cover_in("USD") == Money.of("100.00", "USD")
    assert international.base_cover_in("USD") is None


def test_parsed_card_holds_exact_decimals_and_the_quote_lifetime():
    card = parse_rate_card(copy.deepcopy(CARD), SOURCE)

    assert card.quote_lifetime == timedelta(seconds=600)
    assert card.commission_rate == Decimal("0.25")
    assert card.currencies["JPY"].min_premium == Money.of("150", "JPY")
    assert card.risk_group("BR") == "high"
    assert card.risk_group("ZA") == "standard"
    assert card.carrier_multiplier("ups") == Decimal("0.90")
    assert card.carrier_multiplier("acme") == Decimal("1.10")
    assert "default" not in card.carrier_multipliers


# Bad rate cards: each names the file and the dotted key.


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for name in parents:
            data = data[name]
        data[last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for name in parents:
            data = data[name]
        del data[last]

    return change


def _add_currency(code: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["currencies"][code] = {
            "min_premium": "1.00",
            "max_insured_value": "100.00",
            "deductible": "0.00",
        }

    return change


@pytest.mark.parametrize(
    ("change", "key"),
    [
        pytest.param(_delete("version"), "version", id="missing-version"),
        pytest.param(_set("base_rates.general", 0.01), "base_rates.general", id="rate-as-float"),
        pytest.param(_set("base_rates.general", "-0.01"), "base_rates.general", id="negative-rate"),
        pytest.param(_set("base_rates.general", "0"), "base_rates.general", id="zero-rate"),
        pytest.param(
            _set("base_rates.general", "one percent"), "base_rates.general", id="rate-not-decimal"
        ),
        pytest.param(_add_currency("QQQ"), "currencies.QQQ", id="unknown-currency"),
        pytest.param(
            _set("currencies.JPY.min_premium", "150.5"),
            "currencies.JPY.min_premium",
            id="jpy-min-premium-with-decimals",
        ),
        pytest.param(
            _set("currencies.USD.min_premium", "1.001"),
            "currencies.USD.min_premium",
            id="usd-min-premium-with-three-decimals",
        ),
        pytest.param(
            _set("destination_risk.groups.high.countries", ["BR", "GB"]),
            "destination_risk.groups.high.countries",
            id="country-in-two-groups",
        ),
        pytest.param(
            _set("destination_risk.groups.high.countries", ["Brazil"]),
            "destination_risk.groups.high.countries",
            id="country-not-alpha-2",
        ),
        pytest.param(
            _set("destination_risk.default_group", "medium"),
            "destination_risk.default_group",
            id="default-group-not-a-group",
        ),
        pytest.param(
            _delete("carrier_multipliers.default"),
            "carrier_multipliers.default",
            id="missing-default-carrier-multiplier",
        ),
        pytest.param(
            _set("prohibited_categories", ["firearms", "general"]),
            "prohibited_categories",
            id="category-priced-and-prohibited",
        ),
        pytest.param(_set("commission_rate", "1"), "commission_rate", id="commission-one"),
        pytest.param(_set("commission_rate", "1.5"), "commission_rate", id="commission-above-one"),
        pytest.param(_set("commission_rate", "-0.1"), "commission_rate", id="commission-negative"),
        pytest.param(
            _set("quote_lifetime_seconds", 5), "quote_lifetime_seconds", id="lifetime-too-short"
        ),
        pytest.param(
            _set("currencies.USD.deductible", "10000.00"),
            "currencies.USD.deductible",
            id="deductible-not-below-cap",
        ),
        pytest.param(
            _set("currencies.USD.max_insured_value", "0.00"),
            "currencies.USD.max_insured_value",
            id="zero-cap",
        ),
        pytest.param(_set("currencies", {}), "currencies", id="no-currencies"),
        pytest.param(_set("base_rates", {}), "base_rates", id="no-priced-category"),
    ],
)
def test_bad_rate_card_raises_config_file_error_naming_file_and_key(change, key):
    assert_refused(card_with(change), key)


def test_zero_commission_is_accepted_as_the_lower_bound():
    card = parse_rate_card(card_with(_set("commission_rate", "0")), SOURCE)

    assert card.commission_rate == 0


def test_rate_as_float_message_asks_for_a_decimal_string():
    error = assert_refused(card_with(_set("base_rates.general", 0.01)), "base_rates.general")

    assert "decimal string" in error.problem


def test_badly_named_prohibited_category_names_the_prohibited_categories_key():
    assert_refused(card_with(_set("prohibited_categories", ["Fire-Arms"])), "prohibited_categories")


def test_negative_deductible_names_the_deductible_key():
    assert_refused(
        card_with(_set("currencies.USD.deductible", "-1.00")), "currencies.USD.deductible"
    )


def test_negative_min_premium_names_the_min_premium_key():
    assert_refused(
        card_with(_set("currencies.USD.min_premium", "-1.00")), "currencies.USD.min_premium"
    )


def test_invalid_toml_file_raises_config_file_error_naming_the_file(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text('version = "1\ncommission_rate = \n', encoding="utf-8")

    with pytest.raises(ConfigFileError) as caught:
        load_rate_card(path)

    assert caught.value.source == str(path)
    assert str(caught.value).startswith(str(path))
    assert "not valid TOML" in str(caught.value)


def test_missing_file_raises_config_file_error_naming_the_file(tmp_path: Path):
    path = tmp_path / "absent.toml"

    with pytest.raises(ConfigFileError) as caught:
        load_rate_card(path)

    assert caught.value.source == str(path)
    assert "file not found" in str(caught.value)


def test_rate_card_file_errors_name_the_file_and_key(tmp_path: Path):
    path = tmp_path / "rates.toml"
    path.write_text(
        DEFAULT_RATES_FILE.read_text(encoding="utf-8").replace(
            'general = "0.0100"', "general = 0.01"
        ),
        encoding="utf-8",
    )

    with pytest.raises(ConfigFileError) as caught:
        load_rate_card(path)

    assert str(caught.value).startswith("rates.toml: base_rates.general: ")


# Carrier profiles.

DEFAULT_LANES: dict[str, Any] = {
    "domestic": {"silent_days": 7, "loss_window_days": 21},
    "international": {"silent_days": 14, "loss_window_days": 45},
}


def carriers_file(carriers: dict[str, Any], default: dict[str, Any] | None = None):
    return {"default": copy.deepcopy(default or DEFAULT_LANES), "carriers": carriers}


PRECEDENCE = carriers_file(
    {
        "acme": {
            "name": "Acme Parcels",
            "domestic": {"silent_days": 5, "base_cover": {"USD": "100.00"}},
            "international": {"loss_window_days": 60, "base_cover": {"USD": "100.00"}},
            "services": {
                "fast": {
                    "domestic": {"silent_days": 2},
                    "international": {"base_cover": {"EUR": "50.00"}},
                }
            },
        }
    }
)


def test_service_lane_overrides_carrier_lane_which_overrides_default_field_by_field():
    profiles = parse_carrier_profiles(copy.deepcopy(PRECEDENCE), SOURCE)

    lane = profiles.for_parcel("acme", "fast", "US", "US")

    assert lane.silent_period == timedelta(days=2)  # service
    assert lane.loss_window == timedelta(days=21)  # default
    assert lane.base_cover_in("USD") == Money.of("100.00", "USD")  # carrier


def test_service_base_cover_replaces_the_carrier_base_cover_as_one_field():
    profiles = parse_carrier_profiles(copy.deepcopy(PRECEDENCE), SOURCE)

    lane = profiles.for_parcel("acme", "fast", "US", "GB")

    assert lane.silent_period == timedelta(days=14)  # default
    assert lane.loss_window == timedelta(days=60)  # carrier
    assert lane.base_cover == {"EUR": Money.of("50.00", "EUR")}  # service, not merged
    assert lane.base_cover_in("USD") is None


def test_carrier_lane_applies_without_a_service_or_with_an_unknown_service():
    profiles = parse_carrier_profiles(copy.deepcopy(PRECEDENCE), SOURCE)

    for service in (None, "slow"):
        lane = profiles.for_parcel("acme", service, "US", "US")
        assert lane.silent_period == timedelta(days=5)
        assert lane.loss_window == timedelta(days=21)
        assert lane.base_cover_in("USD") == Money.of("100.00", "USD")


def test_unknown_carrier_gets_the_default_lane_without_base_cover():
    profiles = parse_carrier_profiles(copy.deepcopy(PRECEDENCE), SOURCE)

    lane = profiles.for_parcel("unlisted", "fast", "US", "GB")

    assert not profiles.known("unlisted")
    assert profiles.known("acme")
    assert profiles.names["acme"] == "Acme Parcels"
    assert lane.silent_period == timedelta(days=14)
    assert lane.loss_window == timedelta(days=45)
    assert lane.base_cover == {}


@pytest.mark.parametrize(
    ("origin", "destination", "silent_days"),
    [("US", "US", 5), ("DE", "DE", 5), ("US", "CA", 14), ("DE", "FR", 14)],
)
def test_lane_is_domestic_exactly_when_origin_and_destination_are_the_same_country(
    origin, destination, silent_days
):
    profiles = parse_carrier_profiles(copy.deepcopy(PRECEDENCE), SOURCE)

    lane = profiles.for_parcel("acme", None, origin, destination)

    assert lane.silent_period == timedelta(days=silent_days)


@pytest.mark.parametrize(
    ("lane", "key"),
    [
        pytest.param({"silent_days": 30}, "carriers.acme.domestic", id="silent-above-window"),
        pytest.param({"silent_days": 21}, "carriers.acme.domestic", id="silent-equal-window"),
        pytest.param(
            {"loss_window_days": 7}, "carriers.acme.domestic", id="window-equal-default-silent"
        ),
    ],
)
def test_carrier_lane_whose_loss_window_does_not_exceed_the_silent_period_is_refused(lane, key):
    data = carriers_file({"acme": {"domestic": lane}})

    with pytest.raises(ConfigFileError) as caught:
        parse_carrier_profiles(data, SOURCE)

    assert caught.value.key == key
    assert str(caught.value).startswith(f"{SOURCE}: {key}: ")


def test_loss_window_one_day_longer_than_the_silent_period_is_accepted():
    data = carriers_file({"acme": {"domestic": {"silent_days": 20}}})

    lane = parse_carrier_profiles(data, SOURCE).for_parcel("acme", None, "US", "US")

    assert lane.silent_period == timedelta(days=20)
    assert lane.loss_window == timedelta(days=21)


def test_service_lane_whose_loss_window_does_not_exceed_the_silent_period_is_refused():
    data = carriers_file({"acme": {"services": {"fast": {"domestic": {"silent_days": 30}}}}})

    with pytest.raises(ConfigFileError):
        parse_carrier_profiles(data, SOURCE)


def test_default_lane_whose_loss_window_does_not_exceed_the_silent_period_is_refused():
    default = {
        "domestic": {"silent_days": 30, "loss_window_days": 21},
        "international": {"silent_days": 14, "loss_window_days": 45},
    }

    with pytest.raises(ConfigFileError):
        parse_carrier_profiles(carriers_file({}, default), SOURCE)


def test_negative_base_cover_is_refused():
    data = carriers_file({"acme": {"domestic": {"base_cover": {"USD": "-100.00"}}}})

    with pytest.raises(ConfigFileError):
        parse_carrier_profiles(data, SOURCE)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param(
            {"default": {"domestic": DEFAULT_LANES["domestic"]}},
            "default.international",
            id="default-lane-missing",
        ),
        pytest.param(
            {"default": {**DEFAULT_LANES, "domestic": {"silent_days": 7}}},
            "default.domestic",
            id="default-lane-without-loss-window",
        ),
        pytest.param(
            carriers_file({"acme": {"domestic": {"silent_days": 0}}}),
            "carriers.acme.domestic.silent_days",
            id="silent-days-zero",
        ),
        pytest.param(
            carriers_file({"acme": {"domestic": {"silent_days": "5"}}}),
            "carriers.acme.domestic.silent_days",
            id="silent-days-string",
        ),
        pytest.param(
            carriers_file({"acme": {"domestic": {"base_cover": {"QQQ": "1.00"}}}}),
            "carriers.acme.domestic.base_cover.QQQ",
            id="base-cover-unknown-currency",
        ),
        pytest.param(
            carriers_file({"acme": {"domestic": {"base_cover": {"USD": 100}}}}),
            "carriers.acme.domestic.base_cover.USD",
            id="base-cover-not-a-string",
        ),
        pytest.param(
            carriers_file({"acme": {"domestic": {"base_cover": {"JPY": "100.5"}}}}),
            "carriers.acme.domestic.base_cover.JPY",
            id="base-cover-too-many-decimals",
        ),
    ],
)
def test_bad_carrier_profiles_raise_config_file_error_naming_file_and_key(data, key):
    with pytest.raises(ConfigFileError) as caught:
        parse_carrier_profiles(copy.deepcopy(data), SOURCE)

    assert caught.value.source == SOURCE
    assert caught.value.key == key


def test_a_risk_group_country_must_be_a_real_country():
    data = tomllib.loads(DEFAULT_RATES_FILE.read_text())
    data["destination_risk"]["groups"]["high"]["countries"].append("XX")
    with pytest.raises(ConfigFileError, match=r"destination_risk.groups.high.countries"):
        parse_rate_card(data, "rates.toml")
