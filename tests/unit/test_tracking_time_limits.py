"""Event times at the ends of the calendar: no rule on them may overflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.settings import Settings, SettingsError
from forwarder_insure.domain.tracking import LATEST, deadlines, too_far_ahead

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
END = datetime(9999, 12, 31, 0, 0, tzinfo=UTC)


def test_deadlines_past_the_end_of_the_calendar_are_held_at_its_last_instant():
    due = deadlines("in_transit", END, NOW, timedelta(days=14), timedelta(days=45))
    assert due.inquiry_due_at == LATEST
    assert due.loss_due_at == LATEST


def test_an_event_ahead_of_now_by_more_than_the_allowance_is_too_far_ahead():
    day = timedelta(days=1)
    assert too_far_ahead(END, NOW, day)
    assert too_far_ahead(NOW + day + timedelta(seconds=1), NOW, day)
    assert not too_far_ahead(NOW + day, NOW, day)
    assert not too_far_ahead(NOW, LATEST, day)  # now itself at the end: nothing overflows


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", timedelta(days=1)), ("36", timedelta(hours=36)), ("90m", timedelta(minutes=90)),
     ("2d", timedelta(days=2)), ("1.5h", timedelta(minutes=90))],
)  # fmt: skip
def test_the_future_allowance_is_read_in_hours_or_with_a_unit(tmp_path, raw, expected):
    env = {"FI_ENV": "testing", "FI_TRACKING_MAX_FUTURE": raw}
    assert Settings.from_env(env, instance_path=tmp_path).tracking_max_future == expected


@pytest.mark.parametrize("raw", ["a day", "-1", "0", "1w", "1e400"])
def test_a_bad_future_allowance_names_its_variable(tmp_path, raw):
    with pytest.raises(SettingsError, match="FI_TRACKING_MAX_FUTURE"):
        Settings.from_env(
            {"FI_ENV": "testing", "FI_TRACKING_MAX_FUTURE": raw}, instance_path=tmp_path
        )
