"""What the console tests share: staff users, logging in, and a form's CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from forwarder_insure.domain.access import Role
from forwarder_insure.services.credentials import create_staff_user

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(settings):
    """Console flows move the test clock by days between pages (SLAs, grace periods) while the
    staff member stays logged in, so sessions here outlive them; the session limits themselves
    are tested with their defaults in ``test_console_sessions``."""
    return settings.with_overrides(
        console_session_lifetime=timedelta(days=3650), console_session_idle=timedelta(days=3650)
    )


def add_staff(app, email: str, role: Role) -> None:
    runtime = app.extensions["forwarder_insure"]
    with runtime.database.unit_of_work() as session:
        create_staff_user(session, email, role, PASSWORD, runtime.clock.now())


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def log_in(client: FlaskClient, email: str, password: str = PASSWORD):
    token = csrf_of(client.get("/ops/login").get_data(as_text=True))
    return client.post(
        "/ops/login", data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.fixture
def handler_page(app) -> FlaskClient:
    """A browser-like client logged in as a handler."""
    add_staff(app, "handler@example.com", Role.HANDLER)
    client = app.test_client()
    assert log_in(client, "handler@example.com").status_code == 303
    return client
