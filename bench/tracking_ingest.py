"""Tracking ingestion throughput through the batch API on PostgreSQL.

Target (DESIGN.md §8): at least 3,000 events per second through ``POST /tracking/events``.

Loads parcels into a scratch PostgreSQL schema, serves the real app under gunicorn on loopback,
and posts batches of 1,000 new events (random known tracking numbers, unique event ids) from
several client threads over keep-alive connections. Run:

    python -m bench.tracking_ingest [--parcels 200000] [--batches 40] [--clients 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
from datetime import UTC, datetime, timedelta

from bench.postgres import load_parcels, scratch_schema
from bench.server import running_app
from forwarder_insure.db.session import make_engine

AS_OF = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def batches(parcels: int, count: int, size: int) -> list[bytes]:
    rng = random.Random(7)
    out = []
    for b in range(count):
        events = []
        for i in range(size):
            n = rng.randint(1, parcels)
            at = AS_OF + timedelta(minutes=rng.randint(1, 600))
            events.append(
                {
                    "event_id": f"bench-{b}-{i}",
                    "carrier": "usps",
                    "tracking_number": f"TRK{n:012d}",
                    "occurred_at": at.isoformat().replace("+00:00", "Z"),
                    "code": rng.choice(["in_transit", "out_for_delivery", "delivered"]),
                }
            )
        out.append(json.dumps({"events": events}).encode())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parcels", type=int, default=200_000)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bodies = batches(args.parcels, args.batches, 1000)

    with scratch_schema("bench_ingest") as url:
        engine = make_engine(url)
        load_parcels(engine, args.parcels, args.parcels // 20, AS_OF)
        engine.dispose()
        with running_app(args.workers, url) as (base, keys):
            host, port = base.removeprefix("http://").split(":")
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {keys['tracking']}",
            }
            queue = list(bodies)
            lock = threading.Lock()
            accepted = []

            def client() -> None:
                connection = http.client.HTTPConnection(host, int(port), timeout=60)
                while True:
                    with lock:
                        if not queue:
                            break
                        body = queue.pop()
                    connection.request(
                        "POST", "/api/v1/tracking/events", body=body, headers=headers
                    )
                    response = connection.getresponse()
                    payload = json.loads(response.read())
                    assert response.status == 202, payload
                    accepted.append(payload["accepted"])
                    if response.getheader("Connection", "").lower() == "close":
                        connection.close()
                        connection = http.client.HTTPConnection(host, int(port), timeout=60)
                connection.close()

            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started

    events = sum(accepted)
    print(
        f"parcels={args.parcels:,} batches={args.batches} x 1000 clients={args.clients} "
        f"workers={args.workers}"
    )
    print(
        f"{events:,} events accepted in {elapsed:.2f} s: {events / elapsed:,.0f} events/s "
        "(target >= 3,000)"
    )


if __name__ == "__main__":
    main()
