"""The console's login lockout holds on PostgreSQL however many attempts arrive at once.

An outside review got the right password through among 8 to 29 wrong ones by sending attempts in
parallel bursts: every attempt read "not locked" before any failure was counted. Here thirty
attempts race for one account; the password hasher is werkzeug's (outside our code), made slow
and counted, so the test knows exactly how many password checks were made and can send the
right password while the first five wrong ones are still being checked.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from forwarder_insure.db.models import StaffUser
from forwarder_insure.db.session import Database, make_engine
from forwarder_insure.domain.access import Role
from forwarder_insure.services import credentials
from forwarder_insure.services.credentials import LOCKOUT_AFTER, LOCKOUT_FOR
from tests.console.conftest import PASSWORD, add_staff, csrf_of
from tests.fixtures.app import build_app

pytestmark = pytest.mark.postgres_only

EMAIL = "handler@example.com"
ATTEMPTS = 30


class CountingHasher:
    """werkzeug's ``check_password_hash``, slowed to a realistic cost and counted: only checks
    against the account's real hash count (a refused attempt spends time on a dummy hash)."""

    def __init__(self, real_hash: str, seconds: float = 0.3):
        self.real_hash = real_hash
        self.seconds = seconds
        self.checks = 0
        self.fifth_check_started = threading.Event()
        self._lock = threading.Lock()
        self._check = credentials.check_password_hash

    def __call__(self, pwhash: str, password: str) -> bool:
        if pwhash == self.real_hash:
            with self._lock:
                self.checks += 1
                if self.checks >= LOCKOUT_AFTER:
                    self.fifth_check_started.set()
        time.sleep(self.seconds)
        return self._check(pwhash, password)


@pytest.fixture
def login_app(settings, clock, migrated, committing_database):
    """The app over a pool with a connection per attempt, as thirty web workers would have
    (the committing database empties the tables afterwards). The per-address and per-account
    rate limits are lifted: this test is about the lockout's own count."""
    database = Database(make_engine(migrated.url, pool_size=ATTEMPTS + 5, max_overflow=0))
    unlimited = settings.with_overrides(
        rate_limit_login_per_address="1000/minute", rate_limit_login_per_account="1000/minute"
    )
    try:
        yield build_app(unlimited, clock, database)
    finally:
        database.dispose()


def login_form(app) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, csrf_of(client.get("/ops/login").get_data(as_text=True))


def staff_row(app) -> StaffUser:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return session.scalars(select(StaffUser).where(StaffUser.email == EMAIL)).one()


def test_thirty_parallel_attempts_get_five_password_checks_and_no_late_right_password(
    login_app, clock, backend, monkeypatch
):
    add_staff(login_app, EMAIL, Role.HANDLER)
    hasher = CountingHasher(staff_row(login_app).password_hash)
    monkeypatch.setattr(credentials, "check_password_hash", hasher)
    forms = [login_form(login_app) for _ in range(ATTEMPTS)]
    wrong_ones = threading.Barrier(ATTEMPTS - 1)

    def attempt(index: int) -> tuple[int, bool]:
        client, token = forms[index]
        if index == 0:
            # The right password, sent once five wrong ones are being checked.
            assert hasher.fifth_check_started.wait(30)
            password = PASSWORD
        else:
            wrong_ones.wait(30)
            password = f"wrong guess {index}"
        response = client.post(
            "/ops/login", data={"email": EMAIL, "password": password, "csrf_token": token}
        )
        return response.status_code, client.get("/ops/claims").status_code == 200

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        outcomes = list(pool.map(attempt, range(ATTEMPTS)))

    assert outcomes[0] == (401, False), "the right password got in after five wrong ones"
    assert all(outcome == (401, False) for outcome in outcomes)
    assert hasher.checks == LOCKOUT_AFTER  # at most five password checks per lockout window
    user = staff_row(login_app)
    assert user.locked_until == clock.now() + LOCKOUT_FOR

    clock.advance(seconds=LOCKOUT_FOR.total_seconds())
    client, token = login_form(login_app)
    response = client.post(
        "/ops/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303  # the lock ends by itself
    assert hasher.checks == LOCKOUT_AFTER + 1
