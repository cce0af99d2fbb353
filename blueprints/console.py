"""The ops console under ``/ops/``: server-rendered pages for staff, over the same services.

Staff log in with the staff users of ``create-staff-user``; Flask's signed session cookie holds
their id and role, and every request reads the user again, so a disabled user or a changed role
takes effect at once. The logged-in user becomes a :class:`Caller` exactly as an API key does,
and the pages call the same services, so the role checks are the API's.

Every POST carries the session's CSRF token in a hidden ``csrf_token`` field; one check in
``before_request`` covers every form, present and future. The pages run no inline script and
load nothing from elsewhere (see :data:`PAGE_HEADERS`).

Layout: templates under ``blueprints/templates/console/``, stylesheet and the local-time script
under ``blueprints/static/console/``.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import (
    Response,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import Blueprint, BlueprintSetupState
from sqlalchemy import Text, cast, func, select

from blueprints.downloads import PDF_TYPES, send_document
from blueprints.problems import DOMAIN_STATUS
from blueprints.request_scope import db_session, request_now, runtime
from forwarder_insure.db.models import Claim, Coverage, StaffUser
from forwarder_insure.domain.access import STAFF_ROLES, Caller, Role, at_least
from forwarder_insure.domain.claims import ClaimKind, ClaimStatus
from forwarder_insure.domain.clock import format_instant
from forwarder_insure.domain.errors import DomainError
from forwarder_insure.domain.money import Money
from forwarder_insure.services import claim_documents, claims
from forwarder_insure.services.credentials import authenticate_staff
from forwarder_insure.services.scope import only_visible
from forwarder_insure.services.sellers import SELLER_ID_PATTERN

blp = Blueprint(
    "console",
    __name__,
    url_prefix="/ops",
    template_folder="templates",
    static_folder="static/console",
    static_url_path="/static",
)

#: Who may read claims: the API's staff side of ``blueprints.claims.ACTORS``.
CLAIM_READERS = at_least(Role.HANDLER)

#: Console pages: our own script and stylesheet only, never framed, no Referer to elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "frame-src 'self'; object-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

#: Endpoints reachable without a login.
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.static"})

#: Content types the claim page previews inline.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})

PAGE_SIZE = 50
FLAG_CODE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
SORTS: dict[str, tuple[str, Any]] = {
    "age": ("Oldest first", Claim.created_at.asc()),
    "newest": ("Newest first", Claim.created_at.desc()),
    "amount": ("Largest amount", Claim.amount_claimed_minor.desc()),
    "grace": ("Grace deadline", Claim.grace_deadline.asc().nulls_last()),
    "decision": ("Decision due", Claim.checklist_complete_at.asc().nulls_last()),
}
OVERDUE_FILTERS = {"": "Any", "decision": "Decision overdue", "settlement": "Settlement overdue"}


@blp.record_once
def _configure(state: BlueprintSetupState) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, and Secure in production (HTTPS)."""
    app = state.app
    settings = app.extensions["forwarder_insure"].settings
    if not app.secret_key:
        app.secret_key = settings.secret_key
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if settings.is_production:
        app.config["SESSION_COOKIE_SECURE"] = True


# -- session, CSRF and the caller ------------------------------------------------------------


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_valid() -> bool:
    expected = session.get("csrf")
    presented = request.form.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


def plain(status: int, message: str) -> Response:
    """A short plain-text answer (CSRF failures), outside the API's problem+json."""
    return Response(message + "\n", status=status, mimetype="text/plain", headers=PAGE_HEADERS)


def _staff_caller() -> Caller | None:
    """The logged-in staff user as a caller, or None (and the session cleared) if the user is
    gone, disabled or no longer has the role the cookie says."""
    user_id, role = session.get("staff_id"), session.get("role")
    if not user_id or not role:
        return None
    user = db_session().get(StaffUser, user_id)
    if (
        user is None
        or user.disabled_at is not None
        or user.role != role
        or Role(user.role) not in STAFF_ROLES
    ):
        session.clear()
        return None
    g.staff_email = user.email
    return Caller(role=Role(user.role), actor=f"staff:{user.email}")


@blp.before_request
def _guard() -> Response | None:
    if request.method == "POST" and not _csrf_valid():
        return plain(400, "The form was stale or incomplete. Go back, reload the page, and retry.")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    caller = _staff_caller()
    if caller is None:
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    g.staff_caller = caller
    return None


@blp.after_request
def _headers(response: Response) -> Response:
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@blp.context_processor
def _template_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token}


def staff_caller() -> Caller:
    return g.staff_caller


def requires(roles: frozenset[Role]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only staff with one of ``roles`` may open the page (the rest get a plain 403 page)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if staff_caller().role not in roles:
                return error_page(403, f"The {staff_caller().role.value} role may not do this.")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("console/error.html", status=status, message=message), status


@blp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> tuple[str, int]:
    status = next((s for cls, s in DOMAIN_STATUS.items() if isinstance(error, cls)), 422)
    return error_page(status, error.detail)


def _safe_next(target: str | None) -> str:
    """Only a path inside the console, never another site (``//evil``) after login."""
    if target and target.startswith("/ops/") and not target.startswith("//"):
        return target
    return url_for("console.claims_queue")


# -- login -----------------------------------------------------------------------------------


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; a failure says only that the e-mail or password is wrong."""
    error = None
    status = 200
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:1024]
        user = authenticate_staff(db_session(), email, password)
        if user is not None and Role(user.role) in STAFF_ROLES:
            target = _safe_next(request.form.get("next"))
            session.clear()  # a fresh session (and CSRF token) for the logged-in user
            session["staff_id"] = user.id
            session["role"] = user.role
            csrf_token()
            return redirect(target, code=303)
        error = "The e-mail address or password is wrong, or the account is disabled."
        status = 401
    html = render_template("console/login.html", error=error, next=request.values.get("next", ""))
    return html, status


@blp.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("console.login"), code=303)


@blp.get("/")
def index() -> Response:
    return redirect(url_for("console.claims_queue"))


# -- claims queue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    claim: Claim
    decision_due_at: datetime | None
    decision_overdue: bool
    settlement_overdue: bool

    @property
    def overdue(self) -> bool:
        return self.decision_overdue or self.settlement_overdue


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
@requires(CLAIM_READERS)
def claims_queue() -> Any:
    """Claims with counts per status, filters, a sort, and the overdue ones marked."""
    caller, rules, now = staff_caller(), runtime().claim_rules, request_now()
    filters, notes = _queue_filters()
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        page = 1
    query = claims.list_query(
        caller,
        status=filters["status"] or None,
        seller_id=filters["seller_id"] or None,
        rules=rules,
        now=now,
        decision_overdue=True if filters["overdue"] == "decision" else None,
        settlement_overdue=True if filters["overdue"] == "settlement" else None,
    )
    if filters["kind"]:
        query = query.where(Claim.kind == filters["kind"])
    if filters["flag"]:
        # Flags are stored as JSON objects; inside a string value a quote is escaped, so this
        # matches the ``code`` key only, on SQLite's JSON text and PostgreSQL's JSONB text alike.
        needle = f'"code": "{filters["flag"]}"'
        query = query.where(cast(Claim.risk_flags, Text).contains(needle, autoescape=True))
    order = SORTS[filters["sort"]][1]
    query = (
        query.order_by(None)
        .order_by(order, Claim.id.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    )
    found = list(db_session().scalars(query))
    rows = []
    for claim in found[:PAGE_SIZE]:
        rows.append(
            QueueRow(
                claim=claim,
                decision_due_at=claims.decision_due_at(claim, rules),
                decision_overdue=claims.is_decision_overdue(claim, rules, now),
                settlement_overdue=claims.is_settlement_overdue(claim),
            )
        )
    per_status = only_visible(select(Claim.status, func.count()), Claim.seller_id, caller)
    counts: dict[str, int] = {
        status: count for status, count in db_session().execute(per_status.group_by(Claim.status))
    }
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
        sorts={key: label for key, (label, _) in SORTS.items()},
        overdue_filters=OVERDUE_FILTERS,
        page=page,
        prev_url=queue_url(page=page - 1 if page > 2 else None) if page > 1 else None,
        next_url=queue_url(page=page + 1) if len(found) > PAGE_SIZE else None,
        status_url=lambda status: queue_url(status=status),
    )


# -- claim page ------------------------------------------------------------------------------


@blp.get("/claims/<string:claim_id>")
@requires(CLAIM_READERS)
def claim_page(claim_id: str) -> Any:
    """One claim, read-only: parcel and coverage, checklist with previews, flags, timeline,
    payout and the insurer's side."""
    caller, rules, now = staff_caller(), runtime().claim_rules, request_now()
    claim = claims.get_claim(db_session(), caller, claim_id)
    coverage = db_session().get(Coverage, claim.coverage_id)
    documents = {d.id: d for d in claim.documents}
    return render_template(
        "console/claim.html",
        claim=claim,
        coverage=coverage,
        checklist=claims.checklist(claim),
        documents=documents,
        decision_due_at=claims.decision_due_at(claim, rules),
        decision_overdue=claims.is_decision_overdue(claim, rules, now),
        settlement_overdue=claims.is_settlement_overdue(claim),
        image_types=IMAGE_TYPES,
        pdf_types=PDF_TYPES,
    )


@blp.get("/claims/<string:claim_id>/documents/<string:document_id>")
@requires(CLAIM_READERS)
def claim_document(claim_id: str, document_id: str) -> Response:
    """A claim's document as a download, or with ``?inline=1`` for the page's preview."""
    document = claim_documents.get_document(db_session(), staff_caller(), claim_id, document_id)
    return send_document(document, inline=request.args.get("inline") == "1")


# -- template helpers ------------------------------------------------------------------------


@blp.app_template_filter("console_money")
def _money(value: Money | None) -> str:
    return "—" if value is None else f"{value.amount} {value.currency}"


@blp.app_template_filter("console_minor")
def _minor(minor: int | None, currency: str) -> str:
    return "—" if minor is None else _money(Money.from_minor(minor, currency))


@blp.app_template_filter("console_instant")
def _iso_utc(value: datetime | None) -> str:
    return "" if value is None else format_instant(value)


@blp.app_template_filter("console_label")
def _label(slug: str | None) -> str:
    return "" if not slug else slug.replace("_", " ").capitalize()
