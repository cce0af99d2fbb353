"""Console sessions live on the server: logout, timeouts, password changes and disabling end them,
and a cookie copied before that opens nothing afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from config.settings import Settings
from forwarder_insure.db.models import StaffSession
from forwarder_insure.domain.access import Role
from forwarder_insure.services.credentials import disable_staff_user
from tests.console.conftest import PASSWORD, add_staff, csrf_of, log_in
from tests.fixtures.app import build_app

EMAIL = "handler@example.com"


@pytest.fixture
def settings(tmp_path, migrated) -> Settings:
    """The default session limits (the console's other tests stretch them)."""
    env = {"FI_ENV": "testing", "FI_DATABASE_URL": migrated.url}
    return Settings.from_env(env, instance_path=tmp_path / "instance")


NEW_PASSWORD = "a much longer new secret"


def logged_in(app, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, EMAIL, password).status_code == 303
    return client


def opens_console(client: FlaskClient) -> bool:
    response = client.get("/ops/claims")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/ops/login")
        return False
    assert response.status_code == 200
    return True


def replay(app, cookie: str) -> FlaskClient:
    """A fresh browser holding a copy of someone's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def change_password(client: FlaskClient, current: str, new: str, confirm: str | None = None):
    token = csrf_of(client.get("/ops/password").get_data(as_text=True))
    return client.post(
        "/ops/password",
        data={
            "csrf_token": token,
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def live_sessions(app) -> int:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return session.scalar(
            select(func.count()).select_from(StaffSession).where(StaffSession.ended_at.is_(None))
        )


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app):
    add_staff(app, EMAIL, Role.HANDLER)
    client = logged_in(app)
    copied = client.get_cookie("session").value
    assert opens_console(replay(app, copied))
    token = csrf_of(client.get("/ops/claims").get_data(as_text=True))
    assert client.post("/ops/logout", data={"csrf_token": token}).status_code == 303
    assert not opens_console(replay(app, copied))
    assert live_sessions(app) == 0


def test_the_cookie_holds_only_a_token_whose_hash_the_server_keeps(app):
    add_staff(app, EMAIL, Role.HANDLER)
    client = logged_in(app)
    with app.test_request_context():
        interface = app.session_interface
        data = interface.get_signing_serializer(app).loads(client.get_cookie("session").value)
    assert set(data) == {"staff_session", "csrf"}
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        stored = session.scalars(select(StaffSession)).one()
    assert stored.id != data["staff_session"]
    assert len(stored.id) == 64


def test_an_idle_session_ends_after_the_idle_timeout(app, clock):
    add_staff(app, EMAIL, Role.HANDLER)
    client = logged_in(app)
    idle = app.extensions["forwarder_insure"].settings.console_session_idle
    assert idle == timedelta(minutes=30)
    for _ in range(3):  # each request keeps it alive for another idle period
        clock.advance(seconds=idle.total_seconds() - 60)
        assert opens_console(client)
    clock.advance(seconds=idle.total_seconds())
    assert not opens_console(client)
    clock.advance(seconds=-idle.total_seconds())  # the session stays ended
    assert not opens_console(client)


def test_a_busy_session_ends_at_its_lifetime(app, clock):
    add_staff(app, EMAIL, Role.HANDLER)
    client = logged_in(app)
    lifetime = app.extensions["forwarder_insure"].settings.console_session_lifetime
    assert lifetime == timedelta(hours=12)
    for _ in range(int(lifetime / timedelta(minutes=20)) - 1):
        clock.advance(minutes=20)
        assert opens_console(client)
    clock.advance(minutes=20)
    assert not opens_console(client)
    assert opens_console(logged_in(app))  # logging in again starts a new one


def test_the_session_limits_come_from_the_settings(settings, clock, database):
    app = build_app(
        settings.with_overrides(
            console_session_idle=timedelta(minutes=5), console_session_lifetime=timedelta(hours=1)
        ),
        clock,
        database,
    )
    add_staff(app, EMAIL, Role.HANDLER)
    client = logged_in(app)
    clock.advance(minutes=5)
    assert not opens_console(client)
    client = logged_in(app)
    for _ in range(14):
        clock.advance(minutes=4)
        assert opens_console(client)
    clock.advance(minutes=4)  # 60 minutes after logging in
    assert not opens_console(client)


def test_changing_the_password_ends_every_other_session(app):
    add_staff(app, EMAIL, Role.HANDLER)
    laptop, phone = logged_in(app), logged_in(app)
    copied = laptop.get_cookie("session").value
    response = change_password(laptop, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    assert opens_console(laptop)  # this browser carries on with a fresh session
    assert laptop.get_cookie("session").value != copied
    assert not opens_console(phone)
    assert not opens_console(replay(app, copied))  # even this browser's old cookie
    assert live_sessions(app) == 1
    assert log_in(app.test_client(), EMAIL, PASSWORD).status_code == 401
    assert opens_console(logged_in(app, NEW_PASSWORD))


@pytest.mark.parametrize(
    ("current", "new", "confirm", "status", "reason"),
    [
        ("not my password", NEW_PASSWORD, None, 403, "current password is wrong"),
        (PASSWORD, NEW_PASSWORD, "something else entirely", 422, "confirmation differ"),
        (PASSWORD, "short", None, 422, "at least 12 characters"),
    ],
)
def test_a_refused_password_change_changes_nothing(app, current, new, confirm, status, reason):
    add_staff(app, EMAIL, Role.HANDLER)
    client, other = logged_in(app), logged_in(app)
    response = change_password(client, current, new, confirm)
    assert response.status_code == status
    assert reason in response.get_data(as_text=True)
    assert opens_console(client)
    assert opens_console(other)
    assert opens_console(logged_in(app, PASSWORD))


def test_a_password_change_needs_the_csrf_token(app):
    add_staff(app, EMAIL, Role.HANDLER)
    client = logged_in(app)
    response = client.post(
        "/ops/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert opens_console(logged_in(app, PASSWORD))


def test_a_wrong_current_password_counts_towards_the_lockout(app):
    add_staff(app, EMAIL, Role.HANDLER)
    client = logged_in(app)
    for _ in range(5):
        assert change_password(client, "guessing away", NEW_PASSWORD).status_code == 403
    assert change_password(client, PASSWORD, NEW_PASSWORD).status_code == 403  # locked
    assert log_in(app.test_client(), EMAIL, PASSWORD).status_code == 401


def test_disabling_a_user_ends_its_sessions(app, clock):
    add_staff(app, EMAIL, Role.HANDLER)
    client = logged_in(app)
    copied = client.get_cookie("session").value
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        disable_staff_user(session, EMAIL, clock.now())
    assert live_sessions(app) == 0
    assert not opens_console(replay(app, copied))
    assert log_in(app.test_client(), EMAIL, PASSWORD).status_code == 401


def test_logging_in_again_ends_the_session_the_cookie_held(app):
    add_staff(app, EMAIL, Role.HANDLER)
    client = logged_in(app)
    copied = client.get_cookie("session").value
    assert log_in(client, EMAIL).status_code == 303
    assert opens_console(client)
    assert not opens_console(replay(app, copied))
    assert live_sessions(app) == 1


def test_only_the_console_opens_the_cookie_session(app):
    """The API (quoted on every keystroke) never pays for reading the console's cookie."""
    from flask import request
    from flask.sessions import NullSession, SecureCookieSession

    opened = {}
    for path in ("/api/v1/quotes", "/healthz", "/opsx", "/ops", "/ops/claims"):
        with app.test_request_context(path):
            opened[path] = app.session_interface.open_session(app, request)
    assert all(isinstance(opened[p], NullSession) for p in ("/api/v1/quotes", "/healthz", "/opsx"))
    assert all(
        isinstance(opened[p], SecureCookieSession) and not isinstance(opened[p], NullSession)
        for p in ("/ops", "/ops/claims")
    )
