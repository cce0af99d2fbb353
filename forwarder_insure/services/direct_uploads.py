"""Large evidence files sent by the browser straight to S3, then checked before they count.

``upload-url`` hands out a presigned POST (S3 refuses anything outside 1..declared size bytes)
together with a signed *upload ticket* naming the claim, the document kind, the object key and
the user it was issued to. Completing the upload presents the ticket: the object's bytes are
sniffed, sized and hashed exactly like a multipart upload before the document is recorded. The
store cannot tell who uploaded an object, so the ticket is what stops one user adopting
another's upload; a ticket is single-use because adoption moves the object away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import Session

from forwarder_insure.db.models import ClaimDocument
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.claim_rules import ClaimRules
from forwarder_insure.domain.claims import DocumentKind, DocumentSource
from forwarder_insure.domain.clock import ensure_utc
from forwarder_insure.domain.errors import Invalid
from forwarder_insure.services import claim_documents
from forwarder_insure.services.claim_documents import OnFailure
from forwarder_insure.storage import DocumentStore, TooLarge

SALT = "forwarder-insure.direct-upload.v1"
#: How long after issue an upload may be completed (the S3 form itself expires sooner).
TICKET_LIFETIME = timedelta(hours=24)

_EXTENSION_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".heic": "image/heic",
}


@dataclass(frozen=True)
class UploadTicket:
    claim_id: str
    kind: DocumentKind
    key: str
    filename: str
    actor: str
    expires_at: datetime


class UploadTickets:
    """Signs and reads upload tickets with the app's secret key."""

    def __init__(self, secret_key: str):
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)

    def issue(self, ticket: UploadTicket) -> str:
        return self._serializer.dumps(
            {
                "claim": ticket.claim_id,
                "kind": ticket.kind.value,
                "key": ticket.key,
                "name": ticket.filename,
                "actor": ticket.actor,
                "exp": ticket.expires_at.isoformat(),
            }
        )

    def read(self, token: str, *, claim_id: str, caller: Caller, now: datetime) -> UploadTicket:
        """The ticket, if it is genuine, unexpired, for this claim and issued to this caller."""
        try:
            data = self._serializer.loads(token)
            ticket = UploadTicket(
                claim_id=data["claim"],
                kind=DocumentKind(data["kind"]),
                key=data["key"],
                filename=data["name"],
                actor=data["actor"],
                expires_at=ensure_utc(datetime.fromisoformat(data["exp"])),
            )
        except (BadData, KeyError, TypeError, ValueError):
            raise Invalid("the upload ticket is not valid", code="upload_ticket_invalid") from None
        if ticket.claim_id != claim_id or ticket.actor != caller.actor:
            raise Invalid(
                "the upload ticket was issued for another claim or user",
                code="upload_ticket_invalid",
            )
        if now >= ticket.expires_at:
            raise Invalid("the upload ticket has expired; ask for a new one", code="upload_expired")
        return ticket


def upload_form(
    session: Session,
    store: DocumentStore,
    tickets: UploadTickets,
    caller: Caller,
    claim_id: str,
    *,
    kind: DocumentKind,
    filename: str,
    size: int,
    now: datetime,
) -> dict[str, Any]:
    """A presigned POST for one file of at most ``size`` bytes, and the ticket to complete it."""
    claim_documents.claim_taking(session, caller, claim_id, kind)
    if size > store.max_bytes:
        raise TooLarge(
            f"the document is larger than the limit of {store.max_bytes} bytes",
            max_bytes=store.max_bytes,
        )
    suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
    form = store.presigned_post(max_bytes=size, content_type_hint=_EXTENSION_TYPES.get(suffix))
    ticket = UploadTicket(
        claim_id=claim_id,
        kind=kind,
        key=form["key"],
        filename=filename,
        actor=caller.actor,
        expires_at=now + TICKET_LIFETIME,
    )
    return {
        "url": form["url"],
        "fields": form["fields"],
        "expires_in": form["expires_in"],
        "max_bytes": size,
        "upload_token": tickets.issue(ticket),
    }


def complete_upload(
    session: Session,
    store: DocumentStore,
    tickets: UploadTickets,
    caller: Caller,
    claim_id: str,
    token: str,
    *,
    rules: ClaimRules,
    now: datetime,
    on_failure: OnFailure,
) -> ClaimDocument:
    """Check the uploaded object like any upload and record it as evidence on the claim."""
    ticket = tickets.read(token, claim_id=claim_id, caller=caller, now=now)
    claim = claim_documents.claim_taking(session, caller, claim_id, ticket.kind)
    stored = store.adopt_uploaded(
        ticket.key, max_bytes=store.max_bytes, declared_name=ticket.filename
    )
    on_failure(lambda: store.delete(stored.key))
    return claim_documents.record(
        session, claim, ticket.kind, stored, caller, rules, now, DocumentSource.UPLOAD
    )
