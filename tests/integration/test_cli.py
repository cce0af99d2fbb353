"""The command line: keys printed alone, staff users hashed, demo data idempotent."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from demo.seed import DEMO_SELLER_ID, load_demo
from forwarder_insure.db.models import ApiKey, StaffUser
from forwarder_insure.domain.access import Role
from forwarder_insure.services.credentials import authenticate_staff, key_prefix
from tests.console.conftest import PASSWORD, add_staff, log_in
from tests.fixtures.app import build_app, issue_key


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_create_api_key_prints_the_key_alone_and_it_works(app):
    result = run(app, "create-api-key", "--role", "seller", "--seller", "S-9001", "--name", "shop")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert re.fullmatch(r"fik_[0-9a-f]{10}_[A-Za-z0-9_-]{40,}", key)
    assert result.stdout == key + "\n"
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.get_json()["seller_id"] == "S-9001"


def test_a_seller_key_without_a_seller_is_refused(app):
    result = run(app, "create-api-key", "--role", "seller")
    assert result.exit_code == 1
    assert "seller" in result.output


def test_create_staff_user_stores_a_salted_hash(app):
    result = run(
        app,
        "create-staff-user",
        "Ops@Example.com",
        "--role",
        "handler",
        "--password-stdin",
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    database = app.extensions["forwarder_insure"].database
    with database.unit_of_work() as session:
        user = session.execute(select(StaffUser)).scalar_one()
        assert user.email == "ops@example.com"
        assert "correct horse" not in user.password_hash
    now = app.extensions["forwarder_insure"].clock.now()
    assert authenticate_staff(database, "OPS@example.com", "correct horse battery", now)
    assert authenticate_staff(database, "ops@example.com", "wrong password!!", now) is None


def test_staff_user_needs_a_real_password_and_a_staff_role(app):
    weak = run(
        app,
        "create-staff-user",
        "a@example.com",
        "--role",
        "admin",
        "--password-stdin",
        input="short\n",
    )
    assert weak.exit_code == 1
    assert "12 characters" in weak.output
    wrong_role = run(
        app,
        "create-staff-user",
        "a@example.com",
        "--role",
        "seller",
        "--password-stdin",
        input="x" * 20,
    )
    assert wrong_role.exit_code == 2


def test_demo_data_loads_idempotently_with_stable_keys(app, clock):
    runtime = app.extensions["forwarder_insure"]
    with runtime.database.unit_of_work() as session:
        first = load_demo(session, runtime.settings.secret_key, clock.now())
    with runtime.database.unit_of_work() as session:
        second = load_demo(session, runtime.settings.secret_key, clock.now())
        count = session.execute(select(func.count()).select_from(ApiKey)).scalar_one()
    assert first == second
    assert count == len(first)
    roles = {role.value for role, _ in first}
    assert {"seller", "warehouse", "tracking", "handler", "supervisor"} <= roles
    seller_key = dict((r.value, k) for r, k in first)["seller"]
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {seller_key}"})
    assert me.get_json()["seller_id"] == DEMO_SELLER_ID


def test_set_staff_password_ends_every_console_session_of_the_user(app):
    add_staff(app, "ops@example.com", Role.HANDLER)
    add_staff(app, "other@example.com", Role.HANDLER)
    mine, theirs = app.test_client(), app.test_client()
    assert log_in(mine, "ops@example.com").status_code == 303
    assert log_in(theirs, "other@example.com").status_code == 303
    result = run(
        app,
        "set-staff-password",
        "OPS@example.com",
        "--password-stdin",
        input="a brand new passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert mine.get("/ops/claims").status_code == 302  # logged out on the server
    assert theirs.get("/ops/claims").status_code == 200  # another user's session is untouched
    assert log_in(app.test_client(), "ops@example.com", PASSWORD).status_code == 401
    assert log_in(app.test_client(), "ops@example.com", "a brand new passphrase").status_code == 303


def test_set_staff_password_refuses_an_unknown_user_and_a_weak_password(app):
    unknown = run(
        app, "set-staff-password", "nobody@example.com", "--password-stdin", input="x" * 20
    )
    assert unknown.exit_code == 1
    assert "staff_user_not_found" in unknown.output
    run(
        app,
        "create-staff-user",
        "a@example.com",
        "--role",
        "admin",
        "--password-stdin",
        input="correct horse battery\n",
    )
    weak = run(app, "set-staff-password", "a@example.com", "--password-stdin", input="short\n")
    assert weak.exit_code == 1
    assert "12 characters" in weak.output


def test_revoke_api_key_clears_this_processes_key_cache(settings, clock, database):
    app = build_app(settings.with_overrides(api_key_cache_seconds=30.0), clock, database)
    key = issue_key(app, Role.WAREHOUSE)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # cached
    result = run(app, "revoke-api-key", key_prefix(key))
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # at once, not in 30 s
