"""What staff do to a claim from its page: the same steps (``blueprints.claim_steps``), schemas
and permission table actions as the API's claim and insurer endpoints, one form each.

Each form posts here; :func:`~blueprints.console.base.perform` turns the service's answer into a
flashed message and a redirect back to the claim, or its refusal into the claim page again with
the reason and the typed values, at the API's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request, url_for
from werkzeug.wrappers import Response as Redirect

from blueprints import claim_steps
from blueprints.claims import (
    ApproveSchema,
    DenySchema,
    DocumentFileSchema,
    DocumentFormSchema,
    RejectDocumentSchema,
    RequestDocumentsSchema,
    add_upload,
)
from blueprints.console.base import (
    blp,
    form_fields,
    form_instant,
    form_money,
    load_form,
    perform,
    requires,
    staff_caller,
)
from blueprints.console.claims import CLAIM_FORMS, render_claim
from blueprints.insurer import AcceptanceSchema, PaymentSchema, RejectionSchema
from blueprints.request_scope import db_session
from forwarder_insure.services import claims

Form = Redirect | tuple[str, int]


def _on_claim(claim_id: str, form: str, action: Callable[[], str]) -> Form:
    return perform(
        action,
        done=url_for("console.claim_page", claim_id=claim_id),
        redisplay=lambda reason: render_claim(claim_id, error=reason, failed=form),
    )


def _currency(claim_id: str) -> str:
    """The claim's currency: amounts are typed in it (the form shows it beside the field)."""
    return claims.get_claim(db_session(), staff_caller(), claim_id).currency


def _claim_form(path: str, form: str) -> Callable[[Callable[[str], str]], Callable[[str], Form]]:
    """Register ``POST /ops/claims/<id>/<path>`` for one claim action returning its message."""

    def decorate(action: Callable[[str], str]) -> Callable[[str], Form]:
        def view(claim_id: str) -> Form:
            return _on_claim(claim_id, form, lambda: action(claim_id))

        view.__name__ = view.__qualname__ = f"claim_{form}"
        view.__doc__ = action.__doc__
        blp.post(f"/claims/<string:claim_id>/{path}")(requires(CLAIM_FORMS[form])(view))
        return view

    return decorate


@_claim_form("request-documents", "request_documents")
def request_documents(claim_id: str) -> str:
    """Ask the seller for more documents (the claim waits in needs_info)."""
    kinds = request.form.getlist("kinds")
    data = load_form(RequestDocumentsSchema, {"kinds": kinds, **form_fields("note")})
    claim_steps.request_documents(staff_caller(), claim_id, data)
    return "Asked the seller for: " + ", ".join(k.replace("_", " ") for k in data["kinds"]) + "."


@_claim_form("approve", "approve")
def approve(claim_id: str) -> str:
    """Approve an amount; above the four-eyes limit only a supervisor may (403 otherwise)."""
    data = load_form(
        ApproveSchema, {**form_money("amount", _currency(claim_id)), **form_fields("note")}
    )
    claim = claim_steps.approve(staff_caller(), claim_id, data)
    return f"Approved {data['amount']}." + _paid(claim)


def _paid(claim: Any) -> str:
    payout = claim.payout
    return f" Payout {payout.id} of {payout.amount} advanced to the seller." if payout else ""


@_claim_form("deny", "deny")
def deny(claim_id: str) -> str:
    """Deny with a reason the seller will read."""
    data = load_form(DenySchema, form_fields("reason"))
    claim_steps.deny(staff_caller(), claim_id, data)
    return "Denied; the seller is told why."


@blp.post("/claims/<string:claim_id>/documents/<string:document_id>/reject")
@requires(CLAIM_FORMS["reject_document"])
def reject_document(claim_id: str, document_id: str) -> Form:
    """Reject a document with a reason; its checklist item is missing again."""

    def action() -> str:
        data = load_form(RejectDocumentSchema, form_fields("reason"))
        claim_steps.reject_document(staff_caller(), claim_id, document_id, data)
        return "Document rejected; the seller is asked for it again."

    return _on_claim(claim_id, f"reject_{document_id}", action)


@_claim_form("documents", "attach_document")
def attach_document(claim_id: str) -> str:
    """Attach a document as ops (the hand-over proof of a parcel never scanned, a letter...)."""
    kind = load_form(DocumentFormSchema, form_fields("kind"))["kind"]
    upload = load_form(DocumentFileSchema, request.files.to_dict())["file"]
    document = add_upload(staff_caller(), claim_id, kind, upload)
    return f"Attached {document.filename} as {kind.replace('_', ' ')} ({document.content_type})."


@_claim_form("insurer-filing", "insurer_filing")
def insurer_filing(claim_id: str) -> str:
    """Record that the evidence pack went to the underwriter."""
    claim_steps.file_with_insurer(staff_caller(), claim_id)
    return "Recorded as filed with the underwriter."


@_claim_form("insurer-acceptance", "insurer_accept")
def insurer_acceptance(claim_id: str) -> str:
    """The underwriter accepted: settlement falls due in its working days."""
    data = load_form(
        AcceptanceSchema, {**form_fields("insurer_reference"), **form_instant("accepted_at")}
    )
    claim = claim_steps.accept(staff_caller(), claim_id, data)
    return f"Acceptance recorded; settlement is due by {claim.settlement_due_at:%Y-%m-%d} (UTC)."


def _payment(claim_id: str) -> dict[str, Any]:
    return load_form(
        PaymentSchema, {**form_money("amount", _currency(claim_id)), **form_instant("paid_at")}
    )


@_claim_form("insurer-settlement", "insurer_settle")
def insurer_settlement(claim_id: str) -> str:
    """The underwriter paid, all or part; a shortfall is booked as our loss."""
    data = _payment(claim_id)
    claim_steps.settle(staff_caller(), claim_id, data)
    return f"Settlement of {data['amount']} recorded."


@_claim_form("insurer-rejection", "insurer_reject")
def insurer_rejection(claim_id: str) -> str:
    """The underwriter refused a claim we paid."""
    data = load_form(RejectionSchema, form_fields("reason"))
    claim_steps.reject(staff_caller(), claim_id, data)
    return "The underwriter's rejection is recorded and booked."


@_claim_form("carrier-recovery", "carrier_recovery")
def carrier_recovery(claim_id: str) -> str:
    """The carrier paid its own liability on a claim we advanced."""
    data = _payment(claim_id)
    claim_steps.recover_from_carrier(staff_caller(), claim_id, data)
    return f"The carrier's payment of {data['amount']} is recorded."
