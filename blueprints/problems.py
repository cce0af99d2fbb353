"""RFC 9457 problem details for every error the API can return.

One place decides how an error looks: HTTP errors (routing, 401, 405, 413, …), validation errors
from the request schemas (with one entry per bad field under ``errors``), our domain errors (mapped
from their class to a status here, and nowhere else), and unexpected exceptions (a 500 that names
an error id for the logs, never a stack trace).
"""

from __future__ import annotations

import http
import logging
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Response, current_app, json, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from forwarder_insure.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
    Unreadable,
)
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.money import MoneyError
from forwarder_insure.storage.base import TooLarge, UnsupportedType

PROBLEM_CONTENT_TYPE = "application/problem+json"
log = logging.getLogger(__name__)

#: The one mapping from domain error classes to HTTP statuses.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    TooLarge: 413,
    Unreadable: 400,
    Unauthenticated: 401,
    UnsupportedType: 415,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Invalid: 422,
}


class FieldErrorSchema(ma.Schema):
    location = ma.fields.String(metadata={"description": "json, query, headers, form or files"})
    pointer = ma.fields.String(metadata={"description": "JSON Pointer to the field, as '#/a/0/b'"})
    detail = ma.fields.String()


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document (documentation only; responses are built by hand below)."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    code = ma.fields.String(metadata={"description": "Stable machine-readable error code"})
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


def problem(
    status: int,
    *,
    detail: str | None = None,
    code: str | None = None,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """A problem+json response. Without a ``code`` the type is ``about:blank`` (RFC 9457 §4.2)."""
    phrase = http.HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": f"/problems/{code.replace('_', '-')}" if code else "about:blank",
        "title": title or phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    # Extension members never replace the standard ones.
    body.update({k: v for k, v in (extra or {}).items() if k not in body})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(messages: dict[str, Any]) -> list[dict[str, str]]:
    """Flatten webargs/marshmallow messages ``{location: {field: [...]}}`` into pointer entries."""
    out: list[dict[str, str]] = []

    def walk(location: str, node: Any, path: list[str]) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(location, child, path if key == "_schema" else [*path, str(key)])
        elif isinstance(node, list | tuple):
            if all(isinstance(item, str) for item in node):
                pointer = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path)
                for message in node:
                    out.append(
                        {"location": location, "pointer": pointer.rstrip("/"), "detail": message}
                    )
            else:
                for item in node:
                    walk(location, item, path)
        else:
            walk(location, [str(node)], path)

    for location, node in messages.items():
        walk(str(location), node, [])
    return out


def http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if status == 405 and "Allow" in headers:
        headers["Allow"] = _allowed_by_the_named_route(headers["Allow"])
    if "messages" in data:
        errors = field_errors(data["messages"])
        return problem(
            status,
            code="validation_error",
            title="Validation failed",
            detail=f"{len(errors)} field(s) of the request are invalid; see errors.",
            errors=errors,
            headers=headers,
        )
    detail = data.get("message") or error.description
    return problem(status, detail=detail, code=data.get("code"), headers=headers)


def _allowed_by_the_named_route(merged: str) -> str:
    """The Allow of a 405: the methods of the route the path names (the concrete route where a
    templated one also matches, as OPTIONS answers and the OpenAPI document reads), not
    werkzeug's union over every route that matches the path."""
    try:
        adapter = current_app.url_map.bind_to_environ(request.environ)
        rule, _ = adapter.match(method="OPTIONS", return_rule=True)
    except HTTPException:
        return merged
    return ", ".join(sorted(rule.methods or ()))


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error (422 for a kind the table does not name)."""
    return next((code for cls, code in DOMAIN_STATUS.items() if isinstance(error, cls)), 422)


def domain_problem(error: DomainError) -> Response:
    status = status_of(error)
    return problem(
        status, detail=error.detail, code=error.code, title=error.title, extra=error.extra
    )


def money_problem(error: MoneyError) -> Response:
    return problem(422, detail=str(error), code=error.code, title="Invalid amount")


def unexpected_problem(error: Exception) -> Response:
    error_id = new_id("err")
    log.exception("unhandled error %s on %s %s", error_id, request.method, request.path)
    return problem(
        500,
        detail=f"An unexpected error occurred; it was logged as {error_id}.",
        code="internal_error",
        extra={"error_id": error_id},
    )


class ProblemApi(Api):
    """flask-smorest's Api speaking problem+json, in the documentation and on the wire."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return http_problem(error)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Error (RFC 9457 problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)


def register_error_handlers(app: Any) -> None:
    """Every error, on every path, becomes problem+json; never an HTML page or a traceback."""
    app.register_error_handler(HTTPException, http_problem)
    app.register_error_handler(DomainError, domain_problem)
    app.register_error_handler(MoneyError, money_problem)
    app.register_error_handler(Exception, unexpected_problem)
