"""Working days by a country's calendar, for deadlines counted in working days.

An underwriter owes settlement within a number of working days of accepting a claim, counted by
the calendar of the underwriter's country: its weekend days and its public holidays are not
working days. The calendars come from the ``holidays`` library, which also knows each country's
weekend (Friday and Saturday in Saudi Arabia, Saturday and Sunday in most places), weekends that
changed over time (the United Arab Emirates moved to Saturday and Sunday in 2022) and weekend
days declared working (China's make-up Saturdays). We ask it, rather than assuming Saturday and
Sunday, through its public ``is_working_day``.

Days are calendar dates of the UTC instant: an acceptance at 23:30 UTC on a Friday counts as a
Friday even where it was already Saturday locally. (A country may span several time zones, and
the deadline is an instant we store and compare in UTC.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import holidays

from forwarder_insure.domain.clock import ensure_utc
from forwarder_insure.domain.errors import Invalid

#: Longest run of non-working days we expect in any calendar. A longer run means the library
#: gave us a calendar without working days, and we stop rather than loop for ever.
_MAX_NON_WORKING_RUN = 60


class UnknownCalendar(Invalid):
    """We have no working-day calendar for this country (or for this subdivision of it)."""

    code = "unknown_calendar"
    title = "No working-day calendar"


@cache
def _calendar(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    """The public holidays of one country (and subdivision) in one year, built once.

    ``expand=False`` keeps the cached object read-only: a lookup of a date in another year does
    not quietly add that year to it. Each date is looked up in its own year's calendar, which
    also holds holidays observed across the year end (New Year's Day 2022 observed in the US on
    Friday 31 December 2021 belongs to the 2021 calendar).
    """
    where = country if subdivision is None else f"{country}-{subdivision}"
    unknown = UnknownCalendar(
        f"no working-day calendar for {where!r}", country=country, subdivision=subdivision
    )
    # Alpha-2 only, as stored on underwriters: the library would also take "USA".
    if not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):
        raise unknown
    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=year, expand=False)
    except NotImplementedError:
        # The library's way of saying "no such country / subdivision".
        raise unknown from None


def is_working_day(day: date, country: str, subdivision: str | None = None) -> bool:
    """Whether ``day`` is a working day in ``country`` (ISO 3166-1 alpha-2, upper case).

    Not a working day: the country's weekend days (unless the country declares that one a
    working day) and its public holidays, including observed ones. ``subdivision`` (a state,
    region or nation code such as ``"ENG"`` for England) adds that subdivision's holidays.
    Raises :class:`UnknownCalendar` when the library has no calendar for the country or the
    subdivision.
    """
    if isinstance(day, datetime):
        # A datetime's date depends on its time zone; callers choose it explicitly.
        raise TypeError("is_working_day takes a date, not a datetime")
    return _calendar(country, subdivision, day.year).is_working_day(day)


def next_working_day(day: date, country: str, subdivision: str | None = None) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    for offset in range(_MAX_NON_WORKING_RUN):
        candidate = day + timedelta(days=offset)
        if is_working_day(candidate, country, subdivision):
            return candidate
    raise UnknownCalendar(
        f"the calendar of {country!r} has no working day in the {_MAX_NON_WORKING_RUN} days "
        f"from {day.isoformat()}",
        country=country,
        subdivision=subdivision,
    )


def add_working_days(
    start: datetime, days: int, country: str, subdivision: str | None = None
) -> datetime:
    """The instant ``days`` whole working days after ``start``, in ``country``'s calendar.

    The rule, in whole days on the UTC date of ``start``:

    1. On a working day, the count starts at ``start`` itself.
    2. On a weekend day or a public holiday, the count starts at the beginning (00:00 UTC) of
       the next working day, as a notice given on a non-working day is deemed given when the
       next working day opens.
    3. The result is the same time of day, ``days`` working days later (weekends and holidays
       skipped), in UTC.

    So three working days from Tuesday 10:00 is Friday 10:00; from Friday 10:00 it is Wednesday
    10:00; from any time on Saturday or Sunday it is Thursday 00:00 (counted from Monday 00:00,
    that is the end of Wednesday). ``days=0`` gives ``start`` on a working day, else the opening
    of the next working day.

    Why the start of the day and not ``start``'s own time of day for a non-working day: the
    deadline must never move earlier when the start moves later. Keeping the time of day would
    give an acceptance on Saturday 23:00 the deadline Thursday 23:00 but one on Monday 01:00 the
    deadline Thursday 01:00. With this rule the working time between the start and the deadline
    is always exactly ``days`` full working days.

    ``start`` must be timezone-aware; the result is aware UTC. Raises :class:`UnknownCalendar`
    for a country or subdivision without a calendar, and ``ValueError`` for negative ``days``.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, not {type(days).__name__}")
    if days < 0:
        raise ValueError(f"days must be zero or more, not {days}")
    start = ensure_utc(start)
    day = next_working_day(start.date(), country, subdivision)
    time_of_day = start.timetz() if day == start.date() else time(0, tzinfo=UTC)
    for _ in range(days):
        day = next_working_day(day + timedelta(days=1), country, subdivision)
    return datetime.combine(day, time_of_day)
