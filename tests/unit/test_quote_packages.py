"""The fast quote-request reader agrees with the marshmallow schema it stands in for.

Whatever the fast reader accepts must load to exactly what the schema loads; what the schema
refuses the fast reader must refuse too (it then falls back to the schema for the errors).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprints.quote_packages import read_package, read_quote_request
from blueprints.quotes import QuotePackageSchema

SCHEMA = QuotePackageSchema()

VALID = {
    "reference": "ORD-77/1",
    "declared_value": {"amount": "250.00", "currency": "USD"},
    "category": "electronics",
    "origin_country": "CN",
    "destination_country": "US",
    "carrier": "usps",
    "service": "priority",
    "weight_kg": "1.20",
}

#: For each field, values the schema accepts and values it refuses, to mix at random.
VARIANTS: dict[str, list[Any]] = {
    "reference": ["A", "x" * 100, "", "x" * 101, 7, None, ["a"]],
    "declared_value": [
        {"amount": "1", "currency": "USD"},
        {"amount": "0.01", "currency": "USD"},
        {"amount": "1e2", "currency": "USD"},
        {"amount": "30000", "currency": "JPY"},
        {"amount": "1.500", "currency": "KWD"},
        {"amount": " 12.50 ", "currency": "EUR"},
        {"amount": "\uff11\uff12.\uff15\uff10", "currency": "USD"},  # full-width digits
        {"amount": "1_000.00", "currency": "USD"},
        {"amount": "+12.50", "currency": "USD"},
        {"amount": "12.", "currency": "USD"},
        {"amount": "0", "currency": "USD"},
        {"amount": "-1", "currency": "USD"},
        {"amount": "1.001", "currency": "USD"},
        {"amount": "1.5", "currency": "JPY"},
        {"amount": 12.5, "currency": "USD"},
        {"amount": "NaN", "currency": "USD"},
        {"amount": "Infinity", "currency": "USD"},
        {"amount": "abc", "currency": "USD"},
        {"amount": "1", "currency": "usd"},
        {"amount": "1", "currency": "XYZ"},
        {"amount": "1", "currency": "USD\n"},
        {"amount": "1", "currency": "USD", "extra": 1},
        {"amount": "1"},
        "250.00 USD",
        None,
    ],
    "category": ["electronics", "anything", "", 3, None],
    "origin_country": ["CN", "cn", " us ", "XX", "ZZ", "EU", "USA", 1, None],
    "destination_country": ["US", "gb", "Xk", "XK", "", None],
    "carrier": ["usps", "USPS", " dhl ", "u s", "-ups", "a" * 32, "a" * 33, "", 5, None],
    "service": ["priority", "Ground_Advantage", None, "", " x ", "b" * 48, "b" * 49, 1],
    "weight_kg": [
        "1.20",
        "0.001",
        "0.0009",
        "0.0004",
        "0.0015",
        "\u0661.\u0662",  # Arabic-Indic digits
        "1_0",
        "1000",
        "1000.0001",
        "0",
        "-1",
        "1e3",
        "1e-3",
        "x",
        1.2,
        3,
        None,
        "NaN",
    ],
}

MISSING = object()


def schema_load(raw: Any) -> Any:
    try:
        return SCHEMA.load(raw)
    except ma.ValidationError:
        return None


def with_field(package: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    changed = {k: v for k, v in package.items() if k != field}
    if value is not MISSING:
        changed[field] = value
    return changed


SINGLE_CHANGES = [
    (field, value) for field, values in VARIANTS.items() for value in [*values, MISSING]
]


@pytest.mark.parametrize(("field", "value"), SINGLE_CHANGES)
def test_each_single_field_change_is_judged_alike_by_both_readers(field, value):
    raw = with_field(VALID, field, value)
    assert read_package(raw) == schema_load(raw)


@st.composite
def packages(draw: st.DrawFn) -> Any:
    package = dict(VALID)
    for field in draw(st.lists(st.sampled_from(sorted(VARIANTS)), max_size=3)):
        package = with_field(package, field, draw(st.sampled_from([*VARIANTS[field], MISSING])))
    if draw(st.integers(0, 9)) == 0:
        package[draw(st.sampled_from(["colour", "Reference", "weight"]))] = "x"
    return package


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(packages())
def test_for_mixed_changes_the_fast_reader_accepts_and_loads_what_the_schema_does(raw):
    fast, slow = read_package(raw), schema_load(raw)
    assert fast == slow


def test_a_typical_package_takes_the_fast_path():
    loaded = read_package(VALID)
    assert loaded is not None
    assert loaded["weight_kg"] == Decimal("1.20")
    assert loaded == SCHEMA.load(VALID)


@pytest.mark.parametrize(
    ("raw", "accepted"),
    [
        ({"packages": [VALID]}, True),
        ({"packages": [VALID], "seller_id": "S-1001"}, True),
        ({"packages": [VALID] * 500}, True),
        ({"packages": []}, False),
        ({"packages": [VALID] * 501}, False),
        ({"packages": [VALID], "seller_id": " S 1"}, False),
        ({"packages": [VALID], "seller_id": 1001}, False),
        ({"packages": [VALID], "extra": True}, False),
        ({"seller_id": "S-1"}, False),
        ([VALID], False),
        ({"packages": [VALID, {}]}, False),
    ],
)
def test_the_fast_request_reader_takes_only_well_formed_requests(raw, accepted):
    assert (read_quote_request(raw) is not None) is accepted


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("declared_value", {"amount": "\uff11\uff12.\uff15\uff10", "currency": "USD"}),
        ("declared_value", {"amount": "1_000.00", "currency": "USD"}),
        ("weight_kg", "1_0"),
        ("weight_kg", "0.0004"),  # 0 g once stored in whole grams
        ("weight_kg", "0.0009"),
    ],
)
def test_neither_reader_takes_foreign_digits_underscores_or_a_weight_under_a_gram(field, value):
    raw = with_field(VALID, field, value)
    assert read_package(raw) is None
    assert schema_load(raw) is None
