"""Quoting throughput against /healthz, and the latency of a 500-package quote.

Targets (DESIGN.md §8): a one-package quote served at >= 70 % of the throughput of /healthz on the
same server and worker count; 500 packages in one call well under 100 ms.

The app runs under gunicorn on loopback; wrk (Debian package ``wrk``) drives it. Healthz and quote
runs alternate, several rounds each, so both see the same machine conditions; the ratio of their
medians is the result. Run from the repository root:

    python -m bench.quote_throughput [--workers 2] [--seconds 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.server import running_app

PACKAGE = {
    "reference": "ORD-1/1",
    "declared_value": {"amount": "250.00", "currency": "USD"},
    "category": "electronics",
    "origin_country": "CN",
    "destination_country": "US",
    "carrier": "usps",
    "service": "priority",
    "weight_kg": "1.20",
}

LUA = """
wrk.method = "POST"
wrk.body = [[{body}]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
"""


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> float:
    """Requests per second that wrk measured (non-2xx answers make the run fail)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        command[1:1] = ["-s", script]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk saw error answers:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def large_quote_latency(base: str, key: str, packages: int, repeat: int) -> list[float]:
    host, port = base.removeprefix("http://").split(":")
    body = json.dumps({"packages": [PACKAGE | {"reference": f"P-{n}"} for n in range(packages)]})
    timings = []
    for _ in range(repeat):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        started = time.perf_counter()
        connection.request(
            "POST",
            "/api/v1/quotes",
            body=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        response = connection.getresponse()
        payload = response.read()
        timings.append((time.perf_counter() - started) * 1000)
        connection.close()
        assert response.status == 200, payload[:300]
        assert len(json.loads(payload)["quotes"]) == packages
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    with running_app(args.workers, args.database_url) as (base, keys):
        script = Path(tempfile.mkdtemp()) / "quote.lua"
        script.write_text(LUA.format(body=json.dumps({"packages": [PACKAGE]}), key=keys["seller"]))
        wrk(f"{base}/healthz", 2, args.connections)  # warm up both paths
        wrk(f"{base}/api/v1/quotes", 2, args.connections, str(script))
        health, quotes = [], []
        for _ in range(args.rounds):
            health.append(wrk(f"{base}/healthz", args.seconds, args.connections))
            quotes.append(wrk(f"{base}/api/v1/quotes", args.seconds, args.connections, str(script)))
        large_quote_latency(base, keys["seller"], 500, 3)  # warm up
        latency = large_quote_latency(base, keys["seller"], 500, 30)

    ratio = statistics.median(quotes) / statistics.median(health)
    print(
        f"workers={args.workers} connections={args.connections} "
        f"seconds={args.seconds} rounds={args.rounds}"
    )
    print(f"healthz req/s per round: {', '.join(f'{x:.0f}' for x in health)}")
    print(f"1-package quote req/s per round: {', '.join(f'{x:.0f}' for x in quotes)}")
    print(f"ratio quote/healthz (medians): {ratio:.2f}  (target >= 0.70)")
    print(
        f"500-package quote latency over 30 calls: median {statistics.median(latency):.1f} ms, "
        f"p95 {sorted(latency)[int(0.95 * len(latency)) - 1]:.1f} ms, max {max(latency):.1f} ms "
        "(target well under 100 ms)"
    )


if __name__ == "__main__":
    main()
