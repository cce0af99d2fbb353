"""The order-entry quote widget and its demo page: web pages, not API resources.

``/widget/quote-widget.js`` (with an optional stylesheet beside it) is a dependency-free script an
order-entry screen embeds to show our offer beside each package and bind the accepted ones through
the public API (``POST /api/v1/quotes``, ``POST /api/v1/coverages``) with the caller's own API
key. ``/demo/order-entry`` is a server-rendered order form wired to it.

Neither page holds a secret or touches the database: the API key is typed in the browser (or
passed in the address's fragment, ``#key=…``, which browsers never send to a server; the page
takes it into the tab's sessionStorage and removes it from the address bar) and is only ever sent
to the API, in a header. A key in the query string (``?key=``) would be written to every access
log on the way, so the page refuses such an address rather than serve it.

The demo form's choices come from the loaded rate card and carrier profiles, so it cannot offer
a category or currency the API would refuse.

Layout: templates under ``blueprints/templates/order_entry/``, the embeddable widget under
``blueprints/static/widget/``, the demo page's own script and stylesheet under
``blueprints/static/order_entry/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template, request, send_from_directory

from blueprints.request_scope import runtime

blp = Blueprint("order_entry", __name__, template_folder="templates")

STATIC = Path(__file__).parent / "static"
WIDGET_ASSETS = STATIC / "widget"
DEMO_ASSETS = STATIC / "order_entry"

#: The demo page talks to this app's API only, runs no inline code, and sends no Referer: a key
#: passed as ``#key=`` must not leak to another site before the page strips it from the URL.
DEMO_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

#: Three packages that quote out of the box with the default rate card and carrier profiles:
#: two offers and, to show what a decline looks like, one above the 10,000 USD cap.
DEMO_PACKAGES: tuple[dict[str, str], ...] = (
    {
        "reference": "ORD-1001/1",
        "amount": "250.00",
        "currency": "USD",
        "category": "electronics",
        "origin_country": "CN",
        "destination_country": "US",
        "carrier": "usps",
        "service": "priority",
        "weight_kg": "1.20",
    },
    {
        "reference": "ORD-1001/2",
        "amount": "180.00",
        "currency": "USD",
        "category": "apparel",
        "origin_country": "CN",
        "destination_country": "GB",
        "carrier": "dhl",
        "service": "express",
        "weight_kg": "0.80",
    },
    {
        "reference": "ORD-1001/3",
        "amount": "12500.00",
        "currency": "USD",
        "category": "art_and_collectibles",
        "origin_country": "CN",
        "destination_country": "US",
        "carrier": "ups",
        "service": "",
        "weight_kg": "3.50",
    },
)
DEMO_ORDER_REFERENCE = "ORD-1001"


def _label(slug: str) -> str:
    return slug.replace("_", " ").capitalize()


def _form_choices() -> dict[str, Any]:
    rt = runtime()
    card = rt.rate_card
    carriers = rt.carriers
    return {
        "insurable_categories": [(c, _label(c)) for c in sorted(card.base_rates)],
        "prohibited_categories": [(c, _label(c)) for c in sorted(card.prohibited_categories)],
        "currencies": sorted(card.currencies),
        "carriers": sorted(carriers.names.items()),
        "services": sorted({service for _, service in carriers.services}),
    }


@blp.get("/demo/order-entry")
def demo_order_entry() -> Response:
    """An order form of three packages with the quote widget beside it."""
    if request.args.get("key") is not None:
        # Refused, never used: keys travel in headers, and the fragment form reaches nobody.
        html = render_template("order_entry/key_in_address.html", path=request.path)
        return Response(html, status=400, mimetype="text/html", headers=DEMO_PAGE_HEADERS)
    html = render_template(
        "order_entry/demo.html",
        packages=DEMO_PACKAGES,
        order_reference=DEMO_ORDER_REFERENCE,
        **_form_choices(),
    )
    return Response(html, mimetype="text/html", headers=DEMO_PAGE_HEADERS)


@blp.get("/widget/<path:filename>")
def widget_asset(filename: str) -> Response:
    """The embeddable widget: ``quote-widget.js`` and its optional ``quote-widget.css``."""
    return send_from_directory(WIDGET_ASSETS, filename)


@blp.get("/demo/assets/<path:filename>")
def demo_asset(filename: str) -> Response:
    """The demo page's own script and stylesheet."""
    return send_from_directory(DEMO_ASSETS, filename)
