"""The tracking sweep on PostgreSQL at scale, against hand-written SQL doing the same work.

Targets (DESIGN.md §8): 1,000,000 packages of which 50,000 are silent are swept within 1.5x the
time of a hand-written ``INSERT … SELECT`` doing the same work; a second sweep with nothing new
takes under a second.

The same work: for every silent parcel, insert the inquiry, announce it in the outbox and clear
the parcel's inquiry deadline. The hand-written version does exactly that in one SQL statement
(data-modifying CTEs); ours is ``forwarder_insure.services.sweep.sweep``, which also checks for
parcels to presume lost and inquiries to resolve. Both run in turn, several rounds, each in a
transaction that is rolled back, so every round starts from the same table. Run:

    python -m bench.sweep [--packages 1000000] [--silent 50000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.postgres import load_parcels, scratch_schema
from forwarder_insure.db.session import make_engine
from forwarder_insure.services.sweep import sweep

AS_OF = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)

HAND_WRITTEN = """
WITH opened AS (
    INSERT INTO inquiries (id, coverage_id, seller_id, status, opened_at, last_event_at,
                           loss_window_ends_at)
    SELECT 'inq_' || replace(gen_random_uuid()::text, '-', ''), c.id, c.seller_id, 'open',
           :as_of, c.last_event_at, c.loss_due_at
    FROM coverages c
    WHERE c.inquiry_due_at <= :as_of
      AND c.status = 'active'
      AND c.package_status IN ('awaiting_pickup', 'in_transit', 'exception')
    RETURNING id, coverage_id, seller_id, status
), cleared AS (
    UPDATE coverages c SET inquiry_due_at = NULL FROM opened o WHERE c.id = o.coverage_id
)
INSERT INTO outbox_events (id, type, subject_type, subject_id, seller_id, actor, data,
                           created_at)
SELECT o.id || '.o', 'inquiry.opened', 'inquiry', o.id, o.seller_id, 'system',
       jsonb_build_object('inquiry_id', o.id, 'coverage_id', o.coverage_id,
                          'status', o.status, 'carrier', c.carrier,
                          'tracking_number', c.tracking_number),
       :as_of
FROM opened o JOIN coverages c ON c.id = o.coverage_id
"""


def timed(engine, work) -> tuple[float, object]:
    with engine.connect() as conn:
        transaction = conn.begin()
        started = time.perf_counter()
        result = work(conn)
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, default=1_000_000)
    parser.add_argument("--silent", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with scratch_schema("bench_sweep") as url:
        engine = make_engine(url)
        started = time.perf_counter()
        load_parcels(engine, args.packages, args.silent, AS_OF)
        loaded_in = time.perf_counter() - started
        print(f"loaded {args.packages:,} packages ({args.silent:,} silent) in {loaded_in:.1f} s")

        def ours(conn):
            return sweep(Session(bind=conn), AS_OF)

        def hand_written(conn):
            return conn.execute(text(HAND_WRITTEN), {"as_of": AS_OF}).rowcount

        ours_times, hand_times = [], []
        for _ in range(args.rounds):
            elapsed, count = timed(engine, hand_written)
            hand_times.append(elapsed)
            elapsed, summary = timed(engine, ours)
            ours_times.append(elapsed)
            assert count == summary.opened == args.silent, (count, summary)

        # A second sweep with nothing new: commit a first sweep, then time another at once, and
        # again after VACUUM ANALYZE (what autovacuum will have done before the next night's run).
        with engine.begin() as conn:
            sweep(Session(bind=conn), AS_OF)
        second, summary = timed(engine, ours)
        assert summary.opened == summary.presumed_lost == summary.resolved == 0
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        vacuumed, summary = timed(engine, ours)
        assert summary.opened == summary.presumed_lost == summary.resolved == 0
        engine.dispose()

    ratio = statistics.median(ours_times) / statistics.median(hand_times)
    print(f"hand-written INSERT … SELECT (s): {', '.join(f'{t:.2f}' for t in hand_times)}")
    print(f"forwarder_insure sweep (s):       {', '.join(f'{t:.2f}' for t in ours_times)}")
    print(f"ratio sweep / hand-written (medians): {ratio:.2f}  (target <= 1.5)")
    print(
        f"second sweep, nothing new: {second * 1000:.0f} ms at once, "
        f"{vacuumed * 1000:.0f} ms after VACUUM ANALYZE  (target < 1000 ms)"
    )


if __name__ == "__main__":
    main()
