"""The order-entry quote widget in a real browser: a seller quotes an order of three packages on
the demo page, binds two, and sees their certificates; re-quoting is debounced, never overlaps,
and drops answers to values that have since changed; API problems are shown as they come.

Runs on one backend only (see conftest). ``FI_TEST_UPDATE_SCREENSHOTS=1`` also copies the main
screenshot to ``docs/screenshots/order-entry.png``.
"""

from __future__ import annotations

import json
import re
import uuid

from sqlalchemy import select

from forwarder_insure.db.models import Coverage
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.certificates import is_valid_certificate_number
from tests.browser.conftest import publish_screenshot
from tests.fixtures.app import issue_key
from tests.fixtures.insurance import add_underwriter

DEMO = "/demo/order-entry"
QUOTES = "/api/v1/quotes"
COVERAGES = "/api/v1/coverages"


def open_demo(page, live_server, key: str):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}{DEMO}#key={key}")
    expect(page.locator(".fiq")).to_have_attribute("data-state", "ready")
    return page.locator(".fiq")


def row(page, reference: str):
    return page.locator(f'.fiq-table tbody tr[data-reference="{reference}"]')


def seller_key(app) -> str:
    add_underwriter(app)
    return issue_key(app, Role.SELLER, "S-1001")


def is_post_to(path: str):
    return lambda request: request.method == "POST" and request.url.endswith(path)


def test_seller_binds_two_of_three_packages_and_sees_their_certificates(
    page, live_server, committing_app, artifacts, pytestconfig
):
    from playwright.sync_api import expect

    key = seller_key(committing_app)
    binds = []
    sent_urls = []
    page.on("request", lambda r: binds.append(r) if is_post_to(COVERAGES)(r) else None)
    page.on("request", lambda r: sent_urls.append(r.url))

    open_demo(page, live_server, key)

    assert "key=" not in page.url  # taken into sessionStorage, out of the address bar
    expect(page.locator(".fiq-table tbody tr")).to_have_count(3)
    first, second, third = (row(page, f"ORD-1001/{n}") for n in (1, 2, 3))
    expect(first).to_have_attribute("data-status", "offered")
    expect(first.locator(".fiq-premium")).to_have_text("$3.75")
    expect(first.locator("td.fiq-num").first).to_have_text("$250.00")
    expect(second).to_have_attribute("data-status", "offered")
    expect(second.locator(".fiq-premium")).to_have_text("$1.37")
    expect(third).to_have_attribute("data-status", "declined")
    expect(third).to_contain_text("above the most we insure")
    expect(third).to_contain_text("value_above_maximum")
    expect(third.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text(
        "Offers for 2 of 3 packages. Declined: ORD-1001/3."
    )

    # The server's expiry (its clock is fixed at 10:00 UTC) in the browser's timezone, UTC on hover.
    expiry = page.locator(".fiq-expiry time")
    expect(expiry).to_have_attribute("datetime", re.compile(r"^2026-11-21T10:30:00(\.0+)?Z$"))
    expect(expiry).to_have_attribute("title", "2026-11-21 10:30:00 UTC")
    expect(expiry).to_have_text(re.compile(r"5:30\s*AM\s*EST$"))
    expect(page.locator(".fiq-countdown")).to_have_text(re.compile(r"^(30:00|29:[0-5]\d) left$"))

    bind = page.locator(".fiq-bind")
    expect(bind).to_be_disabled()
    page.get_by_label("Accept the offer for ORD-1001/1").focus()
    page.keyboard.press("Space")
    page.get_by_label("Accept the offer for ORD-1001/2").check()
    expect(page.get_by_label("Accept the offer for ORD-1001/1")).to_be_checked()
    expect(bind).to_have_text("Bind selected (2)")
    expect(page.locator(".fiq-total")).to_have_text("Premium for the selection: $5.12")
    page.screenshot(path=artifacts / "order-entry.png", full_page=True)

    bind.focus()
    page.keyboard.press("Enter")

    certificates = page.locator("[data-certificate]")
    expect(certificates).to_have_count(2)
    expect(page.get_by_role("status")).to_contain_text("Bound 2 of 2")
    expect(first).to_have_attribute("data-status", "bound")
    expect(second).to_have_attribute("data-status", "bound")
    expect(bind).to_be_disabled()
    expect(certificates.first).to_be_focused()  # the keyboard user lands on the result
    shown = set(certificates.all_inner_texts())
    assert all(is_valid_certificate_number(number) for number in shown), shown
    page.screenshot(path=artifacts / "order-entry-bound.png", full_page=True)

    keys = [request.headers["idempotency-key"] for request in binds]
    assert len(keys) == 2
    assert len(set(keys)) == 2
    assert all(uuid.UUID(k).version == 4 for k in keys)

    with committing_app.extensions["forwarder_insure"].database.unit_of_work() as session:
        coverages = session.scalars(select(Coverage)).all()
        assert len(coverages) == 2
        assert {c.certificate_number for c in coverages} == shown
        assert {c.package_reference for c in coverages} == {"ORD-1001/1", "ORD-1001/2"}
        assert {(c.order_reference, c.seller_id) for c in coverages} == {("ORD-1001", "S-1001")}

    assert sent_urls
    assert not [url for url in sent_urls if key in url]  # the key only ever went in a header
    publish_screenshot(pytestconfig, artifacts, "order-entry.png")


def test_binding_again_after_a_lost_answer_replays_instead_of_binding_twice(
    page, live_server, committing_app
):
    from playwright.sync_api import expect

    sent = []

    def lose_first_answer(route):
        sent.append(route.request.headers["idempotency-key"])
        response = route.fetch()  # the server binds...
        if len(sent) == 1:
            route.abort("connectionreset")  # ...but the browser never hears of it
        else:
            route.fulfill(response=response)

    page.route(f"**{COVERAGES}", lose_first_answer)
    open_demo(page, live_server, seller_key(committing_app))
    page.get_by_label("Accept the offer for ORD-1001/1").check()
    bind = page.locator(".fiq-bind")

    bind.click()
    expect(row(page, "ORD-1001/1")).to_contain_text("Binding again is safe")
    bind.click()

    expect(page.locator("[data-certificate]")).to_have_count(1)
    assert len(sent) == 2
    assert sent[0] == sent[1]
    with committing_app.extensions["forwarder_insure"].database.unit_of_work() as session:
        numbers = session.scalars(select(Coverage.certificate_number)).all()
    assert numbers == page.locator("[data-certificate]").all_inner_texts()


def test_offers_are_requoted_before_they_expire(page, live_server, committing_app):
    from playwright.sync_api import expect

    quotes = []
    page.on("request", lambda r: quotes.append(r) if is_post_to(QUOTES)(r) else None)
    page.clock.install()
    open_demo(page, live_server, seller_key(committing_app))
    countdown = page.locator(".fiq-countdown")
    expect(countdown).to_have_text(re.compile(r"^(30:00|29:5\d) left$"))
    before = len(quotes)

    page.clock.fast_forward("29:50")
    expect(countdown).to_have_text(re.compile(r"^0:\d\d left$"))
    page.clock.fast_forward("00:06")

    expect(countdown).to_have_text(re.compile(r"^(30:00|29:5\d) left$"))
    expect(page.locator(".fiq")).to_have_attribute("data-state", "ready")
    assert len(quotes) == before + 1


def test_every_control_is_labelled_and_the_page_fits_laptop_screens(
    page, live_server, committing_app, artifacts
):
    open_demo(page, live_server, seller_key(committing_app))

    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea, button")]
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                            && !(el.tagName === "BUTTON" && el.textContent.trim()))
            .map((el) => el.id || el.outerHTML)"""
    )
    assert unlabelled == []
    live = page.locator('[aria-live="polite"]')
    assert live.count() == 1
    assert "Offers for 2 of 3 packages" in live.inner_text()

    for width, height in ((1280, 800), (1024, 768), (1366, 768)):
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow}px of horizontal scrolling at {width}px"
    page.set_viewport_size({"width": 1024, "height": 768})
    page.screenshot(path=artifacts / "order-entry-1024.png", full_page=True)


def test_typing_quickly_sends_at_most_a_couple_of_quote_requests(page, live_server, committing_app):
    from playwright.sync_api import expect

    quotes = []
    page.on("request", lambda r: quotes.append(r) if is_post_to(QUOTES)(r) else None)
    open_demo(page, live_server, seller_key(committing_app))
    before = len(quotes)

    amount = page.get_by_label("Declared value").first
    amount.select_text()
    amount.press_sequentially("1999.99", delay=40)

    expect(row(page, "ORD-1001/1").locator("td.fiq-num").first).to_have_text("$1,999.99")
    expect(page.locator(".fiq")).to_have_attribute("data-state", "ready")
    typed = quotes[before:]
    assert 1 <= len(typed) <= 2, f"{len(typed)} quote requests for 7 keystrokes"
    last = json.loads(typed[-1].post_data)
    assert last["packages"][0]["declared_value"] == {"amount": "1999.99", "currency": "USD"}


def test_quotes_never_overlap_and_answers_to_changed_values_are_dropped(
    page, live_server, committing_app
):
    from playwright.sync_api import expect

    open_demo(page, live_server, seller_key(committing_app))
    page.evaluate(
        """() => {
            window.quotedAmounts = [];
            document.addEventListener("fiq:quoted", (event) => window.quotedAmounts.push(
                event.detail.quotes[0].insured_value.amount));
        }"""
    )
    live_server.quote_delay = 0.6
    amount = page.get_by_label("Declared value").first

    with page.expect_request(is_post_to(QUOTES)):
        amount.select_text()
        amount.press_sequentially("5")
    amount.press_sequentially("0")  # while the quote for "5" is still being answered

    expect(row(page, "ORD-1001/1").locator("td.fiq-num").first).to_have_text("$50.00")
    expect(page.locator(".fiq")).to_have_attribute("data-state", "ready")
    assert page.evaluate("window.quotedAmounts") == ["50.00"]
    assert live_server.max_concurrent_quotes == 1


def test_api_problems_are_shown_as_they_come(page, live_server, committing_app, artifacts):
    from playwright.sync_api import expect

    key = seller_key(committing_app)
    page.goto(f"{live_server.url}{DEMO}#key=fik_0000000000_not-a-key")

    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Unauthorized (HTTP 401): The API key is unknown or revoked.")
    expect(page.get_by_role("status")).to_have_text("No offers: the request failed.")
    expect(page.locator(".fiq-bind")).to_be_disabled()

    page.get_by_label("API key").fill(key)
    expect(page.locator(".fiq")).to_have_attribute("data-state", "ready")
    expect(alert).to_have_text("")

    page.get_by_label("Weight (kg)").nth(1).fill("-2")
    expect(alert).to_contain_text("Validation failed (HTTP 422)")
    field_error = re.compile("^Package 2 \\(ORD-1001/2\\) \u203a weight_kg: ")
    expect(alert.locator("li")).to_have_text([field_error])
    expect(page.locator(".fiq-table")).to_have_count(0)
    page.screenshot(path=artifacts / "order-entry-problem.png", full_page=True)


def test_a_key_in_the_query_string_is_refused_and_never_used(page, live_server, committing_app):
    from playwright.sync_api import expect

    key = seller_key(committing_app)
    quotes = []
    page.on("request", lambda r: quotes.append(r) if is_post_to(QUOTES)(r) else None)

    answer = page.goto(f"{live_server.url}{DEMO}?key={key}")

    assert answer.status == 400
    expect(page.get_by_role("alert")).to_contain_text("It was not used")
    assert key not in page.content()
    assert page.evaluate("Object.keys(sessionStorage)") == []
    assert quotes == []
    page.get_by_role("link", name="the order-entry page").click()
    expect(page.get_by_label("API key")).to_have_value("")


def test_the_pages_hold_no_secret_and_need_no_key(app):
    client = app.test_client()
    page = client.get(DEMO)
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert "fik_" not in page.get_data(as_text=True)
    assert "#key=" in page.get_data(as_text=True)  # the hint names the form that stays local
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"

    refused = client.get(f"{DEMO}?key=fik_secret_value")
    assert refused.status_code == 400
    assert "fik_secret_value" not in refused.get_data(as_text=True)
    assert refused.headers["Referrer-Policy"] == "no-referrer"

    script = client.get("/widget/quote-widget.js")
    assert script.status_code == 200
    assert script.mimetype in {"text/javascript", "application/javascript"}
    assert "ForwarderInsureQuoteWidget" in script.get_data(as_text=True)
    script.close()
    assert client.get("/widget/../order_entry.py").status_code == 404


def test_the_api_takes_a_key_only_from_the_authorization_header(app):
    key = seller_key(app)
    client = app.test_client()
    assert client.get(f"/api/v1/me?key={key}").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200
