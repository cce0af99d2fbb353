"""Unit tests for forwarder_insure.domain.clock (aware UTC time) and domain.ids (public ids)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forwarder_insure.domain import ids
from forwarder_insure.domain.clock import (
    FixedClock,
    SystemClock,
    ensure_utc,
    format_instant,
    parse_instant,
)
from forwarder_insure.domain.ids import new_id

PLUS_TWO = timezone(timedelta(hours=2))
MINUS_FIVE_THIRTY = timezone(-timedelta(hours=5, minutes=30))
AT = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)

# RFC 4648 base32hex, written out independently: digits, then A to V.
BASE32HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV"


# --- ensure_utc -------------------------------------------------------------------------------


def test_ensure_utc_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="timezone"):
        ensure_utc(datetime(2026, 11, 21, 10, 30))  # noqa: DTZ001 - deliberately naive


def test_ensure_utc_converts_an_offset_to_utc():
    result = ensure_utc(datetime(2026, 11, 21, 12, 30, tzinfo=PLUS_TWO))
    assert result == AT
    assert result.tzinfo is UTC
    assert result.hour == 10


def test_ensure_utc_converts_a_negative_offset_across_midnight():
    result = ensure_utc(datetime(2026, 11, 20, 23, 0, tzinfo=MINUS_FIVE_THIRTY))
    assert (result.year, result.month, result.day, result.hour, result.minute) == (
        2026,
        11,
        21,
        4,
        30,
    )
    assert result.utcoffset() == timedelta(0)


# --- parse_instant / format_instant ------------------------------------------------------------


def test_parse_instant_accepts_a_z_suffix():
    result = parse_instant("2026-11-21T10:30:00Z")
    assert result == AT
    assert result.tzinfo is UTC


def test_parse_instant_accepts_a_lowercase_z_and_surrounding_spaces():
    assert parse_instant(" 2026-11-21T10:30:00z ") == AT


def test_parse_instant_converts_an_explicit_offset_to_utc():
    result = parse_instant("2026-11-21T12:30:00+02:00")
    assert result == AT
    assert result.tzinfo is UTC
    assert result.hour == 10


def test_parse_instant_refuses_a_string_without_an_offset():
    with pytest.raises(ValueError, match="timezone"):
        parse_instant("2026-11-21T10:30:00")


def test_parse_instant_refuses_text_that_is_not_a_date():
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_instant("next tuesday")


def test_format_instant_prints_utc_with_a_z():
    assert format_instant(datetime(2026, 11, 21, 12, 30, tzinfo=PLUS_TWO)) == (
        "2026-11-21T10:30:00Z"
    )


def test_format_instant_keeps_microseconds_before_the_z():
    value = datetime(2026, 11, 21, 10, 30, 0, 123456, tzinfo=UTC)
    assert format_instant(value) == "2026-11-21T10:30:00.123456Z"


def test_format_instant_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="timezone"):
        format_instant(datetime(2026, 11, 21, 10, 30))  # noqa: DTZ001 - deliberately naive


@settings(database=None, deadline=None)
@given(
    value=st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - hypothesis bounds must be naive
        max_value=datetime(2200, 1, 1),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, PLUS_TWO, MINUS_FIVE_THIRTY]),
    )
)
def test_format_then_parse_returns_the_same_instant(value):
    text = format_instant(value)
    assert text.endswith("Z")
    parsed = parse_instant(text)
    assert parsed == value
    assert parsed.tzinfo is UTC


# --- clocks -----------------------------------------------------------------------------------


def test_fixed_clock_says_what_it_was_told():
    assert FixedClock(AT).now() == AT


def test_fixed_clock_stores_the_time_in_utc():
    now = FixedClock(datetime(2026, 11, 21, 12, 30, tzinfo=PLUS_TWO)).now()
    assert now == AT
    assert now.tzinfo is UTC


def test_fixed_clock_refuses_a_naive_time():
    with pytest.raises(ValueError, match="timezone"):
        FixedClock(datetime(2026, 11, 21, 10, 30))  # noqa: DTZ001 - deliberately naive


def test_fixed_clock_advance_moves_time_forward_and_returns_the_new_time():
    clock = FixedClock(AT)
    returned = clock.advance(hours=2, minutes=15)
    assert returned == AT + timedelta(hours=2, minutes=15)
    assert clock.now() == returned
    clock.advance(days=1)
    assert clock.now() == datetime(2026, 11, 22, 12, 45, tzinfo=UTC)


def test_fixed_clock_set_jumps_to_a_new_time_in_utc():
    clock = FixedClock(AT)
    clock.set(datetime(2027, 1, 1, 2, 0, tzinfo=PLUS_TWO))
    assert clock.now() == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_system_clock_returns_the_current_aware_utc_time():
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after


# --- ids --------------------------------------------------------------------------------------


def _fake_time(monkeypatch: pytest.MonkeyPatch, millis: int, random_bytes: bytes) -> None:
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: millis * 1_000_000 + 999))
    monkeypatch.setattr(ids, "os", SimpleNamespace(urandom=lambda n: random_bytes[:n]))


def _decode(text: str) -> int:
    """The 128-bit value: 26 characters carry 130 bits, the last two are padding zeros."""
    value = 0
    for char in text:
        value = value * 32 + BASE32HEX.index(char)
    assert value & 0b11 == 0
    return value >> 2


def test_new_id_has_the_prefix_and_26_base32hex_characters():
    identifier = new_id("cov")
    prefix, _, body = identifier.partition("_")
    assert prefix == "cov"
    assert identifier.startswith("cov_")
    assert len(body) == 26
    assert set(body) <= set(BASE32HEX)


def test_new_id_starts_with_the_millisecond_timestamp(monkeypatch):
    millis = 1_795_257_000_123  # 2026-11-21T10:30:00.123Z
    _fake_time(monkeypatch, millis, b"\x00" * 10)
    body = new_id("evt").removeprefix("evt_")
    # 48 bits of time, then 80 random bits.
    assert _decode(body) >> 80 == millis
    assert _decode(body) & ((1 << 80) - 1) == 0


def test_new_id_carries_the_80_random_bits_after_the_timestamp(monkeypatch):
    _fake_time(monkeypatch, 1, bytes(range(1, 11)))
    body = new_id("evt").removeprefix("evt_")
    assert _decode(body) & ((1 << 80) - 1) == int.from_bytes(bytes(range(1, 11)), "big")


def test_ids_made_in_a_later_millisecond_sort_after_earlier_ones(monkeypatch):
    millis = 1_795_257_000_000
    # The earlier id gets the largest random part, the later one the smallest.
    _fake_time(monkeypatch, millis, b"\xff" * 10)
    earlier = new_id("cov")
    _fake_time(monkeypatch, millis + 1, b"\x00" * 10)
    later = new_id("cov")
    assert later > earlier


def test_ids_sort_by_creation_time_over_a_long_span(monkeypatch):
    made = []
    for millis in (0, 1, 31, 32, 1023, 1024, 10**12, 2**48 - 1):
        _fake_time(monkeypatch, millis, b"\xa5" * 10)
        made.append(new_id("clm"))
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_a_thousand_ids_are_unique():
    made = [new_id("cov") for _ in range(1000)]
    assert len(set(made)) == 1000
