"""The flask-smorest Blueprint every API resource uses, with the two cross-cutting decorators:

* :meth:`ApiBlueprint.requires` — the :class:`Action` a view performs: the roles that may call it
  come from the one table ``domain/permissions.PERMISSIONS`` (401 without a valid key, 403 for
  another role), documented in the OpenAPI document as bearer security plus ``x-roles``;
* :meth:`ApiBlueprint.idempotent` — the Idempotency-Key contract of DESIGN.md §5, implemented by
  ``forwarder_insure.services.idempotency``.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn

from flask import Response, g, make_response, request
from flask_smorest import Blueprint
from flask_smorest import abort as _abort

from blueprints.request_scope import (
    after_this_request_ends,
    db_session,
    key_holder,
    request_now,
    runtime,
)
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.permissions import WRITES_NOTHING, Action, refusal, roles_for
from forwarder_insure.services import idempotency

BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)
#: Printable ASCII without spaces at the ends, as the draft's sf-string allows.
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$")
#: flask-smorest's ``abort`` (untyped), declared as what it is: it always raises.
abort: Callable[..., NoReturn] = _abort

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="forwarder_insure"'}

IDEMPOTENCY_HEADER_DOC = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "description": (
        "Unique key for this operation (a UUID is a good choice). Retrying with the same key and "
        "body returns the first answer with `Idempotent-Replayed: true`; kept at least 24 hours."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": IDEMPOTENCY_KEY.pattern,
    },
}


#: Methods that change nothing: with them (and with actions that write nothing, see
#: ``permissions.WRITES_NOTHING``) a key cached moments ago may be trusted (see ``KeyCache``).
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def authenticate(roles: frozenset[Role], *, writes_nothing: bool = False) -> None:
    """Resolve the bearer key of this request and check its role, or abort 401/403. A request
    that changes something always checks the key in the database, so a revocation stops it at
    once; the rest may use the per-process key cache."""
    match = BEARER.match(request.headers.get("Authorization", ""))
    if match is None:
        abort(
            401,
            message="Send an API key as 'Authorization: Bearer <key>'.",
            code="missing_api_key",
            headers=WWW_AUTHENTICATE,
        )
    holder = runtime().api_keys.authenticate(
        match.group(1),
        db_session,
        read_only=writes_nothing or request.method in READ_ONLY_METHODS,
    )
    if holder is None:
        abort(
            401,
            message="The API key is unknown or revoked.",
            code="invalid_api_key",
            headers=WWW_AUTHENTICATE,
        )
    if holder.caller.role not in roles:
        abort(
            403,
            message=refusal(holder.caller.role),
            code="role_not_allowed",
        )
    g.key_holder = holder


def documented(func: Callable[..., Any], *doc_decorators: Callable[[Any], Any]) -> Any:
    """Give ``func`` the OpenAPI documentation of flask-smorest's ``alt_response``/``doc``
    decorators without their runtime wrappers (each adds a call layer to every request)."""
    carrier = func
    for decorate in doc_decorators:
        carrier = decorate(carrier)
    func._apidoc = carrier._apidoc  # type: ignore[attr-defined]
    return func


def well_formed_json(load: Callable[[Any], Any]) -> Any:
    """``load`` of this request's JSON body when the request is plainly ``application/json`` and
    its body valid UTF-8 JSON; None otherwise, or when ``load`` refuses the document."""
    if request.environ.get("CONTENT_TYPE") != "application/json":
        return None
    try:
        document = json.loads(request.get_data(cache=True).decode())
    except ValueError:  # not UTF-8, or not JSON
        return None
    return load(document)


class ApiBlueprint(Blueprint):
    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, but a schema class is instantiated once, not on every request
        (webargs would build a fresh schema, with fresh nested schemas, per call).

        A JSON body schema may offer ``load_well_formed(document)``: the loaded arguments, or
        None for anything it does not accept. A request it accepts goes to the view without
        webargs' parsing layers; every other request (another content type, a body that is not
        JSON, any invalid field) is parsed by webargs as before, with the same errors.
        """
        if isinstance(schema, type):
            schema = schema()
        parse = super().arguments(schema, *args, **kwargs)
        load_well_formed = getattr(schema, "load_well_formed", None)
        if load_well_formed is None or kwargs.get("location", "json") != "json":
            return parse

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            parsed = parse(func)
            if inspect.iscoroutinefunction(func):
                return parsed

            @wraps(parsed)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                data = well_formed_json(load_well_formed)
                if data is None:
                    return parsed(*args, **kwargs)
                return func(*args, data, **kwargs)

            return wrapper

        return decorator

    def requires(self, action: Action) -> Callable[[Callable[..., Any]], Any]:
        """The decorated view performs ``action``: only callers whose role the permission table
        allows it may call the view (the service checks the same table again)."""
        frozen = roles_for(action)
        writes_nothing = action in WRITES_NOTHING

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                authenticate(frozen, writes_nothing=writes_nothing)
                return func(*args, **kwargs)

            return documented(
                wrapper,
                self.alt_response(401, response="UNAUTHORIZED"),
                self.alt_response(403, response="FORBIDDEN"),
                self.doc(
                    security=[{"bearerAuth": []}], **{"x-roles": sorted(r.value for r in frozen)}
                ),
            )

        return decorator

    def idempotent(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Honour ``Idempotency-Key`` on a creating view; place it under ``requires``."""

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            key = request.headers.get("Idempotency-Key")
            if key is None:
                abort(
                    400,
                    message="This request needs an Idempotency-Key header.",
                    code="idempotency_key_missing",
                )
            if not IDEMPOTENCY_KEY.match(key):
                abort(
                    400,
                    message="An Idempotency-Key is 1 to 255 printable ASCII characters.",
                    code="idempotency_key_invalid",
                )
            holder = key_holder()
            session = db_session()
            now = request_now()
            request_fingerprint = idempotency.fingerprint(
                request.method, request.path, request.get_data(cache=True)
            )
            claim = idempotency.claim(session, holder.key_id, key)
            if claim is None:
                abort(
                    409,
                    message="A request with this Idempotency-Key is still being processed.",
                    code="idempotency_key_in_flight",
                    headers={"Retry-After": "1"},
                )
            after_this_request_ends(claim.release)
            record = idempotency.find(session, holder.key_id, key, now)
            if record is not None:
                if record.fingerprint != request_fingerprint:
                    abort(
                        422,
                        message="This Idempotency-Key was used for a different request.",
                        code="idempotency_key_reused",
                    )
                replay = Response(record.response_body, status=record.response_status)
                for name, value in record.response_headers.items():
                    replay.headers[name] = value
                replay.headers["Idempotent-Replayed"] = "true"
                return replay
            response = make_response(func(*args, **kwargs))
            if 200 <= response.status_code < 300:
                idempotency.remember(
                    session,
                    api_key_id=holder.key_id,
                    key=key,
                    request_fingerprint=request_fingerprint,
                    status=response.status_code,
                    headers=dict(response.headers),
                    body=response.get_data(),
                    now=now,
                    ttl=runtime().settings.idempotency_ttl,
                )
            return response

        return documented(
            wrapper,
            self.alt_response(400, response="BAD_REQUEST"),
            self.alt_response(409, response="CONFLICT"),
            self.doc(parameters=[IDEMPOTENCY_HEADER_DOC]),
        )
