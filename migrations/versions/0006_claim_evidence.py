"""Claim evidence: document sources and rejection, inquiry letters, grace reminders, and one
standing claim per coverage (a paid claim also blocks a second one).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
OPEN_CLAIM = sa.text("status IN ('draft', 'submitted', 'needs_info', 'approved')")
STANDING_CLAIM = sa.text(
    "status IN ('draft', 'submitted', 'needs_info', 'approved', 'payout_advanced', "
    "'insurer_accepted', 'settled')"
)


def upgrade() -> None:
    op.drop_index("uq_claims_open_coverage_id", table_name="claims")
    op.create_index(
        "uq_claims_standing_coverage_id",
        "claims",
        ["coverage_id"],
        unique=True,
        sqlite_where=STANDING_CLAIM,
        postgresql_where=STANDING_CLAIM,
    )
    op.add_column("claims", sa.Column("grace_reminder_due_at", TIMESTAMP, nullable=True))
    op.add_column("claims", sa.Column("grace_reminded_at", TIMESTAMP, nullable=True))
    with op.batch_alter_table("claim_documents") as batch:
        batch.add_column(
            sa.Column("source", sa.String(12), server_default="upload", nullable=False)
        )
        batch.add_column(sa.Column("rejected_by", sa.String(254), nullable=True))
        batch.create_check_constraint("source_known", "source IN ('upload', 'system', 'inquiry')")
    op.create_table(
        "inquiry_documents",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("inquiry_id", sa.String(40), nullable=False),
        sa.Column("coverage_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("filename", sa.String(160), nullable=False),
        sa.Column("content_type", sa.String(60), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(254), nullable=False),
        sa.Column("uploaded_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "kind IN ('carrier_loss_letter')", name=op.f("ck_inquiry_documents_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["inquiries.id"],
            name=op.f("fk_inquiry_documents_inquiry_id_inquiries"),
        ),
        sa.ForeignKeyConstraint(
            ["coverage_id"],
            ["coverages.id"],
            name=op.f("fk_inquiry_documents_coverage_id_coverages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry_documents")),
    )
    op.create_index(op.f("ix_inquiry_documents_inquiry_id"), "inquiry_documents", ["inquiry_id"])
    op.create_index(op.f("ix_inquiry_documents_coverage_id"), "inquiry_documents", ["coverage_id"])


def downgrade() -> None:
    op.drop_table("inquiry_documents")
    with op.batch_alter_table("claim_documents") as batch:
        batch.drop_constraint("source_known", type_="check")
        batch.drop_column("rejected_by")
        batch.drop_column("source")
    op.drop_column("claims", "grace_reminded_at")
    op.drop_column("claims", "grace_reminder_due_at")
    op.drop_index("uq_claims_standing_coverage_id", table_name="claims")
    op.create_index(
        "uq_claims_open_coverage_id",
        "claims",
        ["coverage_id"],
        unique=True,
        sqlite_where=OPEN_CLAIM,
        postgresql_where=OPEN_CLAIM,
    )
