"""Large evidence files sent straight to S3 (moto's server over HTTP), counted only once checked."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from forwarder_insure.domain.access import Role
from tests.api.test_claim_documents import file_claim
from tests.fixtures.app import KeyedClient, build_app, issue_key
from tests.fixtures.insurance import add_underwriter, bound
from tests.fixtures.s3 import BUCKET
from tests.storage.test_local_store import pdf_bytes
from tests.storage.test_s3_store import post_form


@pytest.fixture
def s3_app(settings, clock, database, endpoint_url):
    app = build_app(
        settings.with_overrides(
            storage_url=f"s3://{BUCKET}/app-{uuid.uuid4().hex}",
            s3_endpoint_url=endpoint_url,
            max_upload_bytes=64 * 1024,
        ),
        clock,
        database,
    )
    add_underwriter(app)
    yield app
    app.extensions["forwarder_insure"].documents.close()


def client(app, role: Role, seller_id: str | None = None) -> KeyedClient:
    if role is Role.SELLER:
        seller_id = seller_id or "S-1001"
    return KeyedClient(app.test_client(), issue_key(app, role, seller_id), role, seller_id)


def ask(seller: KeyedClient, claim_id: str, size: int, kind: str = "value_proof"):
    return seller.post(
        f"/api/v1/claims/{claim_id}/documents/upload-url",
        json={"kind": kind, "filename": "invoice.pdf", "size": size},
    )


def complete(seller: KeyedClient, claim_id: str, token: str):
    return seller.post(
        f"/api/v1/claims/{claim_id}/documents/uploaded", json={"upload_token": token}
    )


def test_a_direct_upload_counts_once_its_bytes_are_checked(s3_app):
    seller = client(s3_app, Role.SELLER)
    claim = file_claim(seller, bound(seller, "S3-1")["id"])
    invoice = pdf_bytes()
    form = ask(seller, claim["id"], len(invoice))
    assert form.status_code == 200, form.get_json()
    body = form.get_json()
    policy = json.loads(base64.b64decode(body["fields"]["policy"]))
    assert ["content-length-range", 1, len(invoice)] in policy["conditions"]
    assert post_form(body["url"], body["fields"], invoice) in (200, 201, 204)

    checklist = seller.get(f"/api/v1/claims/{claim['id']}").get_json()["checklist"]
    assert next(c for c in checklist if c["kind"] == "value_proof")["status"] == "missing"

    done = complete(seller, claim["id"], body["upload_token"])
    assert done.status_code == 201, done.get_json()
    document = done.get_json()
    assert (document["content_type"], document["size"]) == ("application/pdf", len(invoice))
    assert document["filename"] == "invoice.pdf"
    downloaded = seller.get(f"/api/v1/claims/{claim['id']}/documents/{document['id']}")
    assert downloaded.data == invoice

    again = complete(seller, claim["id"], body["upload_token"])  # the upload was moved away
    assert again.status_code == 404
    assert again.get_json()["code"] == "upload_not_found"


def test_an_upload_ticket_works_only_for_its_user_and_claim(s3_app):
    seller = client(s3_app, Role.SELLER)
    claim = file_claim(seller, bound(seller, "S3-2")["id"])
    other_claim = file_claim(seller, bound(seller, "S3-3")["id"])
    body = ask(seller, claim["id"], 2000).get_json()

    stranger = client(s3_app, Role.SELLER)  # same seller, another key: another user
    refused = complete(stranger, claim["id"], body["upload_token"])
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "upload_ticket_invalid"
    assert complete(seller, other_claim["id"], body["upload_token"]).status_code == 422
    forged = complete(seller, claim["id"], body["upload_token"][:-2] + "xx")
    assert forged.get_json()["code"] == "upload_ticket_invalid"
    other_seller = client(s3_app, Role.SELLER, "S-2002")
    assert ask(other_seller, claim["id"], 2000).status_code == 404


def test_a_direct_upload_that_is_not_a_document_is_refused_and_removed(s3_app):
    seller = client(s3_app, Role.SELLER)
    claim = file_claim(seller, bound(seller, "S3-4")["id"])
    executable = b"MZ\x90\x00" + bytes(500)
    body = ask(seller, claim["id"], len(executable)).get_json()
    post_form(body["url"], body["fields"], executable)
    refused = complete(seller, claim["id"], body["upload_token"])
    assert refused.status_code == 415
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert complete(seller, claim["id"], body["upload_token"]).status_code == 404  # deleted
    claim_now = seller.get(f"/api/v1/claims/{claim['id']}").get_json()
    assert [d["kind"] for d in claim_now["documents"]] == ["delivery_record"]


def test_an_oversized_or_misdirected_request_gets_no_form(s3_app, app):
    seller = client(s3_app, Role.SELLER)
    claim = file_claim(seller, bound(seller, "S3-5")["id"])
    too_big = ask(seller, claim["id"], 64 * 1024 + 1)
    assert too_big.status_code == 413
    assert ask(seller, claim["id"], 0).status_code == 422
    staff_only = ask(seller, claim["id"], 100, kind="carrier_loss_letter")
    assert staff_only.status_code == 403

    local_seller = client(app, Role.SELLER)  # the default app stores files locally
    add_underwriter(app)
    local_claim = file_claim(local_seller, bound(local_seller, "S3-6")["id"])
    local = ask(local_seller, local_claim["id"], 100)
    assert local.status_code == 409
    assert local.get_json()["code"] == "presigned_upload_unsupported"
