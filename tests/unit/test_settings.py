"""Unit tests for config.settings: FI_* variables over per-environment defaults."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from config.settings import DEFAULT_FEEDS_FILE, DEFAULT_RATES_FILE, Settings, SettingsError

STRONG_SECRET = "s" * 48
POSTGRES_URL = "postgresql+psycopg://fi:pw@db.internal:5432/fi"


def production(**extra: str) -> dict[str, str]:
    env = {
        "FI_ENV": "production",
        "FI_SECRET_KEY": STRONG_SECRET,
        "FI_DATABASE_URL": POSTGRES_URL,
        "FI_PUBLIC_URL": "https://insure.example.com",
    }
    env.update(extra)
    return env


# --- development defaults ---------------------------------------------------------------------


def test_development_is_the_default_environment(tmp_path):
    settings = Settings.from_env({}, instance_path=tmp_path)
    assert settings.env == "development"
    assert not settings.is_production


def test_development_keeps_sqlite_and_documents_under_the_instance_path(tmp_path):
    instance = tmp_path / "instance"
    settings = Settings.from_env({}, instance_path=instance)
    resolved = instance.resolve()
    assert settings.instance_path == resolved
    assert settings.database_url == f"sqlite:///{resolved / 'forwarder_insure.sqlite3'}"
    assert settings.storage_url == (resolved / "documents").as_uri()
    assert settings.storage_url.startswith("file:///")


def test_development_generates_and_persists_a_secret_key(tmp_path):
    instance = tmp_path / "instance"
    settings = Settings.from_env({}, instance_path=instance)
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == settings.secret_key
    assert len(settings.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_development_reuses_the_persisted_secret_key_on_a_second_start(tmp_path):
    first = Settings.from_env({}, instance_path=tmp_path)
    second = Settings.from_env({}, instance_path=tmp_path)
    assert second.secret_key == first.secret_key


def test_development_generates_a_different_key_per_instance_folder(tmp_path):
    one = Settings.from_env({}, instance_path=tmp_path / "one")
    two = Settings.from_env({}, instance_path=tmp_path / "two")
    assert one.secret_key != two.secret_key


def test_an_explicit_secret_key_is_used_and_not_written_to_disk(tmp_path):
    settings = Settings.from_env({"FI_SECRET_KEY": "dev-key"}, instance_path=tmp_path)
    assert settings.secret_key == "dev-key"
    assert not (tmp_path / "secret_key").exists()


def test_defaults_for_optional_settings(tmp_path):
    settings = Settings.from_env({}, instance_path=tmp_path)
    assert settings.s3_endpoint_url is None
    assert settings.rates_file == DEFAULT_RATES_FILE
    assert settings.idempotency_ttl == timedelta(hours=24)
    assert settings.max_json_bytes == 2 * 1024 * 1024
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert settings.sql_echo is False
    assert settings.log_level == "INFO"


def test_fi_instance_path_overrides_the_instance_path_argument(tmp_path):
    chosen = tmp_path / "chosen"
    settings = Settings.from_env({"FI_INSTANCE_PATH": str(chosen)}, instance_path=tmp_path)
    assert settings.instance_path == chosen.resolve()
    assert (chosen / "secret_key").exists()


def test_testing_environment_has_a_fixed_key_and_writes_no_file(tmp_path):
    settings = Settings.from_env({"FI_ENV": "testing"}, instance_path=tmp_path)
    assert settings.env == "testing"
    assert settings.secret_key
    assert Settings.from_env({"FI_ENV": "testing"}, instance_path=tmp_path).secret_key == (
        settings.secret_key
    )
    assert not (tmp_path / "secret_key").exists()


def test_fi_env_is_read_case_insensitively(tmp_path):
    assert Settings.from_env({"FI_ENV": " Testing "}, instance_path=tmp_path).env == "testing"


def test_unknown_fi_env_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="FI_ENV"):
        Settings.from_env({"FI_ENV": "staging"}, instance_path=tmp_path)


# --- production -------------------------------------------------------------------------------


def test_production_without_a_secret_key_is_refused(tmp_path):
    env = production()
    del env["FI_SECRET_KEY"]
    with pytest.raises(SettingsError, match="FI_SECRET_KEY"):
        Settings.from_env(env, instance_path=tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_production_without_a_database_url_is_refused(tmp_path):
    env = production()
    del env["FI_DATABASE_URL"]
    with pytest.raises(SettingsError, match="FI_DATABASE_URL"):
        Settings.from_env(env, instance_path=tmp_path)


def test_production_with_an_empty_secret_key_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="FI_SECRET_KEY"):
        Settings.from_env(production(FI_SECRET_KEY=""), instance_path=tmp_path)


def test_production_refuses_a_secret_key_shorter_than_32_characters(tmp_path):
    with pytest.raises(SettingsError, match="FI_SECRET_KEY"):
        Settings.from_env(production(FI_SECRET_KEY="k" * 31), instance_path=tmp_path)


def test_production_accepts_a_secret_key_of_exactly_32_characters(tmp_path):
    settings = Settings.from_env(production(FI_SECRET_KEY="k" * 32), instance_path=tmp_path)
    assert settings.secret_key == "k" * 32


def test_production_with_a_secret_key_and_database_url_starts(tmp_path):
    settings = Settings.from_env(production(), instance_path=tmp_path)
    assert settings.env == "production"
    assert settings.is_production
    assert settings.secret_key == STRONG_SECRET
    assert settings.database_url == POSTGRES_URL
    assert not (tmp_path / "secret_key").exists()


# --- database URL normalisation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://fi:pw@db:5432/fi", "postgresql+psycopg://fi:pw@db:5432/fi"),
        ("postgresql://fi:pw@db:5432/fi", "postgresql+psycopg://fi:pw@db:5432/fi"),
        ("postgresql+psycopg://fi@db/fi", "postgresql+psycopg://fi@db/fi"),
        ("sqlite:////srv/fi.sqlite3", "sqlite:////srv/fi.sqlite3"),
    ],
)
def test_postgres_urls_are_pinned_to_the_psycopg_driver(tmp_path, given, expected):
    settings = Settings.from_env(production(FI_DATABASE_URL=given), instance_path=tmp_path)
    assert settings.database_url == expected


# --- optional variables -----------------------------------------------------------------------


def test_storage_s3_endpoint_and_rates_file_are_read(tmp_path):
    rates = tmp_path / "rates.toml"
    env = {
        "FI_ENV": "testing",
        "FI_STORAGE_URL": "s3://fi-documents/prod",
        "FI_S3_ENDPOINT_URL": "http://localhost:9000",
        "FI_RATES_FILE": str(rates),
    }
    settings = Settings.from_env(env, instance_path=tmp_path)
    assert settings.storage_url == "s3://fi-documents/prod"
    assert settings.s3_endpoint_url == "http://localhost:9000"
    assert settings.rates_file == rates
    assert isinstance(settings.rates_file, Path)


def test_an_empty_s3_endpoint_means_none(tmp_path):
    env = {"FI_ENV": "testing", "FI_S3_ENDPOINT_URL": ""}
    assert Settings.from_env(env, instance_path=tmp_path).s3_endpoint_url is None


@pytest.mark.parametrize(
    ("hours", "ttl"), [("48", timedelta(hours=48)), ("1.5", timedelta(minutes=90))]
)
def test_idempotency_ttl_is_read_in_hours(tmp_path, hours, ttl):
    env = {"FI_ENV": "testing", "FI_IDEMPOTENCY_TTL_HOURS": hours}
    assert Settings.from_env(env, instance_path=tmp_path).idempotency_ttl == ttl


def test_size_limits_echo_and_log_level_are_read(tmp_path):
    env = {
        "FI_ENV": "testing",
        "FI_MAX_JSON_BYTES": "1024",
        "FI_MAX_UPLOAD_BYTES": "4096",
        "FI_SQL_ECHO": "yes",
        "FI_LOG_LEVEL": "debug",
    }
    settings = Settings.from_env(env, instance_path=tmp_path)
    assert settings.max_json_bytes == 1024
    assert settings.max_upload_bytes == 4096
    assert settings.sql_echo is True
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FI_MAX_JSON_BYTES", "abc"),
        ("FI_MAX_JSON_BYTES", "1.5"),
        ("FI_MAX_UPLOAD_BYTES", "lots"),
        ("FI_IDEMPOTENCY_TTL_HOURS", "a day"),
        ("FI_IDEMPOTENCY_TTL_HOURS", "nan"),
    ],
)
def test_an_unparseable_value_raises_settings_error_naming_the_variable(tmp_path, variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({"FI_ENV": "testing", variable: value}, instance_path=tmp_path)


@pytest.mark.parametrize("value", ["inf", "1e20"])
def test_an_out_of_range_idempotency_ttl_raises_settings_error(tmp_path, value):
    with pytest.raises(SettingsError, match="FI_IDEMPOTENCY_TTL_HOURS"):
        Settings.from_env(
            {"FI_ENV": "testing", "FI_IDEMPOTENCY_TTL_HOURS": value}, instance_path=tmp_path
        )


def test_with_overrides_replaces_only_the_given_values(tmp_path):
    settings = Settings.from_env({"FI_ENV": "testing"}, instance_path=tmp_path)
    changed = settings.with_overrides(max_json_bytes=10)
    assert changed.max_json_bytes == 10
    assert changed.database_url == settings.database_url
    assert settings.max_json_bytes == 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("variable", "value"),
    [("FI_MAX_JSON_BYTES", "0"), ("FI_MAX_UPLOAD_BYTES", "-1"), ("FI_IDEMPOTENCY_TTL_HOURS", "-5")],
)
def test_sizes_and_lifetimes_must_be_positive(tmp_path, variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({"FI_ENV": "testing", variable: value}, instance_path=tmp_path)


# --- tracking feeds -----------------------------------------------------------------------------


def test_feed_secrets_are_grouped_per_provider_in_order(tmp_path):
    settings = Settings.from_env(
        {"FI_FEED_SECRETS": "easypost:s1, easypost:s2,aftership:s3,17track:s4"},
        instance_path=tmp_path,
    )
    assert settings.feed_secrets == {
        "easypost": ("s1", "s2"),
        "aftership": ("s3",),
        "17track": ("s4",),
    }


def test_a_feed_secret_may_contain_a_colon(tmp_path):
    settings = Settings.from_env(
        {"FI_FEED_SECRETS": "aftership:a:b:c,17track:key:"}, instance_path=tmp_path
    )
    assert settings.feed_secrets == {"aftership": ("a:b:c",), "17track": ("key:",)}


def test_without_feed_secrets_no_provider_has_one(tmp_path):
    assert Settings.from_env({}, instance_path=tmp_path).feed_secrets == {}
    assert Settings.from_env({"FI_FEED_SECRETS": " "}, instance_path=tmp_path).feed_secrets == {}


@pytest.mark.parametrize(
    "value", ["shippo:s1", "easypost:s1,EasyPost:s2", "s1", "easypost:", "easypost"]
)
def test_a_bad_feed_secret_is_refused_naming_the_variable(tmp_path, value):
    with pytest.raises(SettingsError, match="FI_FEED_SECRETS"):
        Settings.from_env({"FI_FEED_SECRETS": value}, instance_path=tmp_path)


def test_the_feeds_file_defaults_to_config_and_is_read_from_fi_feeds_file(tmp_path):
    assert Settings.from_env({}, instance_path=tmp_path).feeds_file == DEFAULT_FEEDS_FILE
    assert DEFAULT_FEEDS_FILE.name == "feeds.toml"
    assert DEFAULT_FEEDS_FILE.exists()
    other = tmp_path / "feeds.toml"
    settings = Settings.from_env({"FI_FEEDS_FILE": str(other)}, instance_path=tmp_path)
    assert settings.feeds_file == other


def test_the_settings_know_the_same_providers_as_the_feeds():
    from config.settings import FEED_PROVIDERS
    from forwarder_insure.domain.feeds import PROVIDERS

    assert FEED_PROVIDERS == PROVIDERS


def test_feed_limits_and_retention_have_defaults_and_are_read(tmp_path):
    defaults = Settings.from_env({"FI_ENV": "testing"}, instance_path=tmp_path)
    assert defaults.feed_max_bytes == 1024 * 1024
    assert defaults.feed_payload_keep_bytes == 64 * 1024
    assert defaults.feed_payload_retention == timedelta(days=30)
    env = {
        "FI_ENV": "testing",
        "FI_FEED_MAX_BYTES": "2048",
        "FI_FEED_PAYLOAD_KEEP_BYTES": "512",
        "FI_FEED_PAYLOAD_RETENTION_DAYS": "7",
    }
    settings = Settings.from_env(env, instance_path=tmp_path)
    assert settings.feed_max_bytes == 2048
    assert settings.feed_payload_keep_bytes == 512
    assert settings.feed_payload_retention == timedelta(days=7)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FI_FEED_MAX_BYTES", "0"),
        ("FI_FEED_PAYLOAD_KEEP_BYTES", "lots"),
        ("FI_FEED_PAYLOAD_RETENTION_DAYS", "-1"),
    ],
)
def test_feed_limits_must_be_positive_numbers(tmp_path, variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({"FI_ENV": "testing", variable: value}, instance_path=tmp_path)
