"""Quoting and binding: underwriters, exchange rates, coverages, and the ledger.

The ledger is append-only, enforced by the database: postings and transactions cannot be updated
or deleted (SQLite and PostgreSQL), and on PostgreSQL a deferred constraint trigger refuses to
commit a transaction whose postings do not sum to zero per currency.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE_TRACKING = sa.text("status = 'active' AND tracking_number IS NOT NULL")

ACCOUNTS = [
    ("premiums_receivable", "Premiums receivable from sellers"),
    ("premiums_payable_underwriter", "Premiums payable to underwriters"),
    ("fee_income", "Commission income"),
    ("seller_payable", "Claim payouts payable to sellers"),
    ("claims_receivable_underwriter", "Claims receivable from underwriters"),
    ("claims_receivable_carrier", "Claims receivable from carriers"),
    ("seller_receivable", "Receivable from sellers (clawbacks)"),
    ("claims_loss", "Claim losses borne by us"),
]

APPEND_ONLY_TABLES = ("ledger_postings", "ledger_transactions")

PG_APPEND_ONLY = """
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$
"""

PG_BALANCED = """
CREATE FUNCTION ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    off record;
BEGIN
    SELECT currency, SUM(amount_minor) AS total INTO off
    FROM ledger_postings WHERE transaction_id = NEW.transaction_id
    GROUP BY currency HAVING SUM(amount_minor) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in % (off by %)',
            NEW.transaction_id, off.currency, off.total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "underwriters",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("licence_number", sa.String(64), nullable=False),
        sa.Column("jurisdictions", JSON_DOCUMENT, nullable=False),
        sa.Column("lines", JSON_DOCUMENT, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_underwriters")),
    )
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("base_currency", sa.String(3), nullable=False),
        sa.Column("quote_currency", sa.String(3), nullable=False),
        sa.Column("rate", sa.String(40), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint(
            "base_currency",
            "quote_currency",
            "effective_date",
            name=op.f("uq_exchange_rates_base_currency_quote_currency_effective_date"),
        ),
    )
    op.create_table(
        "coverages",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("quote_id", sa.String(40), nullable=False),
        sa.Column("certificate_number", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("order_reference", sa.String(100), nullable=False),
        sa.Column("package_reference", sa.String(100), nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("service", sa.String(48), nullable=True),
        sa.Column("tracking_number", sa.String(64), nullable=True),
        sa.Column("origin_country", sa.String(2), nullable=False),
        sa.Column("destination_country", sa.String(2), nullable=False),
        sa.Column("category", sa.String(48), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("package_status", sa.String(20), nullable=False),
        sa.Column("last_event_at", TIMESTAMP, nullable=True),
        sa.Column("first_scan_at", TIMESTAMP, nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("declared_minor", sa.BigInteger(), nullable=False),
        sa.Column("insured_minor", sa.BigInteger(), nullable=False),
        sa.Column("premium_minor", sa.BigInteger(), nullable=False),
        sa.Column("deductible_minor", sa.BigInteger(), nullable=False),
        sa.Column("base_cover_minor", sa.BigInteger(), nullable=True),
        sa.Column("underwriter_id", sa.String(40), nullable=False),
        sa.Column("underwriter_currency", sa.String(3), nullable=False),
        sa.Column("fx_rate", sa.String(40), nullable=True),
        sa.Column("fx_rate_date", sa.Date(), nullable=True),
        sa.Column("insured_underwriter_minor", sa.BigInteger(), nullable=False),
        sa.Column("premium_underwriter_minor", sa.BigInteger(), nullable=False),
        sa.Column("rate_card_version", sa.String(32), nullable=False),
        sa.Column("bound_at", TIMESTAMP, nullable=False),
        sa.Column("voided_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "package_status IN ('awaiting_pickup', 'in_transit', 'delivered', 'exception', "
            "'returned', 'presumed_lost')",
            name=op.f("ck_coverages_package_status_known"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'voided')", name=op.f("ck_coverages_status_known")
        ),
        sa.CheckConstraint(
            "premium_minor >= 0 AND insured_minor > 0", name=op.f("ck_coverages_amounts_positive")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_coverages_seller_id_sellers")
        ),
        sa.ForeignKeyConstraint(
            ["underwriter_id"],
            ["underwriters.id"],
            name=op.f("fk_coverages_underwriter_id_underwriters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverages")),
        sa.UniqueConstraint("certificate_number", name=op.f("uq_coverages_certificate_number")),
        sa.UniqueConstraint("quote_id", name=op.f("uq_coverages_quote_id")),
    )
    op.create_index("ix_coverages_seller_id_id", "coverages", ["seller_id", "id"])
    op.create_index(op.f("ix_coverages_underwriter_id"), "coverages", ["underwriter_id"])
    op.create_index(
        "uq_coverages_active_tracking_number",
        "coverages",
        ["carrier", "tracking_number"],
        unique=True,
        sqlite_where=ACTIVE_TRACKING,
        postgresql_where=ACTIVE_TRACKING,
    )

    accounts = op.create_table(
        "ledger_accounts",
        sa.Column("code", sa.String(48), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ledger_accounts")),
    )
    op.bulk_insert(accounts, [{"code": code, "name": name} for code, name in ACCOUNTS])
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(80), nullable=False),
        sa.Column("memo", sa.String(200), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint(
            "kind", "reference", name=op.f("uq_ledger_transactions_kind_reference")
        ),
    )
    op.create_table(
        "ledger_postings",
        sa.Column("id", BIGINT_KEY, autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.String(40), nullable=False),
        sa.Column("account", sa.String(48), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account"],
            ["ledger_accounts.code"],
            name=op.f("fk_ledger_postings_account_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_postings_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    op.create_index(
        "ix_ledger_postings_account_currency", "ledger_postings", ["account", "currency"]
    )
    op.create_index(
        op.f("ix_ledger_postings_transaction_id"), "ledger_postings", ["transaction_id"]
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_APPEND_ONLY)
        op.execute(PG_BALANCED)
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
            )
        op.execute(
            "CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION ledger_transaction_balanced()"
        )
    else:
        for table in APPEND_ONLY_TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: {action} on "
                    f"{table} refused'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_postings_balanced ON ledger_postings")
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION ledger_transaction_balanced()")
        op.execute("DROP FUNCTION ledger_append_only()")
    else:
        for table in APPEND_ONLY_TABLES:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
    op.drop_table("ledger_postings")
    op.drop_table("ledger_transactions")
    op.drop_table("ledger_accounts")
    op.drop_table("coverages")
    op.drop_table("exchange_rates")
    op.drop_table("underwriters")
