"""``INSERT … ON CONFLICT DO NOTHING`` on both supported databases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session, model: type[Any]) -> Any:
    """The INSERT of the session's database, which knows ``ON CONFLICT`` (PostgreSQL, SQLite)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model)


def insert_ignoring_conflicts(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]], conflict_columns: list[str]
) -> int:
    """Insert ``rows``, silently skipping those that collide on ``conflict_columns``.

    Returns how many rows were inserted. This is how concurrent writers of the same natural key
    settle without an error and without a read-then-write race.
    """
    if not rows:
        return 0
    statement = dialect_insert(session, model).values(list(rows))
    statement = statement.on_conflict_do_nothing(index_elements=conflict_columns)
    result = session.execute(statement)
    return max(cast(CursorResult[Any], result).rowcount or 0, 0)
