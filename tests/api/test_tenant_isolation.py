"""Tenant isolation, generated from the OpenAPI document: seller B never learns what seller A has.

Seller A gets one of every resource the API names by id (a paid claim with documents on a
coverage, a recovery task, an inquiry on a silent parcel with a carrier letter; plus the shared
things a path may name: an underwriter, a webhook endpoint). Then every operation of every path
with an id parameter is called with seller B's key and A's real ids, and once more with ids
that do not exist:

- the answer to A's ids is 404, exactly the answer for ids that do not exist (the id B sent
  may be echoed; no other id of A's appears);
- or, where a seller may not call the operation at all, it is the same 403 for both (the role
  is checked before anything is looked up);
- or, for the few operations listed in ``CHECKED_BEFORE_LOOKUP``, the same refusal of the body
  for both.

The paths come from the document, so a new endpoint is covered the day it is added; a path
parameter this test cannot fill, or a body it does not know, fails the test until it is taught.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from forwarder_insure.domain.access import Role
from tests.api.test_payouts import paid_claim, run
from tests.api.test_sweep_and_inquiries import sweep
from tests.fixtures.insurance import bound, event, post_events
from tests.storage.test_local_store import png_bytes

SELLER_A = "S-ALPHA"
SELLER_B = "S-BRAVO"
DAY = timedelta(days=1)

#: Operations nobody needs a key for, on purpose; a seller gets the same as anyone.
PUBLIC = {
    ("get", "/api/v1/certificates/{certificate_number}"): (
        "public verification of a certificate number (no key, no seller data)"
    ),
    ("post", "/api/v1/tracking/feeds/{provider}"): (
        "a tracking provider's webhook: the signature is the authentication; it answers counts, "
        "never a seller's data"
    ),
}

#: Path parameters that name no seller's resource, with what they name.
NOT_SELLER_RESOURCES = {"provider": "a tracking provider (easypost, aftership, 17track)"}


def _json(body: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    return lambda: {"json": body}


def _file(**form: str) -> Callable[[], dict[str, Any]]:
    return lambda: {
        "data": {**form, "file": (io.BytesIO(png_bytes(7)), "evidence.png", "image/png")},
        "content_type": "multipart/form-data",
    }


#: Operations that check their body before the lookup: B's answer is the same refusal for A's
#: ids as for ids that name nothing, which is all isolation asks.
CHECKED_BEFORE_LOOKUP = {
    ("post", "/api/v1/claims/{claim_id}/documents/uploaded"): (
        "the signed upload ticket is verified first, and B cannot hold one for A's claim"
    ),
}

MONEY = {"amount": "10.00", "currency": "USD"}
AT = "2026-11-20T10:00:00Z"

#: A valid body for every operation on an id that takes one, so the answer is decided by the
#: lookup and not by validation.
BODIES: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
    ("put", "/api/v1/sellers/{seller_id}"): _json({"name": "Bravo Trading"}),
    ("patch", "/api/v1/coverages/{coverage_id}"): _json({"tracking_number": "BRAVO-0001"}),
    ("post", "/api/v1/inquiries/{inquiry_id}/carrier-response"): _json({"outcome": "found"}),
    ("post", "/api/v1/inquiries/{inquiry_id}/letters"): _file(),
    ("post", "/api/v1/claims/{claim_id}/withdraw"): _json({"reason": "changed my mind"}),
    ("post", "/api/v1/claims/{claim_id}/documents"): _file(kind="value_proof"),
    ("post", "/api/v1/claims/{claim_id}/documents/upload-url"): _json(
        {"kind": "value_proof", "filename": "invoice.pdf", "size": 1000}
    ),
    ("post", "/api/v1/claims/{claim_id}/documents/uploaded"): _json({"upload_token": "x" * 40}),
    ("post", "/api/v1/claims/{claim_id}/documents/{document_id}/reject"): _json(
        {"reason": "unreadable"}
    ),
    ("post", "/api/v1/claims/{claim_id}/request-documents"): _json({"kinds": ["value_proof"]}),
    ("post", "/api/v1/claims/{claim_id}/approve"): _json({"amount": MONEY}),
    ("post", "/api/v1/claims/{claim_id}/deny"): _json({"reason": "not covered"}),
    ("post", "/api/v1/claims/{claim_id}/insurer-acceptance"): _json(
        {"insurer_reference": "INS-1", "accepted_at": AT}
    ),
    ("post", "/api/v1/claims/{claim_id}/insurer-settlement"): _json(
        {"amount": MONEY, "paid_at": AT}
    ),
    ("post", "/api/v1/claims/{claim_id}/insurer-rejection"): _json({"reason": "excluded"}),
    ("post", "/api/v1/claims/{claim_id}/carrier-recovery"): _json({"amount": MONEY, "paid_at": AT}),
    ("post", "/api/v1/recovery-tasks/{task_id}/close"): _json({"note": "done"}),
    ("patch", "/api/v1/underwriters/{underwriter_id}"): _json({"name": "Other Underwriter"}),
}


@pytest.fixture
def world(app, as_role, underwriter, clock) -> dict[str, str]:
    """Seller A's resources, one of each kind a path can name, made through the real API and
    jobs; values are path parameter → A's real id."""
    seller = as_role(Role.SELLER, SELLER_A)
    handler, admin = as_role(Role.HANDLER), as_role(Role.ADMIN)
    claim = paid_claim(seller, handler, clock, "ISO-A1")
    # The paid parcel turns up: the payout job opens a recovery task on A's claim.
    post_events(as_role(Role.TRACKING), event("iso-d1", "ISO-A1", AT, "delivered"))
    run(app, "advance-payouts", clock.now() + DAY)
    [task] = handler.get("/api/v1/recovery-tasks?status=open").get_json()["items"]
    # A parcel that stays silent: the sweep opens an inquiry, ops attach the carrier's letter.
    silent = bound(seller, "ISO-A2")
    sweep(app, clock, 30)
    [inquiry] = [
        i
        for i in handler.get("/api/v1/inquiries").get_json()["items"]
        if i["coverage_id"] == silent["id"]
    ]
    letter = handler.post(f"/api/v1/inquiries/{inquiry['id']}/letters", **_file()())
    assert letter.status_code == 201, letter.get_json()
    endpoint = admin.post(
        "/api/v1/webhook-endpoints",
        json={"url": "https://93.184.216.34/hooks", "events": ["claim.*"]},
    )
    assert endpoint.status_code == 201, endpoint.get_json()
    return {
        "seller_id": SELLER_A,
        "coverage_id": claim["coverage_id"],
        "certificate_number": silent["certificate_number"],
        "claim_id": claim["id"],
        "document_id": claim["documents"][0]["id"],
        "inquiry_id": inquiry["id"],
        "letter_id": letter.get_json()["id"],
        "task_id": task["id"],
        "endpoint_id": endpoint.get_json()["id"],
        "underwriter_id": underwriter,
    }


def nowhere(real_id: str) -> str:
    """An id of the same shape as ``real_id`` that names nothing."""
    prefix, sep, rest = real_id.partition("_")
    return f"{prefix}{sep}{'0' * len(rest)}" if sep else "S-NOBODY"


def test_seller_b_learns_nothing_about_seller_as_resources_on_any_id_path(app, as_role, world):
    other = as_role(Role.SELLER, SELLER_B)
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    a_ids = [value for name, value in world.items() if name != "underwriter_id"]
    problems: list[str] = []
    checked = 0
    for path, item in document["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if not names:
            continue
        unknown = [n for n in names if n not in world and n not in NOT_SELLER_RESOURCES]
        assert not unknown, f"{path}: teach this test a resource of seller A for {unknown}"
        for method, operation in item.items():
            if method == "parameters":
                continue
            if operation.get("security") == []:
                assert (method, path) in PUBLIC, f"{method.upper()} {path} is public: say why"
                continue
            if "requestBody" in operation:
                assert (method, path) in BODIES, f"{method.upper()} {path}: add a valid body"
            body = BODIES.get((method, path), lambda: {})

            def call(ids: dict[str, str], method=method, path=path, body=body):
                url = path.format(**ids)
                return other.open(method.upper(), url, headers={"Idempotency-Key": "k"}, **body())

            probe = {name: nowhere(value) for name, value in world.items()}
            theirs, missing = call(world), call(probe)
            label = f"{method.upper()} {path}"
            checked += 1
            # What B reads for A's ids must be what it reads for ids that name nothing (the
            # id B itself sent may be echoed back; that tells B nothing).
            expected = missing.get_data().decode(errors="replace")
            for name, value in probe.items():
                expected = expected.replace(value, world[name])
            answer = theirs.get_data().decode(errors="replace")
            allowed = {404, 403} | ({422} if (method, path) in CHECKED_BEFORE_LOOKUP else set())
            if theirs.status_code != missing.status_code or answer != expected:
                problems.append(
                    f"{label}: {theirs.status_code} {answer[:160]} for A's ids, but "
                    f"{missing.status_code} {expected[:160]} for ids that name nothing"
                )
            elif theirs.status_code not in allowed:
                problems.append(f"{label}: {theirs.status_code} {answer[:200]}")
            sent = {world[name] for name in names}
            leaked = [value for value in a_ids if value in answer and value not in sent]
            if leaked:
                problems.append(f"{label}: the answer names A's {leaked}")
    assert checked > 30
    assert not problems, "\n".join(problems)
