"""What production refuses: a public URL left at its local default or sent in plain HTTP, and
the embedded demo (fixed keys and logins, werkzeug) started with ``FI_ENV=production``."""

from __future__ import annotations

import os
import subprocess

import pytest

from config.settings import Settings, SettingsError
from tests.integration.test_demo import demo_command, free_port, stop

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


def test_the_demo_refuses_to_run_in_production_and_seeds_nothing(tmp_path):
    instance = tmp_path / "instance"
    database = tmp_path / "production.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FI_")}
    env |= PRODUCTION | {
        "FI_DATABASE_URL": f"sqlite:///{database}",
        "FI_PUBLIC_URL": "https://insure.example.com",
        "FI_INSTANCE_PATH": str(instance),
    }
    process = subprocess.Popen(  # noqa: S603
        [*demo_command(), "demo", "--host", "127.0.0.1", "--port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        stop(process)
        process.stderr.close()
        pytest.fail("the demo kept running with FI_ENV=production")
    assert process.returncode == 2, stderr
    assert "refuses to run with FI_ENV=production" in stderr
    assert "Traceback" not in stderr
    assert "api-key" not in stdout
    assert "console-login" not in stdout
    assert not database.exists()  # not migrated, nothing seeded
    assert not (instance / "documents").exists()
