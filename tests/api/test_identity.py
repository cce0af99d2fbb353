"""API keys: hashed at rest, scoped by role, and a seller sees only itself."""

from __future__ import annotations

from sqlalchemy import select

from forwarder_insure.db.models import ApiKey, Seller
from forwarder_insure.domain.access import Role
from forwarder_insure.services.credentials import revoke_api_key


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
