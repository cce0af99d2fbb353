"""What production refuses: a public URL left at its local default or sent in plain HTTP, and
the embedded demo (fixed keys and logins, werkzeug) started with ``FI_ENV=production``."""

from __future__ import annotations

import pytest

from config.settings import Settings, SettingsError

PRODUCTION = {
    "FI_ENV": "production",
    "FI_SECRET_KEY": "p" * 48,
    "FI_DATABASE_URL": "postgresql+psycopg://fi:pw@db.internal:5432/fi",
}


def test_production_without_a_public_url_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="FI_PUBLIC_URL"):
        Settings.from_env(PRODUCTION, instance_path=tmp_path)
    with pytest.raises(SettingsError, match="FI_PUBLIC_URL"):
        Settings.from_env(PRODUCTION | {"FI_PUBLIC_URL": "  "}, instance_path=tmp_path)


@pytest.mark.parametrize(
    "url",
    ["http://insure.example.com", "http://10.0.0.5:8000", "ftp://insure.example.com", "insure"],
)
def test_production_refuses_a_public_url_that_is_not_https(tmp_path, url):
    with pytest.raises(SettingsError, match="FI_PUBLIC_URL"):
        Settings.from_env(PRODUCTION | {"FI_PUBLIC_URL": url}, instance_path=tmp_path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://insure.example.com/", "https://insure.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),  # a production-mode run on loopback
        ("http://localhost", "http://localhost"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_production_takes_an_https_or_loopback_public_url(tmp_path, url, expected):
    settings = Settings.from_env(PRODUCTION | {"FI_PUBLIC_URL": url}, instance_path=tmp_path)
    assert settings.public_url == expected


def test_outside_production_the_public_url_keeps_its_local_default(tmp_path):
    settings = Settings.from_env({"FI_ENV": "development"}, instance_path=tmp_path)
    assert settings.public_url == "http://127.0.0.1:5000"
