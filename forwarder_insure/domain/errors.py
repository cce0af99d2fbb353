"""Domain errors: our own exception classes, each with a stable ``code``.

They are deliberately not framework exceptions. The HTTP adapters map each class to a status
(``blueprints/problems.py``) and render RFC 9457 problem details; jobs and the CLI report the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """A rule refused an operation. ``code`` is stable; ``detail`` is for people."""

    code = "domain_error"
    title = "Request refused"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra: Mapping[str, Any] = extra


class NotFound(DomainError):
    """The resource does not exist, or the caller may not know that it does."""

    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    """The resource's current state does not allow the step (a transition, a duplicate)."""

    code = "conflict"
    title = "Conflict"


class Invalid(DomainError):
    """The request is well-formed but breaks a rule (an expired quote, an amount too high)."""

    code = "invalid"
    title = "Unprocessable request"


class Forbidden(DomainError):
    """The caller is known but its role may not take this step."""

    code = "forbidden"
    title = "Forbidden"


class Unauthenticated(DomainError):
    """The request does not prove who sent it (a provider push without a valid signature)."""

    code = "unauthenticated"
    title = "Unauthorized"


class Unreadable(DomainError):
    """The request's body cannot be read at all (not JSON)."""

    code = "unreadable"
    title = "Bad request"
