"""The migrations are the schema: they build it from nothing and match the models exactly."""

from __future__ import annotations

import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from config.settings import Settings
from forwarder_insure import create_app
from forwarder_insure.db.migrate import alembic_config
from forwarder_insure.db.models import Base
from forwarder_insure.db.session import make_engine
from tests.fixtures.database import (
    create_postgres_schema,
    drop_postgres_schema,
    postgres_schema_url,
    require_postgres,
)


def test_models_and_migrations_agree(migrated):
    with migrated.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_the_migrated_database_is_at_head(migrated):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with migrated.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


@pytest.fixture
def empty_database_url(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    require_postgres()
    schema = f"fi_empty_{secrets.token_hex(4)}"
    create_postgres_schema(schema)
    try:
        yield postgres_schema_url(schema)
    finally:
        drop_postgres_schema(schema)


def test_db_upgrade_command_builds_an_empty_database(empty_database_url, tmp_path):
    settings = Settings.from_env(
        {"FI_ENV": "testing", "FI_DATABASE_URL": empty_database_url}, instance_path=tmp_path
    )
    app = create_app(settings)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = make_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
        app.extensions["forwarder_insure"].database.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    # Running it again is a no-op.
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0


def test_every_migration_downgrades_cleanly(empty_database_url):
    from alembic import command

    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = make_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
