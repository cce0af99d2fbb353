"""The addresses `forwarder-insure demo` prints carry no API key where a server would log it: the
order-entry page gets the seller key in the fragment (``#key=…``), which browsers never send."""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.parse

from tests.integration.test_demo import demo_command, free_port, stop


def printed_lines(tmp_path, port: int) -> list[str]:
    """What the demo prints on stdout up to its last address line."""
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
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("ops console:"):
                break
    finally:
        stop(process)
    return lines


def test_no_printed_address_carries_a_key_in_its_query(tmp_path):
    lines = printed_lines(tmp_path, free_port())
    keys = {line.split()[1]: line.split()[2] for line in lines if line.startswith("api-key ")}
    assert "seller" in keys
    urls = [url for line in lines for url in re.findall(r"https?://\S+", line)]
    assert urls
    for url in urls:
        query = urllib.parse.urlsplit(url).query
        assert "key=" not in query, url
        assert not any(key in query for key in keys.values()), url
    order_entry = next(url for url in urls if "/demo/order-entry" in url)
    parts = urllib.parse.urlsplit(order_entry)
    assert (parts.path, parts.query) == ("/demo/order-entry", "")
    assert urllib.parse.parse_qs(parts.fragment) == {"key": [keys["seller"]]}
