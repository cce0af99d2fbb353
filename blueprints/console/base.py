"""The ops console under ``/ops/``: server-rendered pages for staff, over the same services.

Staff log in with the staff users of ``create-staff-user``; Flask's signed session cookie holds
only a random token of a session kept on the server (``services/staff_sessions``), and every
request reads that session and its user again, so logout, a password change, a disabled user,
the session lifetime and the idle timeout take effect at once, and a changed role at the next
request. The logged-in user becomes a :class:`Caller` exactly as an API key does,
and the pages call the same services, so the role checks are the API's.

Every POST carries the session's CSRF token in a hidden ``csrf_token`` field; one check in
``before_request`` covers every form, present and future. The pages run no inline script and
load nothing from elsewhere (see :data:`PAGE_HEADERS`).

This module holds what every page shares (the blueprint, login, the guard, template filters);
the pages live beside it: ``claims`` (queue, claim page and its actions), ``inquiries`` and
``money``. Templates are under ``blueprints/templates/console/``, the stylesheet and scripts under
``blueprints/static/console/``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
from flask import (
    Flask,
    Request,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import Blueprint, BlueprintSetupState
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as Redirect

from blueprints.problems import field_errors, status_of
from blueprints.rate_limits import CONSOLE_LOGIN, limited
from blueprints.request_scope import db_session, request_now, runtime
from forwarder_insure.domain.access import STAFF_ROLES, Caller, Role
from forwarder_insure.domain.clock import format_instant
from forwarder_insure.domain.errors import DomainError
from forwarder_insure.domain.money import Money, MoneyError
from forwarder_insure.domain.permissions import Action, allowed, refusal
from forwarder_insure.services.credentials import (
    LOCKOUT_AFTER,
    LOCKOUT_FOR,
    authenticate_staff,
    change_staff_password,
)
from forwarder_insure.services.staff_sessions import (
    SessionLimits,
    end_session,
    resume_session,
    start_session,
)

blp = Blueprint(
    "console",
    __name__,
    url_prefix="/ops",
    template_folder="../templates",
    static_folder="../static/console",
    static_url_path="/static",
)

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

#: What a file picker offers for evidence (the store decides by the bytes; this only narrows it).
UPLOAD_TYPES = "application/pdf,image/png,image/jpeg,image/webp,image/heic,.pdf,.heic"

#: The cookie's key for the server-side session token.
SESSION_KEY = "staff_session"

#: Endpoints reachable without a login.
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.static"})


class ConsoleCookieSessions(SecureCookieSessionInterface):
    """The signed cookie session, opened only for the console's pages: every other request
    (the API above all, where an order-entry screen quotes on every keystroke) would pay for
    building a signing serializer and reading a cookie it never uses."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        path = request.environ.get("PATH_INFO", "")
        if path != blp.url_prefix and not path.startswith(f"{blp.url_prefix}/"):
            return self.null_session_class()
        return super().open_session(app, request)


@blp.record_once
def _configure(state: BlueprintSetupState) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, and Secure in production (HTTPS)."""
    app = state.app
    assert isinstance(app, Flask)
    app.session_interface = ConsoleCookieSessions()
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
    if not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def plain(status: int, message: str) -> Response:
    """A short plain-text answer (CSRF failures), outside the API's problem+json."""
    return Response(message + "\n", status=status, mimetype="text/plain", headers=PAGE_HEADERS)


def _staff_caller() -> Caller | None:
    """The logged-in staff user as a caller, or None (and the cookie cleared) unless the
    cookie's session is alive on the server and its user active (see ``staff_sessions``)."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    user = resume_session(db_session(), token, request_now(), _session_limits())
    if user is None or Role(user.role) not in STAFF_ROLES:
        session.clear()
        return None
    g.staff_email = user.email
    return Caller(role=Role(user.role), actor=f"staff:{user.email}")


def _session_limits() -> SessionLimits:
    settings = runtime().settings
    return SessionLimits(
        lifetime=settings.console_session_lifetime, idle=settings.console_session_idle
    )


def _begin_session(user_id: str) -> None:
    """A fresh server-side session in a fresh cookie (and CSRF token) for ``user_id``; the
    session the cookie held before, if any, ends."""
    if previous := session.get(SESSION_KEY):
        end_session(db_session(), previous, request_now())
    token = start_session(db_session(), user_id, request_now())
    session.clear()
    session[SESSION_KEY] = token
    csrf_token()


@blp.before_request
def _guard() -> Response | Redirect | None:
    if request.method == "POST" and not _csrf_valid():
        return plain(400, "The form was stale or incomplete. Go back, reload the page, and retry.")
    if request.method == "POST" and any(
        "\x00" in value for values in request.form.listvalues() for value in values
    ):
        return plain(400, "A field contains a NUL character; nothing was changed.")
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
    return {"csrf_token": csrf_token, "upload_types": UPLOAD_TYPES}


def staff_caller() -> Caller:
    return g.staff_caller


def requires(action: Action) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The page performs ``action``: only staff whose role the permission table
    (``domain/permissions``) allows it may open it (the rest get a plain 403 page)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not allowed(staff_caller().role, action):
                return error_page(403, refusal(staff_caller().role))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("console/error.html", status=status, message=message), status


@blp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> tuple[str, int]:
    return error_page(status_of(error), error.detail)


# -- queues ----------------------------------------------------------------------------------

#: Rows per page of a console queue.
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueuePage:
    """The page of a queue the query string asks for (``?page=N``, 1 when absent or odd)."""

    number: int

    @classmethod
    def requested(cls) -> QueuePage:
        try:
            return cls(max(int(request.args.get("page", "1")), 1))
        except ValueError:
            return cls(1)

    def links(self, more: bool, url_of: Callable[[int | None], str]) -> dict[str, str | None]:
        """``prev_url`` and ``next_url`` for the pager (``url_of(None)`` is the first page)."""
        previous = self.number - 1
        return {
            "prev_url": url_of(previous if previous > 1 else None) if previous else None,
            "next_url": url_of(self.number + 1) if more else None,
        }


# -- forms -----------------------------------------------------------------------------------


class FormProblem(Exception):
    """What a console form could not do, in words for the staff member, with its HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def load_form(schema: type[ma.Schema], data: dict[str, Any]) -> dict[str, Any]:
    """Read a form with the API's own schema, so the console accepts exactly what the API does;
    the field errors become one sentence per field."""
    try:
        return schema().load(data)
    except ma.ValidationError as error:
        sentences = [
            f"{(e['pointer'][2:].replace('/', ' ') or 'form').replace('_', ' ')}: {e['detail']}"
            for e in field_errors({"form": error.messages})
        ]
        raise FormProblem(422, " ".join(sentences)) from None


def form_fields(*names: str) -> dict[str, Any]:
    """The named fields of the posted form, trimmed; a blank field is left out, so the schema
    applies its default or says the field is required."""
    return {name: value for name in names if (value := request.form.get(name, "").strip())}


def form_money(amount_field: str, currency: str) -> dict[str, Any]:
    """An amount typed into the form, in the claim's currency, as the API's money object."""
    amount = request.form.get(amount_field, "").strip()
    return {amount_field: {"amount": amount, "currency": currency}} if amount else {}


def form_instant(name: str) -> dict[str, Any]:
    """A ``datetime-local`` field read in the time zone the page's script put in ``tz`` (UTC
    without the script), as an ISO instant with its offset for the API's schema."""
    typed = request.form.get(name, "").strip()
    if not typed:
        return {}
    zone_name = request.form.get("tz", "UTC").strip() or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FormProblem(422, f"Unknown time zone {zone_name!r}.") from None
    try:
        local = datetime.fromisoformat(typed)
    except ValueError:
        return {name: typed}  # the schema says what is wrong with it
    return {name: (local if local.tzinfo else local.replace(tzinfo=zone)).isoformat()}


def input_instant(value: datetime) -> str:
    """An instant as a ``datetime-local`` value in UTC (the page's script shows it locally)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def perform(
    action: Callable[[], str], *, done: str, redisplay: Callable[[str], str]
) -> Redirect | tuple[str, int]:
    """Run one form's action through the services.

    Done: its message is flashed and the browser goes to ``done`` with a 303, so a reload does
    not post again. Refused (a domain error, a bad amount, a bad field): everything the action
    wrote is rolled back and the same page comes back with the reason, at the API's status.
    """
    try:
        message = action()
    except DomainError as error:
        status, reason = status_of(error), error.detail
    except MoneyError as error:
        status, reason = 422, str(error)
    except FormProblem as error:
        status, reason = error.status, error.message
    else:
        flash(message)
        return redirect(done, code=303)
    db_session().rollback()
    return redisplay(reason), status


@blp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    """A body over the app's hard ceiling is refused before any view reads it (the CSRF guard
    reads the form first); say so on a console page rather than in the API's problem+json."""
    limit = runtime().settings.max_upload_bytes
    return error_page(
        413, f"The file is too large: the limit is {limit:,} bytes. Nothing was stored."
    )


def _safe_next(target: str | None) -> str:
    """Only a path inside the console, never another site (``//evil``) after login."""
    if target and target.startswith("/ops/") and not target.startswith("//"):
        return target
    return url_for("console.claims_queue")


# -- login -----------------------------------------------------------------------------------


@blp.route("/login", methods=["GET", "POST"])
@limited(CONSOLE_LOGIN)
def login() -> Any:
    """The login form; a failure says only that the e-mail or password is wrong."""
    error = None
    status = 200
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:1024]
        user = authenticate_staff(runtime().database, email, password, request_now())
        if user is not None and Role(user.role) in STAFF_ROLES:
            target = _safe_next(request.form.get("next"))
            _begin_session(user.id)
            return redirect(target, code=303)
        error = (
            "The e-mail address or password is wrong, or the account is disabled, or locked "
            f"for {LOCKOUT_FOR.seconds // 60} minutes after {LOCKOUT_AFTER} failed attempts."
        )
        status = 401
    html = render_template("console/login.html", error=error, next=request.values.get("next", ""))
    return html, status


@blp.post("/logout")
def logout() -> Redirect:
    """End the session on the server, so the cookie opens nothing even if it was copied."""
    end_session(db_session(), session.get(SESSION_KEY, ""), request_now())
    session.clear()
    return redirect(url_for("console.login"), code=303)


@blp.route("/password", methods=["GET", "POST"])
def password() -> Any:
    """Change one's own password: the current one (checked, and counted, like a login) and a
    new one. Every session of the user ends, this one included, and this browser gets a fresh
    session, so a cookie copied earlier, even from this browser, opens nothing afterwards."""
    if request.method == "GET":
        return render_template("console/password.html", error=None)

    def change() -> str:
        current = request.form.get("current_password", "")[:1024]
        new = request.form.get("new_password", "")[:1024]
        if new != request.form.get("confirm_password", "")[:1024]:
            raise FormProblem(422, "The new password and its confirmation differ.")
        now = request_now()
        db_session().rollback()  # end the request's read before the attempt is counted apart
        user = authenticate_staff(runtime().database, g.staff_email, current, now)
        if user is None:
            raise FormProblem(
                403,
                "The current password is wrong, or the login is locked after "
                f"{LOCKOUT_AFTER} failed attempts.",
            )
        change_staff_password(db_session(), user.id, new, now)
        _begin_session(user.id)
        return "Password changed: every session of yours has ended; this browser has a new one."

    return perform(
        change,
        done=url_for("console.claims_queue"),
        redisplay=lambda reason: render_template("console/password.html", error=reason),
    )


@blp.get("/")
def index() -> Redirect:
    return redirect(url_for("console.claims_queue"))


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
