"""A scratch PostgreSQL schema for a benchmark, built by the migrations and dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from forwarder_insure.db import migrate
from forwarder_insure.db.session import make_engine

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_schema(prefix: str) -> Iterator[str]:
    """Yield a database URL whose search_path is a fresh, migrated schema."""
    base = os.environ.get("FI_BENCH_POSTGRES_URL", DEFAULT_URL)
    schema = f"{prefix}_{secrets.token_hex(4)}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


PARCELS = """
INSERT INTO sellers (id, name, created_at)
SELECT 'S-' || n, 'Seller ' || n, :bound FROM generate_series(1, 500) AS n;

INSERT INTO underwriters (id, name, licence_number, jurisdictions, lines, country, currency,
                          active_from, priority, created_at)
VALUES ('uw_bench', 'Bench Underwriter', 'B-1', '["*"]', '["*"]', 'US', 'USD',
        '2026-01-01', 100, :bound);

INSERT INTO coverages (
    id, quote_id, certificate_number, status, seller_id, order_reference, package_reference,
    carrier, service, tracking_number, tracking_source, tracking_confirmed_at, origin_country,
    destination_country, category, weight_grams, package_status, last_event_at, first_scan_at,
    silent_period_days, loss_window_days, inquiry_due_at, loss_due_at, currency, declared_minor,
    insured_minor, premium_minor, deductible_minor, underwriter_id, underwriter_currency,
    insured_underwriter_minor, premium_underwriter_minor, rate_card_version, bound_at)
SELECT
    'cov_' || lpad(n::text, 12, '0'), 'quo_' || n, 'FI-' || lpad(n::text, 12, '0'), 'active',
    'S-' || (n % 500 + 1), 'ORD-' || n, 'ORD-' || n || '/1', 'usps', 'priority',
    'TRK' || lpad(n::text, 12, '0'), 'warehouse', scan - interval '2 days', 'CN', 'US',
    'electronics', 1200, 'in_transit',
    scan, scan - interval '1 day', 14, 45,
    scan + interval '14 days', scan + interval '45 days',
    'USD', 25000, 25000, 375, 0, 'uw_bench', 'USD', 25000, 375, '2026-11.1',
    scan - interval '2 days'
FROM (
    SELECT n,
           CASE WHEN n % (:packages / :silent) = 0
                THEN :as_of - interval '20 days'                 -- silent for 20 days
                ELSE :as_of - (n % 10 + 1) * interval '1 hour'   -- scanned in the last hours
           END AS scan
    FROM generate_series(1, :packages) AS n
) AS parcels;
"""


def load_parcels(engine: Engine, packages: int, silent: int, as_of: datetime) -> None:
    """``packages`` in-transit parcels, ``silent`` of them without news for 20 days, loaded by
    the database itself (generate_series), then VACUUM ANALYZE."""
    params = {
        "packages": packages,
        "silent": silent,
        "as_of": as_of,
        "bound": as_of - timedelta(days=30),
    }
    with engine.begin() as conn:
        for statement in PARCELS.split(";\n\n"):
            conn.execute(text(statement), params)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
