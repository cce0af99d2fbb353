"""What staff do to a claim, as the HTTP side calls it: the data its schema loaded in, the
service called with the request's session, rules and instant, the claim out.

The API's endpoints and the console's forms both run these, so each step is wired to its
service once (a new argument, a rule read from the runtime, lands in both at the same time).
"""

from __future__ import annotations

from typing import Any

from blueprints.request_scope import db_session, request_now, runtime
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.claims import DocumentKind
from forwarder_insure.services import claim_documents, claims, insurer

Data = dict[str, Any]
#: The claim row a step answers with (``ClaimSchema`` reads it); views need nothing more of it.
ClaimRow = Any


def request_documents(caller: Caller, claim_id: str, data: Data) -> ClaimRow:
    kinds = [DocumentKind(k) for k in data["kinds"]]
    return claims.request_documents(
        db_session(), caller, claim_id, kinds, data["note"], request_now()
    )


def approve(caller: Caller, claim_id: str, data: Data) -> ClaimRow:
    return claims.approve(
        db_session(), caller, claim_id, data["amount"], data["note"], runtime().claim_rules,
        request_now(),
    )  # fmt: skip


def deny(caller: Caller, claim_id: str, data: Data) -> ClaimRow:
    return claims.deny(db_session(), caller, claim_id, data["reason"], request_now())


def reject_document(caller: Caller, claim_id: str, document_id: str, data: Data) -> ClaimRow:
    return claim_documents.reject_document(
        db_session(), caller, claim_id, document_id, data["reason"], runtime().claim_rules,
        request_now(),
    )  # fmt: skip


def file_with_insurer(caller: Caller, claim_id: str, data: Data | None = None) -> ClaimRow:
    return insurer.file_with_insurer(db_session(), caller, claim_id, request_now())


def accept(caller: Caller, claim_id: str, data: Data) -> ClaimRow:
    return insurer.accept(
        db_session(), caller, claim_id, insurer_reference=data["insurer_reference"],
        accepted_at=data["accepted_at"], rules=runtime().claim_rules, now=request_now(),
    )  # fmt: skip


def settle(caller: Caller, claim_id: str, data: Data) -> ClaimRow:
    return insurer.settle(
        db_session(), caller, claim_id, amount=data["amount"], paid_at=data["paid_at"],
        now=request_now(),
    )  # fmt: skip


def reject(caller: Caller, claim_id: str, data: Data) -> ClaimRow:
    return insurer.reject(
        db_session(), caller, claim_id, reason=data["reason"], rules=runtime().claim_rules,
        now=request_now(),
    )  # fmt: skip


def recover_from_carrier(caller: Caller, claim_id: str, data: Data) -> ClaimRow:
    return insurer.recover_from_carrier(
        db_session(), caller, claim_id, amount=data["amount"], paid_at=data["paid_at"],
        now=request_now(),
    )  # fmt: skip
