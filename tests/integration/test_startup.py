"""A bad rule file or setting stops the app at start with a message naming the culprit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from forwarder_insure import create_app
from forwarder_insure.domain.config_tables import ConfigFileError

DEFAULT_RATES = Path(__file__).resolve().parents[2] / "config" / "rates" / "default.toml"


def settings_with(tmp_path, **env) -> Settings:
    return Settings.from_env({"FI_ENV": "testing", **env}, instance_path=tmp_path)


def test_a_bad_rate_card_stops_the_app_naming_the_key(tmp_path):
    bad = tmp_path / "rates.toml"
    bad.write_text(
        DEFAULT_RATES.read_text().replace('min_premium = "1.00"', "min_premium = 1.0", 1)
    )
    with pytest.raises(
        ConfigFileError, match=r"rates.toml: currencies.USD.min_premium: must be a decimal string"
    ):
        create_app(settings_with(tmp_path, FI_RATES_FILE=str(bad)))


def test_a_missing_rate_card_stops_the_app(tmp_path):
    with pytest.raises(ConfigFileError, match="file not found"):
        create_app(settings_with(tmp_path, FI_RATES_FILE=str(tmp_path / "nope.toml")))


def test_another_rate_card_is_selected_by_fi_rates_file(tmp_path):
    other = tmp_path / "rates.toml"
    other.write_text(
        DEFAULT_RATES.read_text().replace('version = "2026-11.1"', 'version = "test-9"')
    )
    app = create_app(settings_with(tmp_path, FI_RATES_FILE=str(other)))
    assert app.extensions["forwarder_insure"].rate_card.version == "test-9"


DEFAULT_FEEDS = DEFAULT_RATES.parents[1] / "feeds.toml"


def test_a_bad_feeds_file_stops_the_app_naming_the_key(tmp_path):
    bad = tmp_path / "feeds.toml"
    bad.write_text(DEFAULT_FEEDS.read_text().replace('code = "delivered"', 'code = "arrived"', 1))
    with pytest.raises(
        ConfigFileError, match=r"feeds.toml: easypost.rules\[10\].code: 'arrived' is not one of"
    ):
        create_app(settings_with(tmp_path, FI_FEEDS_FILE=str(bad)))


def test_a_feeds_file_naming_a_carrier_we_have_no_profile_for_stops_the_app(tmp_path):
    bad = tmp_path / "feeds.toml"
    bad.write_text(DEFAULT_FEEDS.read_text().replace('"yanwen"', '"yanwen_air"', 1))
    with pytest.raises(ConfigFileError, match="yanwen_air"):
        create_app(settings_with(tmp_path, FI_FEEDS_FILE=str(bad)))


def test_the_feed_mappings_are_loaded_at_start(tmp_path):
    app = create_app(settings_with(tmp_path))
    feeds = app.extensions["forwarder_insure"].feeds
    assert feeds["17track"].carrier("190012") == "yanwen"


def upgrade_with(**settings: str) -> subprocess.CompletedProcess:
    """``forwarder-insure db upgrade`` in a fresh process with only these FI_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FI_")} | settings
    script = Path(sys.executable).parent / "forwarder-insure"
    return subprocess.run(  # noqa: S603
        [str(script), "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_command_line_reports_a_bad_file_in_one_line(tmp_path):
    bad = tmp_path / "rates.toml"
    bad.write_text("version = \n")
    result = upgrade_with(FI_INSTANCE_PATH=str(tmp_path), FI_RATES_FILE=str(bad))
    assert result.returncode != 0
    assert "cannot start: " in result.stderr
    assert "rates.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_a_secret(tmp_path):
    result = upgrade_with(FI_ENV="production", FI_DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode != 0
    assert "FI_SECRET_KEY" in result.stderr
