"""API keys: hashed at rest, scoped by role, and a seller sees only itself."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from forwarder_insure.db.models import ApiKey, Seller
from forwarder_insure.domain.access import Role
from forwarder_insure.services.credentials import key_prefix, revoke_api_key
from tests.fixtures.app import KeyedClient, build_app, issue_key
from tests.fixtures.insurance import add_underwriter, package

QUOTE = {"packages": [package()]}


def test_me_reports_role_seller_and_key_prefix(as_role):
    seller = as_role(Role.SELLER, "S-1001")
    body = seller.get("/api/v1/me").get_json()
    assert body["role"] == "seller"
    assert body["seller_id"] == "S-1001"
    assert seller.key.startswith(body["key_prefix"] + "_")


def test_keys_are_stored_hashed_with_only_the_prefix_in_clear(app, as_role):
    seller = as_role(Role.SELLER, "S-1001")
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        rows = session.execute(select(ApiKey)).scalars().all()
        stored = [(r.prefix, r.secret_hash) for r in rows]
    assert stored
    assert all(seller.key not in (prefix, digest) for prefix, digest in stored)
    assert any(seller.key.startswith(prefix) for prefix, _ in stored)


def test_a_revoked_key_no_longer_works(app, as_role, clock):
    handler = as_role(Role.HANDLER)
    assert handler.get("/api/v1/me").status_code == 200
    prefix = handler.get("/api/v1/me").get_json()["key_prefix"]
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        assert revoke_api_key(session, prefix, clock.now())
    assert handler.get("/api/v1/me").status_code == 401


def test_seller_reading_another_seller_gets_404_not_403(as_role):
    as_role(Role.SELLER, "S-2002")  # makes S-2002 exist
    seller = as_role(Role.SELLER, "S-1001")
    response = seller.get("/api/v1/sellers/S-2002")
    assert response.status_code == 404
    assert seller.get("/api/v1/sellers/S-1001").status_code == 200


def test_warehouse_and_staff_read_any_seller(as_role):
    as_role(Role.SELLER, "S-2002")
    for role in (Role.WAREHOUSE, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN):
        assert as_role(role).get("/api/v1/sellers/S-2002").status_code == 200, role


def test_sellers_are_created_on_first_reference(app, as_role):
    warehouse = as_role(Role.WAREHOUSE)
    assert warehouse.get("/api/v1/sellers/S-3003").status_code == 404
    response = warehouse.put("/api/v1/sellers/S-3003", json={"name": "Acme Trading"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "Acme Trading"
    assert response.get_json()["created_at"].endswith("Z")
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        assert session.get(Seller, "S-3003").name == "Acme Trading"


def test_a_seller_may_not_rename_itself(as_role):
    seller = as_role(Role.SELLER, "S-1001")
    assert seller.put("/api/v1/sellers/S-1001", json={"name": "X"}).status_code == 403


def test_health_and_docs_need_no_key(app):
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.get_json()["openapi"].startswith("3.")
    assert client.get("/api/v1/docs").status_code == 200


@pytest.fixture
def caching_app(settings, clock, database):
    """The app with the production default: valid keys cached for 30 seconds per process."""
    return build_app(settings.with_overrides(api_key_cache_seconds=30.0), clock, database)


def revoke(app, key: str) -> None:
    """Revoke as the CLI does: through the service, in its own unit of work."""
    runtime = app.extensions["forwarder_insure"]
    with runtime.database.unit_of_work() as session:
        assert revoke_api_key(session, key_prefix(key), runtime.clock.now())


def test_a_revoked_key_cannot_write_even_while_a_read_has_it_cached(caching_app, clock):
    warehouse = KeyedClient(
        caching_app.test_client(), issue_key(caching_app, Role.WAREHOUSE), Role.WAREHOUSE, None
    )
    assert warehouse.get("/api/v1/me").status_code == 200  # now in this process's cache
    revoke(caching_app, warehouse.key)
    write = warehouse.post("/api/v1/coverages", json={}, headers={"Idempotency-Key": "k-1"})
    assert write.status_code == 401
    assert write.get_json()["code"] == "invalid_api_key"
    events = warehouse.post("/api/v1/tracking/events", json={"events": []})
    assert events.status_code == 401
    assert warehouse.get("/api/v1/me").status_code == 401  # the refused write evicted it


def test_reads_and_quotes_may_use_a_cached_key_for_its_time(caching_app, clock):
    seller = KeyedClient(
        caching_app.test_client(),
        issue_key(caching_app, Role.SELLER, "S-1001"),
        Role.SELLER,
        "S-1001",
    )
    assert seller.get("/api/v1/me").status_code == 200
    revoke(caching_app, seller.key)
    # Reading and quoting change nothing: they trust the cache for up to 30 seconds.
    assert seller.get("/api/v1/me").status_code == 200
    assert seller.post("/api/v1/quotes", json=QUOTE).status_code == 200
    clock.advance(seconds=30)
    assert seller.get("/api/v1/me").status_code == 401
    assert seller.post("/api/v1/quotes", json=QUOTE).status_code == 401


def test_a_quote_with_a_cached_key_runs_no_query(caching_app, clock):
    add_underwriter(caching_app)
    seller = KeyedClient(
        caching_app.test_client(),
        issue_key(caching_app, Role.SELLER, "S-1001"),
        Role.SELLER,
        "S-1001",
    )
    assert seller.post("/api/v1/quotes", json=QUOTE).status_code == 200  # caches the key
    statements = []
    engine = caching_app.extensions["forwarder_insure"].database.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert seller.post("/api/v1/quotes", json=QUOTE).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements == []
