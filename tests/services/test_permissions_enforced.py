"""The services check the permission table themselves (``domain/permissions.check``), before
they read a row: a caller the table refuses gets ``role_not_allowed`` from the use case even
when no HTTP decorator stood in front of it (a job, the CLI, a new adapter)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from forwarder_insure.domain.access import Caller, Role
from forwarder_insure.domain.errors import Forbidden
from forwarder_insure.domain.money import Money
from forwarder_insure.services import (
    claim_documents,
    claims,
    coverages,
    inquiries,
    insurer,
    payouts,
    recovery_tasks,
)

SELLER = Caller(role=Role.SELLER, actor="key:seller", seller_id="sel_1")
WAREHOUSE = Caller(role=Role.WAREHOUSE, actor="key:warehouse")
TRACKING = Caller(role=Role.TRACKING, actor="key:tracking")
USD = Money.of("10.00", "USD")
NO_RULES: Any = None  # never reached: the role check comes first

Step = Callable[[Any, Any], Any]

REFUSED: dict[str, tuple[Caller, Step]] = {
    "a warehouse approves": (
        WAREHOUSE,
        lambda s, now: claims.approve(s, WAREHOUSE, "clm_x", USD, None, NO_RULES, now),
    ),
    "a seller denies": (SELLER, lambda s, now: claims.deny(s, SELLER, "clm_x", "no", now)),
    "a seller asks for documents": (
        SELLER,
        lambda s, now: claims.request_documents(s, SELLER, "clm_x", [], None, now),
    ),
    "a tracking feed files a claim": (
        TRACKING,
        lambda s, now: claims.file_claim(
            s,
            TRACKING,
            coverage_id="cov_x",
            kind=None,
            amount=USD,
            description=None,
            store=None,
            rules=NO_RULES,
            now=now,
            on_failure=None,
        ),
    ),
    "a warehouse reads a claim": (WAREHOUSE, lambda s, now: claims.get_claim(s, WAREHOUSE, "c")),
    "a seller rejects a document": (
        SELLER,
        lambda s, now: claim_documents.reject_document(
            s, SELLER, "clm_x", "doc_x", "bad", NO_RULES, now
        ),
    ),
    "a tracking feed voids a coverage": (
        TRACKING,
        lambda s, now: coverages.void(s, TRACKING, "cov_x", now),
    ),
    "a seller records a carrier answer": (
        SELLER,
        lambda s, now: inquiries.record_carrier_response(
            s, SELLER, "inq_x", outcome="found", carrier_reference=None, note=None, now=now
        ),
    ),
    "a seller records a settlement": (
        SELLER,
        lambda s, now: insurer.settle(s, SELLER, "clm_x", amount=USD, paid_at=now, now=now),
    ),
    "a seller lists payouts": (
        SELLER,
        lambda s, now: payouts.list_query(SELLER, status=None, awaiting_insurer=None),
    ),
    "a warehouse closes a recovery task": (
        WAREHOUSE,
        lambda s, now: recovery_tasks.close(s, WAREHOUSE, "rct_x", "done", now),
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_use_case_refuses_a_role_the_table_refuses(case, database, clock):
    caller, step = REFUSED[case]
    with pytest.raises(Forbidden) as refused, database.unit_of_work() as session:
        step(session, clock.now())
    assert refused.value.code == "role_not_allowed"
    assert refused.value.detail == f"The {caller.role.value} role may not do this."
