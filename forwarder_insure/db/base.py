"""The declarative base, with a naming convention so Alembic names every constraint the same way
on SQLite and PostgreSQL, and the column types every model shares."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from forwarder_insure.domain.clock import ensure_utc

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always an aware UTC datetime in Python.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are written as UTC and
    read back with UTC attached. Naive datetimes are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal that is not money (an exchange rate), kept as text on every backend.

    SQLite has no exact decimal type, and storing a rate as a float would lose digits.
    """

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{value!r} is not a finite Decimal")
        return format(value, "f")

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def sql_string(value: str) -> str:
    """A lower_snake vocabulary value (a domain ``StrEnum`` member or a plain string) as a SQL
    string literal, spelled as the migrations spell it: ``'value'``."""
    text_value = str(value)
    if not text_value.replace("_", "").isalnum():
        raise ValueError(f"{text_value!r} is not a lower_snake vocabulary value")
    return f"'{text_value}'"


def in_list(column: str, values: Iterable[str]) -> str:
    """``column IN ('a', 'b')``: a CHECK constraint or index predicate built from the domain's
    own list of values (its ``StrEnum``, in declaration order), so the database and the code
    name the same statuses."""
    return f"{column} IN ({', '.join(sql_string(v) for v in values)})"


def equals(column: str, value: str) -> str:
    """``column = 'value'``: an index predicate on one vocabulary value."""
    return f"{column} = {sql_string(value)}"


#: JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

#: 64-bit surrogate keys; SQLite only autoincrements a column declared INTEGER.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}
