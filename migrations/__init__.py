"""Alembic revisions: the only source of the schema."""
