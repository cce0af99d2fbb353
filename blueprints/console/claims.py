"""The console's claims pages: the queue, one claim, and what staff do to a claim."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from flask import Response, render_template, request, url_for

from blueprints.console.base import (
    PAGE_SIZE,
    QueuePage,
    blp,
    input_instant,
    requires,
    staff_caller,
)
from blueprints.downloads import PDF_TYPES, send_document, send_evidence_pack
from blueprints.request_scope import db_session, request_now, runtime
from forwarder_insure.domain.claims import (
    CHECKLISTS,
    TAKES_DOCUMENTS,
    ClaimKind,
    ClaimStatus,
    Step,
    max_approvable,
    statuses_allowing,
)
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.permissions import Action, allowed
from forwarder_insure.services import (
    claim_documents,
    claim_predicates,
    claim_queue,
    claims,
    coverages,
    insurer,
    tracking,
)
from forwarder_insure.services.claim_queue import ClaimFilters
from forwarder_insure.services.sellers import SELLER_ID_PATTERN

#: Content types the claim page previews inline.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})

FLAG_CODE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
#: The queue's sorts as the page names them (their orders: ``claim_queue.CONSOLE_SORTS``).
SORTS: dict[str, str] = {
    "age": "Oldest first",
    "newest": "Newest first",
    "amount": "Largest amount",
    "grace": "Grace deadline",
    "decision": "Decision due",
}
#: Steps the claim page offers as forms when the transition table allows them.
OFFERED_STEPS = (
    Step.REQUEST_DOCUMENTS,
    Step.APPROVE,
    Step.DENY,
    Step.INSURER_ACCEPT,
    Step.INSURER_SETTLE,
    Step.INSURER_REJECT,
)
#: The claim page's forms and what each performs: a form is shown only to staff the permission
#: table allows it, and its POST route requires the same action (``claim_actions``).
CLAIM_FORMS: dict[str, Action] = {
    "request_documents": Action.REQUEST_DOCUMENTS,
    "approve": Action.APPROVE_CLAIM,
    "deny": Action.DENY_CLAIM,
    "reject_document": Action.REJECT_DOCUMENT,
    "attach_document": Action.UPLOAD_DOCUMENT,
    "insurer_filing": Action.FILE_WITH_INSURER,
    "insurer_accept": Action.RECORD_INSURER_ACCEPTANCE,
    "insurer_settle": Action.RECORD_INSURER_SETTLEMENT,
    "insurer_reject": Action.RECORD_INSURER_REJECTION,
    "carrier_recovery": Action.RECORD_CARRIER_RECOVERY,
}
OVERDUE_FILTERS = {"": "Any", "decision": "Decision overdue", "settlement": "Settlement overdue"}

# -- claims queue ----------------------------------------------------------------------------


def _queue_filters() -> tuple[dict[str, str], list[str]]:
    """The queue's filters from the query string; unknown values are dropped with a note."""
    args = request.args
    filters = {
        "status": args.get("status", ""),
        "kind": args.get("kind", ""),
        "seller_id": args.get("seller_id", "").strip(),
        "flag": args.get("flag", "").strip(),
        "overdue": args.get("overdue", ""),
        "sort": args.get("sort", "age"),
    }
    notes = []
    checks = {
        "status": lambda v: v in {s.value for s in ClaimStatus},
        "kind": lambda v: v in {k.value for k in ClaimKind},
        "seller_id": lambda v: SELLER_ID_PATTERN.fullmatch(v) is not None,
        "flag": lambda v: FLAG_CODE.fullmatch(v) is not None,
        "overdue": lambda v: v in OVERDUE_FILTERS,
        "sort": lambda v: v in SORTS,
    }
    for name, valid in checks.items():
        if filters[name] and not valid(filters[name]):
            notes.append(f"Ignored an unknown {name.replace('_', ' ')}: {filters[name]!r}.")
            filters[name] = "age" if name == "sort" else ""
    return filters, notes


@blp.get("/claims")
@requires(Action.READ_CLAIM)
def claims_queue() -> Any:
    """Claims with counts per status, filters, a sort, and the overdue ones marked."""
    caller, rules, now = staff_caller(), runtime().claim_rules, request_now()
    filters, notes = _queue_filters()
    page = QueuePage.requested()
    queue_filters = ClaimFilters(
        statuses=(filters["status"],) if filters["status"] else (),
        kind=filters["kind"] or None,
        seller_id=filters["seller_id"] or None,
        flag=filters["flag"] or None,
        decision_overdue=True if filters["overdue"] == "decision" else None,
        settlement_overdue=True if filters["overdue"] == "settlement" else None,
    )
    rows, more = claim_queue.console_page(
        db_session(),
        caller,
        queue_filters,
        filters["sort"],
        number=page.number,
        size=PAGE_SIZE,
        rules=rules,
        now=now,
    )
    counts = claim_queue.counts_per_status(db_session(), caller)
    active = {k: v for k, v in filters.items() if v and not (k == "sort" and v == "age")}

    def queue_url(**changes: Any) -> str:
        query = urlencode({k: v for k, v in (active | changes).items() if v})
        return url_for("console.claims_queue") + (f"?{query}" if query else "")

    return render_template(
        "console/claims.html",
        rows=rows,
        counts=[(s.value, counts.get(s.value, 0)) for s in ClaimStatus],
        total=sum(counts.values()),
        filters=filters,
        active=active,
        notes=notes,
        statuses=[s.value for s in ClaimStatus],
        kinds=[k.value for k in ClaimKind],
        sorts=SORTS,
        overdue_filters=OVERDUE_FILTERS,
        page=page.number,
        **page.links(more, lambda number: queue_url(page=number)),
        status_url=lambda status: queue_url(status=status),
    )


# -- claim page ------------------------------------------------------------------------------


@blp.get("/claims/<string:claim_id>")
@requires(Action.READ_CLAIM)
def claim_page(claim_id: str) -> Any:
    """One claim: parcel and coverage, tracking history, checklist with previews, flags,
    timeline, payout and the insurer's side, and the forms for what can be done next."""
    return render_claim(claim_id)


def render_claim(claim_id: str, *, error: str | None = None, failed: str | None = None) -> str:
    """The claim page; after a refused form, with its reason and the form's values kept."""
    caller, rules, now = staff_caller(), runtime().claim_rules, request_now()
    claim = claims.get_claim(db_session(), caller, claim_id)
    coverage = coverages.get_coverage(db_session(), caller, claim.coverage_id)
    documents = {d.id: d for d in claim.documents}
    return render_template(
        "console/claim.html",
        claim=claim,
        coverage=coverage,
        tracking=tracking.history(db_session(), coverage.id),
        checklist=claims.checklist(claim),
        documents=documents,
        decision_due_at=claim_predicates.decision_due_at(claim, rules),
        decision_overdue=claim_predicates.is_decision_overdue(claim, rules, now),
        settlement_overdue=claim_predicates.is_settlement_overdue(claim),
        image_types=IMAGE_TYPES,
        pdf_types=PDF_TYPES,
        can={f for f in available_actions(claim) if allowed(caller.role, CLAIM_FORMS[f])},
        approvable=_approvable(claim, coverage),
        four_eyes=None
        if allowed(caller.role, Action.APPROVE_ABOVE_FOUR_EYES)
        else rules.four_eyes.get(claim.currency),
        requestable=[item.kind.value for item in CHECKLISTS[ClaimKind(claim.kind)]],
        now_input=input_instant(now),
        error=error,
        failed=failed,
        form=request.form if failed else {},
    )


def _approvable(claim: Any, coverage: Any) -> Money:
    """The most the approve form can send: an approval above the amount claimed or above the
    insured value less deductible is refused (``check_amount_approved``), so the lower of the
    two."""
    return min(max_approvable(coverage.insured_value, coverage.deductible), claim.amount_claimed)


def available_actions(claim: Any) -> set[str]:
    """The forms the claim page offers in the claim's state (the services still decide: a page
    left open while a colleague acts gets the service's refusal)."""
    status = ClaimStatus(claim.status)
    offered = {step.value for step in OFFERED_STEPS if status in statuses_allowing(step)}
    if status in TAKES_DOCUMENTS:
        offered.update({"reject_document", "attach_document"})
    if insurer.awaits_filing(claim):
        offered.add("insurer_filing")
    if insurer.awaits_carrier(claim):
        offered.add("carrier_recovery")
    return offered


@blp.get("/claims/<string:claim_id>/documents/<string:document_id>")
@requires(Action.READ_CLAIM)
def claim_document(claim_id: str, document_id: str) -> Response:
    """A claim's document as a download, or with ``?inline=1`` for the page's preview."""
    document = claim_documents.get_document(db_session(), staff_caller(), claim_id, document_id)
    return send_document(document, inline=request.args.get("inline") == "1")


@blp.get("/claims/<string:claim_id>/evidence-pack")
@requires(Action.READ_CLAIM)
def evidence_pack(claim_id: str) -> Response:
    """The evidence pack ZIP the underwriter is sent, as the API builds it."""
    return send_evidence_pack(staff_caller(), claim_id)
