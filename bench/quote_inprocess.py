"""What a one-package quote costs a worker next to /healthz, in-process, before and after a change.

``bench.quote_throughput`` says whether the throughput target is met, but through gunicorn, the
kernel and a load generator sharing the cores. This one calls the same app (``bench.server``:
production settings, demo data) as a plain WSGI callable with a prepared environ, in batches,
and reports the fastest batch's mean per request, the figure least disturbed by whatever else
the machine is doing. With ``--against REV`` it exports REV with ``git archive``, puts this
checkout's ``bench`` package in the export, and measures both trees alternately in fresh
processes, so a change is judged by one benchmark in one sitting. Run from the repository root:

    python -m bench.quote_inprocess [--against REV] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

BATCH = 300
BATCHES = 15


def _caller(app: Any, method: str, path: str, **request: Any) -> Callable[[], bytes]:
    """One WSGI call of ``app`` per invocation, each with a fresh body stream."""
    environ = EnvironBuilder(path=path, method=method, **request).get_environ()
    body = environ["wsgi.input"].read()
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    def call() -> bytes:
        statuses.clear()
        answer = b"".join(app(environ | {"wsgi.input": io.BytesIO(body)}, start_response))
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"{method} {path} answered {statuses[0]}: {answer[:300]!r}")
        return answer

    return call


def _microseconds(call: Callable[[], bytes]) -> float:
    for _ in range(BATCH):
        call()
    return min(timeit.repeat(call, number=BATCH, repeat=BATCHES)) / BATCH * 1e6


def measure() -> dict[str, float]:
    """Per-request µs of ``GET /healthz`` and of the one-package quote of the wrk benchmark."""
    from bench.quote_throughput import PACKAGE
    from bench.server import prepared_app

    with tempfile.TemporaryDirectory(prefix="fi-bench-") as instance:
        _, app, keys = prepared_app(Path(instance))
        healthz = _caller(app, "GET", "/healthz")
        quote = _caller(
            app,
            "POST",
            "/api/v1/quotes",
            data=json.dumps({"packages": [PACKAGE]}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {keys['seller']}"},
        )
        return {"healthz": _microseconds(healthz), "quote": _microseconds(quote)}


def _export(rev: str, into: Path) -> None:
    archive = subprocess.run(  # noqa: S603
        ["git", "archive", "--format=tar", rev],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    shutil.copytree(Path(__file__).parent, into / "bench", dirs_exist_ok=True)


def _measure_in(tree: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.quote_inprocess", "--one"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", metavar="REV", help="also measure this commit")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per tree")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure()))
        return

    with tempfile.TemporaryDirectory(prefix="fi-bench-rev-") as export:
        trees = {"this checkout": Path.cwd()}
        if args.against:
            _export(args.against, Path(export))
            trees = {args.against: Path(export)} | trees
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                runs[name].append(_measure_in(tree))

    print(f"per request, fastest of {BATCHES} batches of {BATCH}; best of {args.rounds} processes;")
    print("ratio = healthz / quote, the throughput ratio if nothing but the app cost time")
    print(f"{'tree':<16}{'healthz µs':>12}{'quote µs':>10}{'difference':>12}{'ratio':>7}")
    for name, results in runs.items():
        healthz = min(r["healthz"] for r in results)
        quote = min(r["quote"] for r in results)
        difference, ratio = quote - healthz, healthz / quote
        print(f"{name:<16}{healthz:>12.1f}{quote:>10.1f}{difference:>12.1f}{ratio:>7.2f}")
        rounds = "; ".join(f"{r['healthz']:.1f} / {r['quote']:.1f}" for r in results)
        print(f"{'':<16}rounds (healthz / quote): {rounds}")


if __name__ == "__main__":
    main()
