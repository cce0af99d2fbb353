"""Who may do what: every operation a caller can perform, and the one table of the roles that
may perform it.

The table is the rule. The API's ``@blp.requires(Action.X)`` reads it to answer 401/403 early
and to document ``x-roles``; the console's guards read it to open pages and show forms; the
services call :func:`check` before they act, so a job, the CLI or a new adapter cannot do what
the table refuses. Tenant scope (a seller sees only its own rows, 404 otherwise) is a separate
rule in ``services/scope.py``; the four-eyes limit (which amounts need
:attr:`Action.APPROVE_ABOVE_FOUR_EYES`) is in ``domain/claim_rules.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from forwarder_insure.domain.access import ALL_ROLES, Caller, Role, at_least
from forwarder_insure.domain.errors import Forbidden


class Action(StrEnum):
    """An operation a caller can perform (one or more endpoints, forms or use cases)."""

    # rates and quotes
    READ_RATES = "read_rates"
    QUOTE = "quote"
    # coverages
    BIND_COVERAGE = "bind_coverage"
    READ_COVERAGE = "read_coverage"
    ATTACH_TRACKING = "attach_tracking"
    VOID_COVERAGE = "void_coverage"
    # tracking
    INGEST_TRACKING = "ingest_tracking"
    # inquiries
    READ_INQUIRY = "read_inquiry"
    ANSWER_INQUIRY = "answer_inquiry"
    ATTACH_LETTER = "attach_letter"
    # claims
    FILE_CLAIM = "file_claim"
    READ_CLAIM = "read_claim"
    UPLOAD_DOCUMENT = "upload_document"
    REJECT_DOCUMENT = "reject_document"
    SUBMIT_CLAIM = "submit_claim"
    WITHDRAW_CLAIM = "withdraw_claim"
    REQUEST_DOCUMENTS = "request_documents"
    APPROVE_CLAIM = "approve_claim"
    APPROVE_ABOVE_FOUR_EYES = "approve_above_four_eyes"
    DENY_CLAIM = "deny_claim"
    # the insurer's and the carrier's side of a claim
    FILE_WITH_INSURER = "file_with_insurer"
    RECORD_INSURER_ACCEPTANCE = "record_insurer_acceptance"
    RECORD_INSURER_SETTLEMENT = "record_insurer_settlement"
    RECORD_INSURER_REJECTION = "record_insurer_rejection"
    RECORD_CARRIER_RECOVERY = "record_carrier_recovery"
    # money
    READ_MONEY = "read_money"
    CLOSE_RECOVERY_TASK = "close_recovery_task"
    READ_REPORTS = "read_reports"
    # reference data
    READ_UNDERWRITERS = "read_underwriters"
    MANAGE_UNDERWRITERS = "manage_underwriters"
    READ_EXCHANGE_RATES = "read_exchange_rates"
    MANAGE_EXCHANGE_RATES = "manage_exchange_rates"
    # identity and sellers
    READ_IDENTITY = "read_identity"
    READ_SELLER = "read_seller"
    MANAGE_SELLER = "manage_seller"
    # webhooks
    MANAGE_WEBHOOKS = "manage_webhooks"


_SELLER = frozenset({Role.SELLER})
_WAREHOUSE = frozenset({Role.WAREHOUSE})
_ADMIN = frozenset({Role.ADMIN})
_STAFF = at_least(Role.HANDLER)
_SUPERVISORS = at_least(Role.SUPERVISOR)
_ORDER_ENTRY = _SELLER | _WAREHOUSE
_PARCEL_PARTIES = _ORDER_ENTRY | _STAFF
_CLAIM_PARTIES = _SELLER | _STAFF

#: The one table: which roles may perform each action.
PERMISSIONS: Mapping[Action, frozenset[Role]] = MappingProxyType(
    {
        Action.READ_RATES: ALL_ROLES,
        Action.QUOTE: _ORDER_ENTRY,
        Action.BIND_COVERAGE: _ORDER_ENTRY,
        Action.READ_COVERAGE: _PARCEL_PARTIES,
        Action.ATTACH_TRACKING: _PARCEL_PARTIES,
        Action.VOID_COVERAGE: _PARCEL_PARTIES,
        Action.INGEST_TRACKING: frozenset({Role.TRACKING, Role.WAREHOUSE}),
        Action.READ_INQUIRY: _CLAIM_PARTIES,
        Action.ANSWER_INQUIRY: _STAFF,
        Action.ATTACH_LETTER: _STAFF,
        Action.FILE_CLAIM: _CLAIM_PARTIES,
        Action.READ_CLAIM: _CLAIM_PARTIES,
        Action.UPLOAD_DOCUMENT: _CLAIM_PARTIES,
        Action.REJECT_DOCUMENT: _STAFF,
        Action.SUBMIT_CLAIM: _CLAIM_PARTIES,
        Action.WITHDRAW_CLAIM: _CLAIM_PARTIES,
        Action.REQUEST_DOCUMENTS: _STAFF,
        Action.APPROVE_CLAIM: _STAFF,
        Action.APPROVE_ABOVE_FOUR_EYES: _SUPERVISORS,
        Action.DENY_CLAIM: _STAFF,
        Action.FILE_WITH_INSURER: _STAFF,
        Action.RECORD_INSURER_ACCEPTANCE: _STAFF,
        Action.RECORD_INSURER_SETTLEMENT: _STAFF,
        Action.RECORD_INSURER_REJECTION: _STAFF,
        Action.RECORD_CARRIER_RECOVERY: _STAFF,
        Action.READ_MONEY: _STAFF,
        Action.CLOSE_RECOVERY_TASK: _STAFF,
        Action.READ_REPORTS: _STAFF,
        Action.READ_UNDERWRITERS: _WAREHOUSE | _STAFF,
        Action.MANAGE_UNDERWRITERS: _ADMIN,
        Action.READ_EXCHANGE_RATES: _WAREHOUSE | _STAFF,
        Action.MANAGE_EXCHANGE_RATES: _ADMIN,
        Action.READ_IDENTITY: ALL_ROLES,
        Action.READ_SELLER: _PARCEL_PARTIES,
        Action.MANAGE_SELLER: _WAREHOUSE | _ADMIN,
        Action.MANAGE_WEBHOOKS: _ADMIN,
    }
)


#: Actions that write nothing whatever their HTTP method (a quote is a signed token, never a
#: row): like reads, they may trust an API key cached moments ago; every other write checks the
#: key in the database, so a revocation stops it at once.
WRITES_NOTHING: frozenset[Action] = frozenset({Action.QUOTE})


def roles_for(action: Action) -> frozenset[Role]:
    """The roles that may perform ``action``."""
    return PERMISSIONS[action]


def allowed(role: Role, action: Action) -> bool:
    """Whether a caller with ``role`` may perform ``action``."""
    return role in PERMISSIONS[action]


def refusal(role: Role) -> str:
    """What a refused caller reads (the API's 403 detail, the console's 403 page)."""
    return f"The {role.value} role may not do this."


def check(caller: Caller, action: Action) -> None:
    """Raise :class:`Forbidden` (``role_not_allowed``) unless ``caller`` may perform ``action``."""
    if caller.role not in PERMISSIONS[action]:
        raise Forbidden(refusal(caller.role), code="role_not_allowed")
