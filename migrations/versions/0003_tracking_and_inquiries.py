"""Tracking events, inquiries, and the sweep's deadlines on coverages.

Coverages get the carrier profile's silent period and loss window (frozen at binding) and two
precomputed deadlines, so the sweep is an index range scan instead of date arithmetic over every
parcel. Existing coverages get the default windows (7/21 days domestic, 14/45 international),
counted from their last scan or from binding.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
BIGINT_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LIVE_INQUIRY = sa.text("status IN ('open', 'presumed_lost')")
DUE = sa.text("inquiry_due_at IS NOT NULL")
WATCHED = ("awaiting_pickup", "in_transit", "exception")


def upgrade() -> None:
    with op.batch_alter_table("coverages") as batch:
        batch.add_column(sa.Column("silent_period_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("loss_window_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("inquiry_due_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("loss_due_at", TIMESTAMP, nullable=True))
    _backfill_windows()
    with op.batch_alter_table("coverages") as batch:
        batch.alter_column("silent_period_days", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("loss_window_days", existing_type=sa.Integer(), nullable=False)
    op.create_index(
        "ix_coverages_inquiry_due_at",
        "coverages",
        ["inquiry_due_at"],
        sqlite_where=DUE,
        postgresql_where=DUE,
    )

    op.create_table(
        "tracking_events",
        sa.Column("id", BIGINT_KEY, autoincrement=True, nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("tracking_number", sa.String(64), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("code", sa.String(24), nullable=False),
        sa.Column("description", sa.String(300), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("coverage_id", sa.String(40), nullable=True),
        sa.CheckConstraint(
            "code IN ('label_created', 'picked_up', 'in_transit', 'out_for_delivery', "
            "'delivered', 'exception', 'returned')",
            name=op.f("ck_tracking_events_code_known"),
        ),
        sa.ForeignKeyConstraint(
            ["coverage_id"], ["coverages.id"], name=op.f("fk_tracking_events_coverage_id_coverages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint(
            "carrier", "event_id", name=op.f("uq_tracking_events_carrier_event_id")
        ),
    )
    op.create_index(
        "ix_tracking_events_carrier_tracking_number",
        "tracking_events",
        ["carrier", "tracking_number"],
    )
    op.create_index(op.f("ix_tracking_events_coverage_id"), "tracking_events", ["coverage_id"])

    op.create_table(
        "inquiries",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("coverage_id", sa.String(40), nullable=False),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("last_event_at", TIMESTAMP, nullable=True),
        sa.Column("loss_window_ends_at", TIMESTAMP, nullable=False),
        sa.Column("presumed_lost_at", TIMESTAMP, nullable=True),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("resolution", sa.String(24), nullable=True),
        sa.Column("carrier_reference", sa.String(100), nullable=True),
        sa.Column("note", sa.String(1000), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'presumed_lost', 'resolved', 'closed')",
            name=op.f("ck_inquiries_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["coverage_id"], ["coverages.id"], name=op.f("fk_inquiries_coverage_id_coverages")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_inquiries_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiries")),
    )
    op.create_index(
        "uq_inquiries_live_coverage_id",
        "inquiries",
        ["coverage_id"],
        unique=True,
        sqlite_where=LIVE_INQUIRY,
        postgresql_where=LIVE_INQUIRY,
    )
    op.create_index(
        "ix_inquiries_status_loss_window_ends_at", "inquiries", ["status", "loss_window_ends_at"]
    )
    op.create_index("ix_inquiries_seller_id_id", "inquiries", ["seller_id", "id"])


def _backfill_windows() -> None:
    """Default windows and deadlines for coverages bound before this revision (row by row: the
    table is small when this runs, and it keeps the arithmetic out of dialect-specific SQL)."""
    coverages = sa.table(
        "coverages",
        sa.column("id", sa.String),
        sa.column("origin_country", sa.String),
        sa.column("destination_country", sa.String),
        sa.column("package_status", sa.String),
        sa.column("status", sa.String),
        sa.column("last_event_at", TIMESTAMP),
        sa.column("bound_at", TIMESTAMP),
        sa.column("silent_period_days", sa.Integer),
        sa.column("loss_window_days", sa.Integer),
        sa.column("inquiry_due_at", TIMESTAMP),
        sa.column("loss_due_at", TIMESTAMP),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            coverages.c.id,
            coverages.c.origin_country,
            coverages.c.destination_country,
            coverages.c.package_status,
            coverages.c.status,
            coverages.c.last_event_at,
            coverages.c.bound_at,
        )
    ).all()
    for row in rows:
        domestic = row.origin_country == row.destination_country
        silent, loss = (7, 21) if domestic else (14, 45)
        since = row.last_event_at or row.bound_at
        watched = row.status == "active" and row.package_status in WATCHED
        connection.execute(
            sa.update(coverages)
            .where(coverages.c.id == row.id)
            .values(
                silent_period_days=silent,
                loss_window_days=loss,
                inquiry_due_at=since + timedelta(days=silent) if watched else None,
                loss_due_at=since + timedelta(days=loss) if watched else None,
            )
        )


def downgrade() -> None:
    op.drop_table("inquiries")
    op.drop_table("tracking_events")
    op.drop_index("ix_coverages_inquiry_due_at", table_name="coverages")
    with op.batch_alter_table("coverages") as batch:
        batch.drop_column("loss_due_at")
        batch.drop_column("inquiry_due_at")
        batch.drop_column("loss_window_days")
        batch.drop_column("silent_period_days")
