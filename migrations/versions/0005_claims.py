"""Claims, claim documents and the claim timeline.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN_CLAIM = sa.text("status IN ('draft', 'submitted', 'needs_info', 'approved')")
STATUSES = (
    "'draft', 'submitted', 'needs_info', 'approved', 'payout_advanced', 'insurer_accepted', "
    "'settled', 'denied', 'lapsed', 'withdrawn'"
)
DOCUMENT_KINDS = (
    "'delivery_record', 'value_proof', 'delivery_certificate', 'damage_photos', "
    "'dispute_screenshot', 'carrier_loss_letter'"
)


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("coverage_id", sa.String(40), nullable=False),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_claimed_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_approved_minor", sa.BigInteger(), nullable=True),
        sa.Column("invoice_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("submitted_at", TIMESTAMP, nullable=True),
        sa.Column("grace_deadline", TIMESTAMP, nullable=True),
        sa.Column("checklist_complete_at", TIMESTAMP, nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column("risk_flags", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_claims_status_known")),
        sa.CheckConstraint(
            "kind IN ('lost', 'damaged', 'missing_contents')", name=op.f("ck_claims_kind_known")
        ),
        sa.CheckConstraint(
            "amount_claimed_minor > 0", name=op.f("ck_claims_amount_claimed_positive")
        ),
        sa.ForeignKeyConstraint(
            ["coverage_id"], ["coverages.id"], name=op.f("fk_claims_coverage_id_coverages")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_claims_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    op.create_index(
        "uq_claims_open_coverage_id",
        "claims",
        ["coverage_id"],
        unique=True,
        sqlite_where=OPEN_CLAIM,
        postgresql_where=OPEN_CLAIM,
    )
    op.create_index("ix_claims_seller_id_id", "claims", ["seller_id", "id"])
    op.create_index("ix_claims_status_id", "claims", ["status", "id"])
    op.create_table(
        "claim_documents",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("claim_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("filename", sa.String(160), nullable=False),
        sa.Column("content_type", sa.String(60), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(254), nullable=False),
        sa.Column("uploaded_at", TIMESTAMP, nullable=False),
        sa.Column("rejected_at", TIMESTAMP, nullable=True),
        sa.Column("rejection_reason", sa.String(500), nullable=True),
        sa.CheckConstraint(
            f"kind IN ({DOCUMENT_KINDS})", name=op.f("ck_claim_documents_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('received', 'rejected')", name=op.f("ck_claim_documents_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_documents_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_documents")),
    )
    op.create_index(op.f("ix_claim_documents_claim_id"), "claim_documents", ["claim_id"])
    op.create_index("ix_claim_documents_sha256", "claim_documents", ["sha256"])
    op.create_table(
        "claim_events",
        sa.Column("id", BIGINT_KEY, autoincrement=True, nullable=False),
        sa.Column("claim_id", sa.String(40), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("event", sa.String(48), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_events_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_events")),
    )
    op.create_index(op.f("ix_claim_events_claim_id"), "claim_events", ["claim_id"])


def downgrade() -> None:
    op.drop_table("claim_events")
    op.drop_table("claim_documents")
    op.drop_table("claims")
