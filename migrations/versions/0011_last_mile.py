"""Last-mile legs: a cross-border parcel's destination carrier and number (Yanwen to USPS).

Four nullable columns on coverages; a last-mile number takes scans only once confirmed, and one
live package at most holds a confirmed (carrier, number) as its last-mile number.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIRMED_LAST_MILE = sa.text(
    "status = 'active' AND last_mile_tracking_number IS NOT NULL "
    "AND last_mile_confirmed_at IS NOT NULL"
)


def upgrade() -> None:
    with op.batch_alter_table("coverages") as batch:
        batch.add_column(sa.Column("last_mile_carrier", sa.String(32), nullable=True))
        batch.add_column(sa.Column("last_mile_tracking_number", sa.String(64), nullable=True))
        batch.add_column(sa.Column("last_mile_source", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("last_mile_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_check_constraint(
            op.f("ck_coverages_last_mile_source_known"),
            "last_mile_source IN ('warehouse', 'seller')",
        )
    op.create_index(
        "uq_coverages_active_last_mile_number",
        "coverages",
        ["last_mile_carrier", "last_mile_tracking_number"],
        unique=True,
        sqlite_where=CONFIRMED_LAST_MILE,
        postgresql_where=CONFIRMED_LAST_MILE,
    )


def downgrade() -> None:
    op.drop_index("uq_coverages_active_last_mile_number", table_name="coverages")
    with op.batch_alter_table("coverages") as batch:
        batch.drop_constraint(op.f("ck_coverages_last_mile_source_known"), type_="check")
        batch.drop_column("last_mile_confirmed_at")
        batch.drop_column("last_mile_source")
        batch.drop_column("last_mile_tracking_number")
        batch.drop_column("last_mile_carrier")
