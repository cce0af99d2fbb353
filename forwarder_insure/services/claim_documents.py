"""Evidence documents on a claim: stored through the document store, listed on the checklist.

Who may supply what follows the checklist (a seller uploads its invoice, photos and dispute
screenshot; ops attach the carrier's letter and delivery records). A file that is stored but
whose database row does not commit is removed again by the caller's clean-up hook.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

from forwarder_insure.db.models import ClaimDocument
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.claims import (
    ClaimKind,
    ClaimStatus,
    DocumentKind,
    Supplier,
    checklist_item,
    complete,
)
from forwarder_insure.domain.errors import Conflict, Forbidden
from forwarder_insure.domain.ids import new_id
from forwarder_insure.services import claims
from forwarder_insure.storage import DocumentStore

#: Documents are taken while a claim is being worked or waits for its grace documents.
TAKES_DOCUMENTS = frozenset(
    {
        ClaimStatus.DRAFT,
        ClaimStatus.SUBMITTED,
        ClaimStatus.NEEDS_INFO,
        ClaimStatus.APPROVED,
        ClaimStatus.PAYOUT_ADVANCED,
    }
)


def add_document(
    session,
    store: DocumentStore,
    caller: Caller,
    claim_id: str,
    *,
    kind: DocumentKind,
    stream: BinaryIO,
    declared_name: str | None,
    now: datetime,
    on_failure: Callable[[Callable[[], None]], None],
) -> ClaimDocument:
    """Store an uploaded file as evidence of ``kind`` on the claim."""
    claim = claims.get_claim(session, caller, claim_id)
    item = checklist_item(ClaimKind(claim.kind), kind)
    if ClaimStatus(claim.status) not in TAKES_DOCUMENTS:
        raise Conflict(f"a {claim.status} claim takes no more documents", code="claim_closed")
    if caller.is_seller and Supplier.SELLER not in item.suppliers:
        raise Forbidden(
            f"{kind.value} documents are attached by our staff, not by the seller",
            code="document_supplied_by_staff",
        )
    stored = store.put(stream, declared_name=declared_name)
    on_failure(lambda: store.delete(stored.key))
    document = ClaimDocument(
        id=new_id("doc"),
        claim_id=claim.id,
        kind=kind.value,
        status="received",
        storage_key=stored.key,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=caller.actor,
        uploaded_at=now,
    )
    session.add(document)
    session.flush()
    session.refresh(claim, ["documents"])
    claims.log(session, claim, caller, "document_received", f"{kind.value}: {stored.filename}", now)
    received = [DocumentKind(d.kind) for d in claim.documents if d.status == "received"]
    if claim.checklist_complete_at is None and complete(ClaimKind(claim.kind), received):
        claim.checklist_complete_at = now
    return document
