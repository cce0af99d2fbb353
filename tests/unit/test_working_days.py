"""Unit tests for forwarder_insure.domain.working_days: settlement deadlines in working days.

Expected dates are written out from published calendars (weekdays checked against a 2026 wall
calendar), so the tests do not lean on the code they check.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.working_days import (
    UnknownCalendar,
    add_working_days,
    is_working_day,
    next_working_day,
)


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_three_working_days_from_friday_skip_the_weekend():
    # Fri 2026-06-05 -> Mon 8, Tue 9, Wed 10.
    assert add_working_days(at(2026, 6, 5), 3, "US") == at(2026, 6, 10)


def test_three_working_days_from_midweek_stay_in_the_week():
    assert add_working_days(at(2026, 6, 9, 14, 30), 3, "US") == at(2026, 6, 12, 14, 30)


def test_us_thanksgiving_is_not_a_working_day():
    # Wed 2026-11-25 -> (Thu 26 Thanksgiving) Fri 27, Mon 30, Tue 1 December.
    assert not is_working_day(date(2026, 11, 26), "US")
    assert add_working_days(at(2026, 11, 25), 3, "US") == at(2026, 12, 1)


def test_christmas_and_the_observed_boxing_day_in_england():
    # Christmas 2026 is a Friday; Boxing Day falls on Saturday and is observed on Monday 28.
    assert not is_working_day(date(2026, 12, 25), "GB", "ENG")
    assert not is_working_day(date(2026, 12, 28), "GB", "ENG")
    assert add_working_days(at(2026, 12, 24), 1, "GB", "ENG") == at(2026, 12, 29)


def test_christmas_in_the_us_costs_one_day():
    assert add_working_days(at(2026, 12, 24), 1, "US") == at(2026, 12, 28)


def test_easter_monday_is_a_bank_holiday_in_england_but_not_in_scotland():
    # Good Friday 2026-04-03 everywhere in the UK; Easter Monday 04-06 not in Scotland.
    assert add_working_days(at(2026, 4, 2), 1, "GB", "ENG") == at(2026, 4, 7)
    assert add_working_days(at(2026, 4, 2), 1, "GB", "SCT") == at(2026, 4, 6)


def test_german_unity_day_on_a_saturday_moves_nothing():
    # Tag der Deutschen Einheit 2026-10-03 is a Saturday; Germany does not observe it on Monday.
    assert not is_working_day(date(2026, 10, 3), "DE")
    assert is_working_day(date(2026, 10, 5), "DE")
    assert add_working_days(at(2026, 10, 2), 1, "DE") == at(2026, 10, 5)


def test_a_start_on_saturday_counts_from_the_opening_of_monday():
    # Sat 2026-06-06 is deemed Mon 06-08 00:00 -> Tue 9, Wed 10, Thu 11 at 00:00.
    assert add_working_days(at(2026, 6, 6, 10, 0), 3, "US") == at(2026, 6, 11, 0, 0)
    assert add_working_days(at(2026, 6, 7, 23, 59), 3, "US") == at(2026, 6, 11, 0, 0)
    assert add_working_days(at(2026, 6, 8, 0, 0), 3, "US") == at(2026, 6, 11, 0, 0)


def test_a_later_start_over_the_weekend_never_gets_an_earlier_deadline():
    saturday_night = add_working_days(at(2026, 6, 6, 23, 0), 3, "US")
    monday_morning = add_working_days(at(2026, 6, 8, 1, 0), 3, "US")
    friday_night = add_working_days(at(2026, 6, 5, 23, 0), 3, "US")
    assert friday_night < saturday_night < monday_morning


def test_a_start_on_a_holiday_counts_from_the_next_working_day():
    # Thanksgiving 10:00 is deemed Fri 2026-11-27 00:00 -> Mon 30 00:00.
    assert add_working_days(at(2026, 11, 26), 1, "US") == at(2026, 11, 30, 0, 0)


def test_zero_days_is_the_start_or_the_opening_of_the_next_working_day():
    assert add_working_days(at(2026, 6, 9, 8, 15), 0, "US") == at(2026, 6, 9, 8, 15)
    assert add_working_days(at(2026, 6, 6, 8, 15), 0, "US") == at(2026, 6, 8, 0, 0)


def test_saudi_arabia_rests_on_friday_and_saturday():
    # Thu 2026-10-01 -> (Fri 2, Sat 3) Sun 4; Sunday is a working day there.
    assert not is_working_day(date(2026, 10, 2), "SA")
    assert not is_working_day(date(2026, 10, 3), "SA")
    assert is_working_day(date(2026, 10, 4), "SA")
    assert add_working_days(at(2026, 10, 1), 1, "SA") == at(2026, 10, 4)


def test_the_emirates_weekend_moved_to_saturday_and_sunday_in_2022():
    # Fri/Sat until 2021: Thu 2021-06-03 -> Sun 06-06. Sat/Sun since: Fri 2026-06-05 -> Mon 8.
    assert add_working_days(at(2021, 6, 3), 1, "AE") == at(2021, 6, 6)
    assert is_working_day(date(2026, 6, 5), "AE")
    assert add_working_days(at(2026, 6, 5), 1, "AE") == at(2026, 6, 8)


def test_counting_crosses_the_year_end_and_new_years_day():
    # Wed 2026-12-30 -> Thu 31, (Fri 2027-01-01 New Year's Day) Mon 2027-01-04.
    assert add_working_days(at(2026, 12, 30), 2, "US") == at(2027, 1, 4)


def test_a_new_years_day_observed_in_the_old_year_is_not_a_working_day():
    # 2022-01-01 was a Saturday; the US observed it on Friday 2021-12-31.
    assert not is_working_day(date(2021, 12, 31), "US")
    assert add_working_days(at(2021, 12, 30), 1, "US") == at(2022, 1, 3)


def test_the_result_is_utc_at_the_starts_time_of_day():
    new_york = timezone(timedelta(hours=-5))
    # Thursday 22:00 in New York is Friday 03:00 UTC: counted from Friday 03:00.
    result = add_working_days(datetime(2026, 6, 4, 22, 0, tzinfo=new_york), 1, "US")
    assert result == at(2026, 6, 8, 3, 0)
    assert result.tzinfo is UTC
    # Friday 22:00 in New York is Saturday 03:00 UTC: a Saturday start, counted from Monday.
    assert add_working_days(datetime(2026, 6, 5, 22, 0, tzinfo=new_york), 1, "US") == at(
        2026, 6, 9, 0, 0
    )


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        add_working_days(datetime(2026, 6, 5, 10, 0), 3, "US")  # noqa: DTZ001 - the point


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(at(2026, 6, 5), -1, "US")


def test_is_working_day_wants_a_date_not_a_datetime():
    with pytest.raises(TypeError):
        is_working_day(at(2026, 6, 5), "US")


@pytest.mark.parametrize("country", ["XX", "us", "", "USA"])
def test_an_unknown_country_is_a_domain_error_with_a_stable_code(country):
    with pytest.raises(UnknownCalendar) as raised:
        add_working_days(at(2026, 6, 5), 3, country)
    assert isinstance(raised.value, Invalid)
    assert raised.value.code == "unknown_calendar"
    assert raised.value.extra["country"] == country


def test_an_unknown_subdivision_is_the_same_domain_error():
    with pytest.raises(UnknownCalendar, match="US-ZZ") as raised:
        is_working_day(date(2026, 6, 5), "US", "ZZ")
    assert raised.value.extra["subdivision"] == "ZZ"


def test_next_working_day_is_the_day_itself_when_it_works():
    assert next_working_day(date(2026, 6, 9), "US") == date(2026, 6, 9)
    assert next_working_day(date(2026, 6, 6), "US") == date(2026, 6, 8)


# -- properties ----------------------------------------------------------------------------------

CALENDARS = [
    ("US", None),
    ("GB", "ENG"),
    ("GB", "SCT"),
    ("DE", None),
    ("FR", None),
    ("SA", None),
    ("AE", None),
    ("IL", None),
    ("CN", None),
    ("JP", None),
]

starts = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds must be naive
    max_value=datetime(2060, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
# No example database: these tests must not write a .hypothesis folder into the repository.
quick = settings(database=None, deadline=None, max_examples=200)


@quick
@given(start=starts, days=st.integers(min_value=1, max_value=40), where=st.sampled_from(CALENDARS))
def test_the_result_is_a_working_day_strictly_after_the_start(start, days, where):
    result = add_working_days(start, days, *where)
    assert result > start
    assert is_working_day(result.date(), *where)
    assert result.tzinfo is UTC
    if is_working_day(start.date(), *where):
        assert result.time() == start.time()
    else:
        assert result.time() == time(0)


@quick
@given(start=starts, days=st.integers(min_value=0, max_value=40), where=st.sampled_from(CALENDARS))
def test_one_more_working_day_is_always_later(start, days, where):
    assert add_working_days(start, days + 1, *where) > add_working_days(start, days, *where)


@quick
@given(start=starts, days=st.integers(min_value=0, max_value=40), where=st.sampled_from(CALENDARS))
def test_exactly_n_working_days_lie_after_the_first_working_day(start, days, where):
    result = add_working_days(start, days, *where)
    first = add_working_days(start, 0, *where).date()
    between = (first + timedelta(days=i) for i in range(1, (result.date() - first).days + 1))
    assert sum(is_working_day(day, *where) for day in between) == days


@quick
@given(
    first=starts,
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    days=st.integers(min_value=0, max_value=10),
    where=st.sampled_from(CALENDARS),
)
def test_a_later_start_never_gives_an_earlier_deadline(first, gap, days, where):
    later = first + gap
    assert add_working_days(later, days, *where) >= add_working_days(first, days, *where)
