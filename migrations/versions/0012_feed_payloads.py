"""Tracking providers' pushes kept for ops: one row per push to POST /tracking/feeds/{provider}.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "feed_payloads",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature_ok", sa.Boolean(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("push_event", sa.String(64), nullable=True),
        sa.Column("tracking_number", sa.String(64), nullable=True),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unknown", sa.Integer(), nullable=False),
        sa.Column("ignored", sa.Integer(), nullable=False),
        sa.Column("unknown_statuses", JSON_DOCUMENT, nullable=False),
        sa.Column("unknown_carriers", JSON_DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_payloads")),
    )
    op.create_index(
        "ix_feed_payloads_provider_received_at", "feed_payloads", ["provider", "received_at"]
    )
    op.create_index("ix_feed_payloads_expires_at", "feed_payloads", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_feed_payloads_expires_at", table_name="feed_payloads")
    op.drop_index("ix_feed_payloads_provider_received_at", table_name="feed_payloads")
    op.drop_table("feed_payloads")
