"""Start the real app under gunicorn on loopback for a benchmark, with demo data loaded."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from config.settings import Settings
from demo.seed import load_demo
from forwarder_insure import create_app
from forwarder_insure.db import migrate


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepared_app(
    instance: Path, database_url: str | None = None
) -> tuple[dict[str, str], Flask, dict[str, str]]:
    """(environment, app, {role: api key}) of the app a benchmark runs: production settings, a
    migrated database (by default a fresh SQLite file in ``instance``), the demo data loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FI_")}
    env |= {
        "FI_ENV": "production",
        "FI_INSTANCE_PATH": str(instance),
        "FI_SECRET_KEY": "benchmark-secret-key-0123456789abcdef0123456789",
        "FI_DATABASE_URL": database_url or f"sqlite:///{instance / 'bench.sqlite3'}",
        "FI_LOG_LEVEL": "WARNING",
        "FI_PUBLIC_URL": "http://127.0.0.1",
        # One key at full speed is what the limiter exists to refuse; it still counts every
        # request here, so its cost stays in the figures.
        "FI_RATE_LIMIT_API_KEY": "100000000/minute",
    }
    settings = Settings.from_env(env)
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    runtime = app.extensions["forwarder_insure"]
    with runtime.database.unit_of_work() as session:
        keys = {r.value: k for r, k in load_demo(session, settings.secret_key, runtime.clock.now())}
    return env, app, keys


@contextmanager
def running_app(
    workers: int, database_url: str | None = None, worker_class: str = "sync"
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield (base URL, {role: api key}) of a gunicorn-served app; stop it afterwards."""
    instance = Path(tempfile.mkdtemp(prefix="fi-bench-"))
    env, app, keys = prepared_app(instance, database_url)
    app.extensions["forwarder_insure"].database.dispose()

    port = free_port()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    process = subprocess.Popen(  # noqa: S603
        [
            gunicorn or "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "forwarder_insure:create_app()",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base, keys
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(instance, ignore_errors=True)
