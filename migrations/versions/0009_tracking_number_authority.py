"""Tracking numbers: who attached them, and whether the warehouse confirmed them.

The warehouse prints the labels, so only a number attached (or confirmed) with a warehouse key is
believed: the one-live-package-per-number index now holds confirmed numbers only, and a seller's
attach of a number somebody else uses no longer collides with it. Numbers attached before this
revision were already unique and already matched scans; they are kept as confirmed (at binding)
with an unknown source.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_WHERE = sa.text("status = 'active' AND tracking_number IS NOT NULL")
CONFIRMED_WHERE = sa.text(
    "status = 'active' AND tracking_number IS NOT NULL AND tracking_confirmed_at IS NOT NULL"
)


def upgrade() -> None:
    with op.batch_alter_table("coverages") as batch:
        batch.add_column(sa.Column("tracking_source", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("tracking_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_check_constraint(
            op.f("ck_coverages_tracking_source_known"),
            "tracking_source IN ('warehouse', 'seller')",
        )
    op.execute(
        "UPDATE coverages SET tracking_confirmed_at = bound_at WHERE tracking_number IS NOT NULL"
    )
    op.drop_index("uq_coverages_active_tracking_number", table_name="coverages")
    op.create_index(
        "uq_coverages_active_tracking_number",
        "coverages",
        ["carrier", "tracking_number"],
        unique=True,
        sqlite_where=CONFIRMED_WHERE,
        postgresql_where=CONFIRMED_WHERE,
    )


def downgrade() -> None:
    # Unconfirmed numbers may repeat; the old index would refuse them, so they are dropped.
    op.execute("UPDATE coverages SET tracking_number = NULL WHERE tracking_confirmed_at IS NULL")
    op.drop_index("uq_coverages_active_tracking_number", table_name="coverages")
    op.create_index(
        "uq_coverages_active_tracking_number",
        "coverages",
        ["carrier", "tracking_number"],
        unique=True,
        sqlite_where=OLD_WHERE,
        postgresql_where=OLD_WHERE,
    )
    with op.batch_alter_table("coverages") as batch:
        batch.drop_constraint(op.f("ck_coverages_tracking_source_known"), type_="check")
        batch.drop_column("tracking_confirmed_at")
        batch.drop_column("tracking_source")
