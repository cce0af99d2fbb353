"""HTTP adapters: one module per resource, translating requests to use cases and back.

Views parse with marshmallow schemas, call a service with the request's session, caller and
instant, and dump the result; they hold no business rules.
"""

from __future__ import annotations

from flask import Flask

from blueprints import (
    certificates,
    claims,
    console,
    coverages,
    health,
    identity,
    inquiries,
    insurer,
    ledger,
    openapi_nullable,
    order_entry,
    payouts,
    quotes,
    reports,
    tracking,
    tracking_feeds,
    underwriting,
    webhooks,
)
from blueprints.openapi_links import OperationLinks
from blueprints.problems import ProblemApi

API_PREFIX = "/api/v1"


def register_blueprints(app: Flask, api: ProblemApi) -> None:
    app.register_blueprint(health.blp)
    app.register_blueprint(order_entry.blp)
    app.register_blueprint(console.blp)
    openapi_nullable.register(api)
    links = OperationLinks()
    api.spec.plugins.append(links)
    links.init_spec(api.spec)
    for module in (
        identity,
        quotes,
        coverages,
        certificates,
        tracking,
        tracking_feeds,
        inquiries,
        claims,
        insurer,
        payouts,
        underwriting,
        ledger,
        reports,
        webhooks,
    ):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX)
    links.resolve()
