"""Evidence documents on a claim: stored through the document store, listed on the checklist.

Who may supply what follows the checklist (a seller uploads its invoice, photos and dispute
screenshot; ops attach the carrier's letter and delivery records). Every way a document arrives
(an upload, a direct upload to S3, a record we generate, a letter attached to the inquiry) ends
in :func:`record`, which keeps the checklist and the screening in step with the evidence. A file
that is stored but whose database row does not commit is removed again by the caller's clean-up
hook.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import IO

from sqlalchemy.orm import Session

from forwarder_insure.db.models import Claim, ClaimDocument
from forwarder_insure.domain.access import SYSTEM, Caller
from forwarder_insure.domain.claim_rules import ClaimRules
from forwarder_insure.domain.claims import (
    TAKES_DOCUMENTS,
    ChecklistItem,
    ClaimKind,
    ClaimStatus,
    DocumentKind,
    DocumentSource,
    DocumentStatus,
    Supplier,
    checklist_item,
    complete,
)
from forwarder_insure.domain.errors import Conflict, Forbidden, NotFound
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.permissions import Action, check
from forwarder_insure.services.claim_screening import rescreen
from forwarder_insure.services.claim_timeline import log
from forwarder_insure.services.payouts import advance_if_payable
from forwarder_insure.services.scope import get_visible, lock_visible
from forwarder_insure.storage import DocumentStore, StoredDocument

#: Registers a clean-up to run if the request or job that stored a file does not commit.
OnFailure = Callable[[Callable[[], None]], None]


def claim_taking(session: Session, caller: Caller, claim_id: str, kind: DocumentKind) -> Claim:
    """The claim, if it takes a ``kind`` document from ``caller`` now; refused before any byte
    is stored (404 unseen, 422 wrong kind, 409 closed, 403 a document only staff supply)."""
    check(caller, Action.UPLOAD_DOCUMENT)
    claim = lock_visible(session, Claim, claim_id, caller, "claim")
    item = checklist_item(ClaimKind(claim.kind), kind)
    check_open(claim)
    check_supplier(item, caller)
    return claim


def check_open(claim: Claim) -> None:
    if ClaimStatus(claim.status) not in TAKES_DOCUMENTS:
        raise Conflict(f"a {claim.status} claim takes no more documents", code="claim_closed")


def check_supplier(item: ChecklistItem, caller: Caller) -> None:
    if caller.is_seller and Supplier.SELLER not in item.suppliers:
        raise Forbidden(
            f"{item.kind.value} documents are attached by our staff, not by the seller",
            code="document_supplied_by_staff",
        )


def add_document(
    session: Session,
    store: DocumentStore,
    caller: Caller,
    claim_id: str,
    *,
    kind: DocumentKind,
    stream: IO[bytes],
    declared_name: str | None,
    rules: ClaimRules,
    now: datetime,
    on_failure: OnFailure,
) -> ClaimDocument:
    """Store an uploaded file as evidence of ``kind`` on the claim."""
    claim = claim_taking(session, caller, claim_id, kind)
    stored = store.put(stream, declared_name=declared_name)
    on_failure(lambda: store.delete(stored.key))
    return record(session, claim, kind, stored, caller, rules, now, DocumentSource.UPLOAD)


def record(
    session: Session,
    claim: Claim,
    kind: DocumentKind,
    stored: StoredDocument,
    actor: Caller,
    rules: ClaimRules,
    now: datetime,
    source: DocumentSource,
) -> ClaimDocument:
    """Add a stored file to the claim's evidence: timeline, checklist and screening follow."""
    document = ClaimDocument(
        id=new_id("doc"),
        claim_id=claim.id,
        kind=kind.value,
        status=DocumentStatus.RECEIVED,
        source=source.value,
        storage_key=stored.key,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=actor.actor,
        uploaded_at=now,
    )
    session.add(document)
    session.flush()
    session.refresh(claim, ["documents"])
    log(session, claim, actor, "document_received", f"{kind.value}: {stored.filename}", now)
    _note_checklist(claim, now)
    rescreen(session, claim, rules, now)
    advance_if_payable(session, claim, SYSTEM, now)  # the last document of an approved claim
    return document


def reject_document(
    session: Session,
    caller: Caller,
    claim_id: str,
    document_id: str,
    reason: str,
    rules: ClaimRules,
    now: datetime,
) -> Claim:
    """Refuse a document (unreadable, wrong parcel, altered): its checklist item is missing again
    unless another document of that kind was received."""
    check(caller, Action.REJECT_DOCUMENT)
    claim = lock_visible(session, Claim, claim_id, caller, "claim")
    document = get_document(session, caller, claim_id, document_id)
    check_open(claim)
    if document.status == DocumentStatus.REJECTED:
        raise Conflict("the document was already rejected", code="document_already_rejected")
    document.status = DocumentStatus.REJECTED
    document.rejected_at = now
    document.rejected_by = caller.actor
    document.rejection_reason = reason
    session.flush()
    log(session, claim, caller, "document_rejected", f"{document.kind}: {reason}", now)
    _note_checklist(claim, now)
    rescreen(session, claim, rules, now)
    return claim


def get_document(
    session: Session, caller: Caller, claim_id: str, document_id: str
) -> ClaimDocument:
    """One of the claim's documents, if the caller may see the claim (404 otherwise)."""
    check(caller, Action.READ_CLAIM)
    claim = get_visible(session, Claim, claim_id, caller, "claim")
    document = session.get(ClaimDocument, document_id)
    if document is None or document.claim_id != claim.id:
        raise NotFound(f"claim {claim_id} has no document {document_id}", code="document_not_found")
    return document


def received_kinds(claim: Claim) -> list[DocumentKind]:
    return [DocumentKind(d.kind) for d in claim.documents if d.status == DocumentStatus.RECEIVED]


def _note_checklist(claim: Claim, now: datetime) -> None:
    """Keep ``checklist_complete_at`` true: set when the last document arrives, cleared when a
    rejection reopens the checklist (the decision SLA then runs from the next completion)."""
    is_complete = complete(ClaimKind(claim.kind), received_kinds(claim))
    if is_complete and claim.checklist_complete_at is None:
        claim.checklist_complete_at = now
    elif not is_complete:
        claim.checklist_complete_at = None
