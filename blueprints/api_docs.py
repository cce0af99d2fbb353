"""The interactive API documentation (Swagger UI) at ``/api/v1/docs``, served from this app only.

The page and its assets come from the ``swagger-ui-bundle`` package, not from a CDN: a page that
holds an API key in the browser must not run script fetched from a host we do not control. Its
Content-Security-Policy therefore allows this origin only, and the page runs no inline script
(flask-smorest's own Swagger page has one, so it is not used): ``swagger-init.js`` starts the UI
with the document's address read from the page, and switches off the online validator badge,
which would send the document to validator.swagger.io.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/api/v1/docs"

blp = Blueprint("api_docs", __name__, template_folder="templates", url_prefix=DOCS_PATH)

OUR_ASSETS = Path(__file__).parent / "static" / "api_docs"
#: The files of the Swagger UI distribution the page uses (nothing else of the package is served).
SWAGGER_UI_ASSETS = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
    }
)

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


@blp.after_request
def _headers(response: Response) -> Response:
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@blp.get("")
def page() -> str:
    """The Swagger UI page for this app's OpenAPI document."""
    return render_template("api_docs/swagger_ui.html", spec_url=url_for("api-docs.openapi_json"))


@blp.get("/<string:name>")
def asset(name: str) -> Response:
    """A file of the page: our initialiser, or one of Swagger UI's own."""
    if name == "swagger-init.js":
        return send_from_directory(OUR_ASSETS, name)
    if name not in SWAGGER_UI_ASSETS:
        abort(404)
    return send_from_directory(Path(str(swagger_ui_path)), name)
