"""Concurrent binds on PostgreSQL: retries and races never create a second coverage."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from forwarder_insure.db.models import Coverage, LedgerTransaction
from forwarder_insure.domain.access import Role
from tests.fixtures.app import KeyedClient, issue_key
from tests.fixtures.insurance import add_underwriter, bind, offered_token

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("balanced_books")]


def counts(app) -> tuple[int, int]:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return (
            session.execute(select(func.count()).select_from(Coverage)).scalar_one(),
            session.execute(select(func.count()).select_from(LedgerTransaction)).scalar_one(),
        )


def race(app, key_secret: str, token: str, idempotency_keys: list[str]) -> list:
    start = threading.Barrier(len(idempotency_keys))

    def send(idempotency_key: str):
        client = KeyedClient(app.test_client(), key_secret, Role.SELLER, "S-1001")
        start.wait(10)
        return bind(client, token, key=idempotency_key)

    with ThreadPoolExecutor(len(idempotency_keys)) as pool:
        return list(pool.map(send, idempotency_keys))


def test_ten_concurrent_binds_with_one_idempotency_key_create_one_coverage(committing_app, backend):
    add_underwriter(committing_app)
    secret = issue_key(committing_app, Role.SELLER, "S-1001")
    token = offered_token(KeyedClient(committing_app.test_client(), secret, Role.SELLER, "S-1001"))
    responses = race(committing_app, secret, token, ["same-key"] * 10)
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    created = {r.get_json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert counts(committing_app) == (1, 1)


def test_one_token_raced_with_ten_keys_binds_once(committing_app, backend):
    add_underwriter(committing_app)
    secret = issue_key(committing_app, Role.SELLER, "S-1001")
    token = offered_token(KeyedClient(committing_app.test_client(), secret, Role.SELLER, "S-1001"))
    responses = race(committing_app, secret, token, [f"key-{n}" for n in range(10)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9, statuses
    assert {r.get_json()["code"] for r in responses if r.status_code == 409} == {
        "quote_already_bound"
    }
    assert counts(committing_app) == (1, 1)
