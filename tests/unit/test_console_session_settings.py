"""The console session's lifetime and idle timeout are settings, read like the other durations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config.settings import Settings, SettingsError


def test_console_sessions_last_twelve_hours_and_thirty_idle_minutes_by_default(tmp_path):
    settings = Settings.from_env({"FI_ENV": "testing"}, instance_path=tmp_path)
    assert settings.console_session_lifetime == timedelta(hours=12)
    assert settings.console_session_idle == timedelta(minutes=30)


def test_console_session_limits_are_read_in_hours_and_minutes(tmp_path):
    env = {
        "FI_ENV": "testing",
        "FI_CONSOLE_SESSION_LIFETIME_HOURS": "8.5",
        "FI_CONSOLE_SESSION_IDLE_MINUTES": "15",
    }
    settings = Settings.from_env(env, instance_path=tmp_path)
    assert settings.console_session_lifetime == timedelta(hours=8, minutes=30)
    assert settings.console_session_idle == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FI_CONSOLE_SESSION_LIFETIME_HOURS", "a day"),
        ("FI_CONSOLE_SESSION_LIFETIME_HOURS", "0"),
        ("FI_CONSOLE_SESSION_LIFETIME_HOURS", "inf"),
        ("FI_CONSOLE_SESSION_IDLE_MINUTES", "-5"),
        ("FI_CONSOLE_SESSION_IDLE_MINUTES", "nan"),
    ],
)
def test_a_bad_console_session_limit_names_its_variable(tmp_path, variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({"FI_ENV": "testing", variable: value}, instance_path=tmp_path)
