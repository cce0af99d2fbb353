"""Browser test fixtures: the real app served over HTTP, and Debian's chromium driven by Playwright.

The server is werkzeug's threaded WSGI server on 127.0.0.1 with a free port, over the committing
database, so its request threads see the rows a test commits and the test sees theirs. The
browser is the system chromium at /usr/bin/chromium (Debian's package, which ``.ci/run`` installs
through apt); Playwright never downloads one. Without it, browser tests skip with the reason, or
fail when ``FI_TEST_REQUIRE_BROWSER=1`` (as in CI).

Browser tests are about the page, not the database: they run once, on the first backend selected
(SQLite unless ``--db`` says otherwise), and skip with that reason on the others. Screenshots go
to ``test-artifacts/browser/`` (git-ignored); a failing test leaves one there too.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.fixtures.database import BACKENDS

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).parent
FAILED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config, items):
    chosen = (config.getoption("--db") or list(BACKENDS))[0]
    for item in items:
        if HERE not in item.path.parents:
            continue
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        if backend is not None and backend != chosen:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"browser tests run on one backend ({chosen}): "
                    "they test the page, not the database"
                )
            )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


def browser_unavailable_reason() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def require_browser() -> None:
    """Skip when there is no browser to drive, or fail when ``FI_TEST_REQUIRE_BROWSER=1``."""
    reason = browser_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("FI_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (and FI_TEST_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


class LiveServer:
    """The app on a real socket. ``quote_delay`` holds every quote request that many seconds, and
    ``max_concurrent_quotes`` records how many were ever being answered at once."""

    def __init__(self, app: Flask):
        self.app = app
        self.quote_delay = 0.0
        self.max_concurrent_quotes = 0
        self._quotes_now = 0
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="live-server", daemon=True
        )

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] != "/api/v1/quotes":
            return self.app(environ, start_response)
        with self._lock:
            self._quotes_now += 1
            self.max_concurrent_quotes = max(self.max_concurrent_quotes, self._quotes_now)
        try:
            if self.quote_delay:
                time.sleep(self.quote_delay)
            return self.app(environ, start_response)
        finally:
            with self._lock:
                self._quotes_now -= 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@pytest.fixture
def live_server(committing_app) -> Iterator[LiveServer]:
    server = LiveServer(committing_app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless, launched once per test session."""
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts(pytestconfig) -> Path:
    """Where screenshots go: ``test-artifacts/browser/`` under the project (git-ignored)."""
    path = pytestconfig.rootpath / "test-artifacts" / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(request, chromium, live_server, artifacts) -> Iterator[Any]:
    """A fresh browser context (1280 x 900, en-US, New York time) and page per test.

    Depends on ``live_server`` so it closes, with its connections, before the server stops. An
    uncaught error in the page's scripts fails the test.
    """
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900},
        locale="en-US",
        timezone_id="America/New_York",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    try:
        yield page
        if request.node.stash.get(FAILED, False):
            page.screenshot(path=artifacts / f"{request.node.name}-failure.png", full_page=True)
    finally:
        context.close()
    assert not script_errors, f"uncaught errors in the page: {script_errors}"


def publish_screenshot(pytestconfig, artifacts: Path, name: str) -> None:
    """With ``FI_TEST_UPDATE_SCREENSHOTS=1``, copy ``artifacts/<name>`` to ``docs/screenshots/``
    (the pictures the README shows); otherwise leave the docs alone."""
    if os.environ.get("FI_TEST_UPDATE_SCREENSHOTS") == "1":
        docs = pytestconfig.rootpath / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artifacts / name, docs / name)
