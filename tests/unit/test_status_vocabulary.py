"""One status vocabulary: each status is a StrEnum in the domain, and nothing else spells it.

Two checks keep it so. The migrated database's CHECK constraints list exactly the enum's values
(the migrations are written by hand; the models build their constraints from the enums), and no
service, view, job or document compares or assigns a status as a bare string literal.
"""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, inspect

from forwarder_insure.db.models import Base
from forwarder_insure.domain.claims import (
    ChecklistStatus,
    ClaimKind,
    ClaimStatus,
    DocumentSource,
    DocumentStatus,
)
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.payouts import PayoutStatus, RecoveryTaskStatus
from forwarder_insure.domain.tracking import (
    InquiryResolution,
    InquiryStatus,
    PackageStatus,
    TrackingSource,
)
from forwarder_insure.domain.webhooks import DeliveryStatus

ROOT = Path(__file__).resolve().parents[2]

#: (table, constraint name as the naming convention spells it) -> the enum it must list.
CONSTRAINTS: dict[tuple[str, str], type[StrEnum]] = {
    ("coverages", "ck_coverages_status_known"): CoverageStatus,
    ("coverages", "ck_coverages_package_status_known"): PackageStatus,
    ("coverages", "ck_coverages_tracking_source_known"): TrackingSource,
    ("inquiries", "ck_inquiries_status_known"): InquiryStatus,
    ("claims", "ck_claims_status_known"): ClaimStatus,
    ("claims", "ck_claims_kind_known"): ClaimKind,
    ("claim_documents", "ck_claim_documents_status_known"): DocumentStatus,
    ("claim_documents", "ck_claim_documents_source_known"): DocumentSource,
    ("payouts", "ck_payouts_status_known"): PayoutStatus,
    ("recovery_tasks", "ck_recovery_tasks_status_known"): RecoveryTaskStatus,
    ("webhook_deliveries", "ck_webhook_deliveries_status_known"): DeliveryStatus,
}

#: Every status enum; their values are the words no code may spell as a bare literal.
VOCABULARIES: tuple[type[StrEnum], ...] = (
    CoverageStatus,
    PackageStatus,
    InquiryStatus,
    InquiryResolution,
    TrackingSource,
    ClaimStatus,
    DocumentStatus,
    ChecklistStatus,
    PayoutStatus,
    RecoveryTaskStatus,
    DeliveryStatus,
)
STATUS_WORDS = frozenset(member.value for enum in VOCABULARIES for member in enum)
#: Attributes, keyword arguments and dict keys that hold a status.
STATUS_NAMES = frozenset({"status", "package_status", "tracking_source", "resolution"})
#: The code that uses statuses: use cases, HTTP views, jobs, documents, models.
SCANNED = (
    "forwarder_insure/services",
    "forwarder_insure/documents",
    "forwarder_insure/db",
    "blueprints",
    "jobs",
)


def _quoted(sql: str) -> list[str]:
    return re.findall(r"'([^']*)'", sql)


@pytest.mark.parametrize(("table", "name"), sorted(CONSTRAINTS))
def test_the_database_constraint_lists_exactly_the_domain_enum(migrated, table, name):
    enum = CONSTRAINTS[(table, name)]
    found = {c["name"]: c["sqltext"] for c in inspect(migrated.engine).get_check_constraints(table)}
    assert name in found, f"{table} has no constraint {name}: {sorted(found)}"
    assert _quoted(found[name]) == [member.value for member in enum]


@pytest.mark.parametrize(("table", "name"), sorted(CONSTRAINTS))
def test_the_model_constraint_is_built_from_the_domain_enum(table, name):
    enum = CONSTRAINTS[(table, name)]
    (constraint,) = [
        c
        for c in Base.metadata.tables[table].constraints
        if isinstance(c, CheckConstraint) and c.name == name
    ]
    assert _quoted(str(constraint.sqltext)) == [member.value for member in enum]


def test_the_model_constraint_text_is_the_migrations_text(migrated):
    """SQLite keeps a constraint's text as written: the model's must be the migration's."""
    if migrated.backend != "sqlite":
        pytest.skip("PostgreSQL rewrites CHECK text; the value lists are compared above")
    inspector = inspect(migrated.engine)
    for table, name in CONSTRAINTS:
        in_database = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table)}
        (constraint,) = [
            c
            for c in Base.metadata.tables[table].constraints
            if isinstance(c, CheckConstraint) and c.name == name
        ]
        assert str(constraint.sqltext) == in_database[name], name


def _is_status_target(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in STATUS_NAMES


def _bare_words(node: ast.expr | None) -> list[str]:
    """The status words spelled as literals in ``node`` (a constant, or a tuple/list/set)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value in STATUS_WORDS else []
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [word for element in node.elts for word in _bare_words(element)]
    return []


#: A status spelled inside SQL text: ``status = 'open'``, ``package_status IN ('a', 'b')``.
SQL_SPELLING = re.compile(
    r"\b(?:" + "|".join(sorted(STATUS_NAMES)) + r")\s*(?:=|IN\s*\()\s*'([a-z_]+)'", re.IGNORECASE
)


def bare_status_literals(source: str) -> list[tuple[int, str]]:
    """(line, word) for each status spelled as a string where code compares, assigns or passes a
    status: ``x.status == "open"``, ``x.status in ("a", "b")``, ``x.status = "open"``,
    ``Model(status="open")`` / ``.values(status="open")``, ``{"status": "open"}``, and SQL text
    such as ``text("status = 'open'")``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_status_target(side) for side in sides):
                found += [(node.lineno, w) for side in sides for w in _bare_words(side)]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_is_status_target(t) for t in targets):
                found += [(node.lineno, w) for w in _bare_words(node.value)]
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in STATUS_NAMES:
                    found += [(node.lineno, w) for w in _bare_words(keyword.value)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [(node.lineno, w) for w in SQL_SPELLING.findall(node.value)]
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in STATUS_NAMES:
                    found += [(node.lineno, w) for w in _bare_words(value)]
    return sorted(found, key=lambda hit: hit[0])


def scan(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{line}: {word!r}"
        for folder in SCANNED
        for path in sorted((root / folder).rglob("*.py"))
        for line, word in bare_status_literals(path.read_text(encoding="utf-8"))
    ]


def test_the_checker_finds_each_way_of_spelling_a_status():
    source = """
a.status == "open"
"voided" != coverage.status
d.status in ("received", "rejected")
payout.status = "clawed_back"
Inquiry(status="open")
update(Coverage).values(package_status="presumed_lost")
{"status": "pending", "other": "open"}
select().where(Coverage.status == "active")
text("status = 'open' AND package_status IN ('delivered', 'returned')")
"""
    assert [word for _, word in bare_status_literals(source)] == [
        "open",
        "voided",
        "received",
        "rejected",
        "clawed_back",
        "open",
        "presumed_lost",
        "pending",
        "active",
        "open",
        "delivered",
    ]


def test_the_checker_leaves_enum_members_and_other_words_alone():
    source = """
a.status == InquiryStatus.OPEN
coverage.status = CoverageStatus.VOIDED
Inquiry(status=InquiryStatus.OPEN, kind="open")
{"status": DeliveryStatus.PENDING, "state": "open"}
quote.status == "offered"
"""
    assert bare_status_literals(source) == []


def test_no_service_view_job_or_document_spells_a_status_as_a_bare_literal():
    assert scan(ROOT) == []
