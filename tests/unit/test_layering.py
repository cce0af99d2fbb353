"""The HTTP layer runs no queries of its own: no module under blueprints/ imports the models or
SQLAlchemy; views call services and get rows or plain data back."""

from __future__ import annotations

import ast
from pathlib import Path

BLUEPRINTS = Path(__file__).resolve().parents[2] / "blueprints"
FORBIDDEN = ("forwarder_insure.db.models", "sqlalchemy")

#: The one exception. request_scope.py is the unit of work's edge for a request: it opens the
#: session, commits or rolls it back and closes it, and names the ``Session`` type it hands to
#: services. It runs no query (a test below holds it to that).
ALLOWED = {"request_scope.py": {"sqlalchemy.orm"}}

QUERY_CALLS = {"execute", "scalars", "scalar", "select", "get_one"}


def imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def modules() -> list[Path]:
    found = sorted(BLUEPRINTS.rglob("*.py"))
    assert found, "no blueprint modules found"
    return found


def test_no_blueprint_imports_the_models_or_sqlalchemy():
    offending = []
    for path in modules():
        allowed = ALLOWED.get(str(path.relative_to(BLUEPRINTS)), set())
        for name in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if name in allowed:
                continue
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                offending.append(f"{path.relative_to(BLUEPRINTS)}: {name}")
    assert offending == []


def test_no_blueprint_runs_a_query():
    """No ``session.execute``/``scalars``/``get_one`` or ``select(...)`` in a view: a Flask
    ``session.get`` (the cookie) is not a query and is not looked for."""
    offending = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in QUERY_CALLS:
                offending.append(f"{path.relative_to(BLUEPRINTS)}:{node.lineno} {name}()")
    assert offending == []
