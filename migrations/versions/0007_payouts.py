"""Payouts, recovery tasks, the insurer's side of a claim, and the cash-received account.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
OLD_STATUSES = (
    "'draft', 'submitted', 'needs_info', 'approved', 'payout_advanced', 'insurer_accepted', "
    "'settled', 'denied', 'lapsed', 'withdrawn'"
)
NEW_STATUSES = (
    "'draft', 'submitted', 'needs_info', 'approved', 'payout_advanced', 'insurer_accepted', "
    "'settled', 'insurer_rejected', 'denied', 'lapsed', 'withdrawn'"
)
OLD_STANDING = sa.text(
    "status IN ('draft', 'submitted', 'needs_info', 'approved', 'payout_advanced', "
    "'insurer_accepted', 'settled')"
)
NEW_STANDING = sa.text(
    "status IN ('draft', 'submitted', 'needs_info', 'approved', 'payout_advanced', "
    "'insurer_accepted', 'settled', 'insurer_rejected')"
)
OPEN_TASK = sa.text("status = 'open'")
CLAIM_COLUMNS = (
    "filed_with_insurer_at",
    "insurer_accepted_at",
    "settlement_due_at",
    "settlement_overdue_at",
    "settled_at",
)


def _statuses(statuses: str, standing: sa.TextClause) -> None:
    op.drop_index("uq_claims_standing_coverage_id", table_name="claims")
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint(op.f("ck_claims_status_known"), type_="check")
        batch.create_check_constraint(op.f("ck_claims_status_known"), f"status IN ({statuses})")
    op.create_index(
        "uq_claims_standing_coverage_id",
        "claims",
        ["coverage_id"],
        unique=True,
        sqlite_where=standing,
        postgresql_where=standing,
    )


def upgrade() -> None:
    accounts = sa.table("ledger_accounts", sa.column("code"), sa.column("name"))
    op.bulk_insert(
        accounts,
        [{"code": "cash_received", "name": "Claim money received from underwriters and carriers"}],
    )
    _statuses(NEW_STATUSES, NEW_STANDING)
    op.add_column(
        "claims",
        sa.Column("fast_tracked", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("claims", sa.Column("insurer_reference", sa.String(100), nullable=True))
    for column in CLAIM_COLUMNS:
        op.add_column("claims", sa.Column(column, TIMESTAMP, nullable=True))
    op.create_table(
        "payouts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("claim_id", sa.String(40), nullable=False),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("carrier_part_minor", sa.BigInteger(), nullable=False),
        sa.Column("underwriter_part_minor", sa.BigInteger(), nullable=False),
        sa.Column("fast_track", sa.Boolean(), nullable=False),
        sa.Column("advanced_at", TIMESTAMP, nullable=False),
        sa.Column("ledger_transaction_id", sa.String(40), nullable=False),
        sa.Column("clawed_back_at", TIMESTAMP, nullable=True),
        sa.Column("insurer_paid_minor", sa.BigInteger(), nullable=True),
        sa.Column("insurer_paid_at", TIMESTAMP, nullable=True),
        sa.Column("carrier_paid_minor", sa.BigInteger(), nullable=True),
        sa.Column("carrier_paid_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status IN ('advanced', 'clawed_back')", name=op.f("ck_payouts_status_known")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payouts_amount_positive")),
        sa.CheckConstraint(
            "carrier_part_minor + underwriter_part_minor = amount_minor",
            name=op.f("ck_payouts_parts_add_up"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_payouts_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_payouts_seller_id_sellers")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_payouts_ledger_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_payouts_claim_id")),
    )
    op.create_index(op.f("ix_payouts_seller_id"), "payouts", ["seller_id"])
    op.create_index("ix_payouts_status_advanced_at", "payouts", ["status", "advanced_at"])
    op.create_table(
        "recovery_tasks",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("claim_id", sa.String(40), nullable=False),
        sa.Column("payout_id", sa.String(40), nullable=False),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("note", sa.String(1000), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_recovery_tasks_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_recovery_tasks_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_recovery_tasks_payout_id_payouts")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_recovery_tasks_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_tasks")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_recovery_tasks_claim_id")),
    )
    op.create_index(op.f("ix_recovery_tasks_seller_id"), "recovery_tasks", ["seller_id"])
    op.create_index(
        "ix_recovery_tasks_open",
        "recovery_tasks",
        ["opened_at"],
        sqlite_where=OPEN_TASK,
        postgresql_where=OPEN_TASK,
    )


def downgrade() -> None:
    op.drop_table("recovery_tasks")
    op.drop_table("payouts")
    for column in ("fast_tracked", "insurer_reference", *CLAIM_COLUMNS):
        op.drop_column("claims", column)
    op.execute("UPDATE claims SET status = 'denied' WHERE status = 'insurer_rejected'")
    _statuses(OLD_STATUSES, OLD_STANDING)
    op.execute("DELETE FROM ledger_accounts WHERE code = 'cash_received'")
