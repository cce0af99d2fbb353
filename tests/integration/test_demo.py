"""`forwarder-insure demo` from nothing: migrates, prints working keys, serves on the given port."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

EXPECTED_ROLES = {"seller", "warehouse", "tracking", "handler", "supervisor"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_command() -> list[str]:
    script = shutil.which("forwarder-insure", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.fail("the forwarder-insure console script is not installed next to this Python")
    return [script]


def get(url: str, key: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)  # noqa: S310 (loopback http only)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback only)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def start_demo(
    tmp_path: Path, port: int, logins: dict[str, tuple[str, str]] | None = None
) -> tuple[subprocess.Popen, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FI_")}
    env["FI_INSTANCE_PATH"] = str(tmp_path / "instance")
    process = subprocess.Popen(  # noqa: S603
        [*demo_command(), "demo", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    keys: dict[str, str] = {}
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("api-key "):
            _, role, key = line.split()
            keys[role] = key
        if line.startswith("console-login ") and logins is not None:
            _, role, email, password = line.split()
            logins[role] = (email, password)
        if line.startswith("serving "):
            break
    return process, keys


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the demo server did not come up")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    if process.stdout is not None:
        process.stdout.close()


def console_login(port: int, email: str, password: str) -> str:
    """Log in to the ops console as a browser would; returns the page it lands on."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    base = f"http://127.0.0.1:{port}/ops"
    with opener.open(f"{base}/login", timeout=5) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode()).group(1)
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    with opener.open(f"{base}/login", data=form.encode(), timeout=5) as response:
        return response.geturl()


def test_demo_starts_from_nothing_prints_keys_and_serves(tmp_path):
    port = free_port()
    logins: dict[str, tuple[str, str]] = {}
    process, keys = start_demo(tmp_path, port, logins)
    try:
        assert set(keys) >= EXPECTED_ROLES
        wait_until_up(port)
        status, me = get(f"http://127.0.0.1:{port}/api/v1/me", keys["seller"])
        assert status == 200
        assert me["seller_id"] == "DEMO-SELLER"
        assert get(f"http://127.0.0.1:{port}/api/v1/me", keys["handler"])[1]["role"] == "handler"
        assert get(f"http://127.0.0.1:{port}/api/v1/me")[0] == 401
        status, claims = get(f"http://127.0.0.1:{port}/api/v1/claims", keys["handler"])
        assert status == 200
        statuses = sorted(c["status"] for c in claims["items"])
        assert statuses == ["draft", "payout_advanced", "payout_advanced", "submitted"]
        assert set(logins) == {"handler", "supervisor"}
        for email, password in logins.values():
            assert console_login(port, email, password) == f"http://127.0.0.1:{port}/ops/claims"
    finally:
        stop(process)
    assert (tmp_path / "instance" / "forwarder_insure.sqlite3").exists()

    # A second start reuses the database and prints the same keys.
    process, again = start_demo(tmp_path, port)
    try:
        assert again == keys
        wait_until_up(port)
        claims = get(f"http://127.0.0.1:{port}/api/v1/claims", keys["handler"])[1]["items"]
        assert len(claims) == 4  # the demo claims are filed once
    finally:
        stop(process)
