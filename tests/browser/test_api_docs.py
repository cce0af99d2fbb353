"""The API documentation page works under its own-origin-only Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlsplit


def test_the_docs_page_renders_the_api_from_this_origin_only(page, live_server):
    refused: list[str] = []
    hosts: set[str] = set()
    page.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock-summary-path", has_text="/api/v1/quotes").first.wait_for()
    assert page.locator(".opblock").count() > 20
    assert not refused, refused
    assert hosts == {urlsplit(live_server.url).netloc}
