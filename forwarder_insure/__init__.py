"""forwarder_insure: shipment insurance and claims for a cloud-warehouse forwarder.

:func:`create_app` is the composition root: it resolves settings, opens the database, and wires
the HTTP adapters, error handling and CLI commands. Run it with
``gunicorn 'forwarder_insure:create_app()'``.
"""

from __future__ import annotations

import logging

from flask import Flask

from config.settings import Settings
from forwarder_insure.db.session import Database
from forwarder_insure.domain.clock import Clock, SystemClock
from forwarder_insure.runtime import EXTENSION_KEY, Runtime
from forwarder_insure.services.webhook_addresses import Resolver

API_TITLE = "forwarder_insure"
API_VERSION = "v1"


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    resolver: Resolver | None = None,
) -> Flask:
    """Build the app. Tests pass their own settings, clock, database and host resolver (so no
    test queries real DNS); production passes none."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    configure(app, settings)
    register_extensions(app, settings, clock or SystemClock(), database, resolver)
    register_rate_limits(app, settings)
    api = register_api(app)
    register_blueprints(app, api)
    register_errorhandlers(app)
    register_commands(app)
    return app


def configure(app: Flask, settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.env == "testing",
        # The hard ceiling for any body: the largest document plus room for multipart framing.
        # JSON requests get the much smaller FI_MAX_JSON_BYTES (blueprints/request_scope.py).
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        # Swagger UI is served from the package by blueprints/api_docs.py, never from a CDN.
        API_SPEC_OPTIONS={
            "info": {
                "description": "Shipment insurance and claims. Errors are RFC 9457 "
                "application/problem+json; money is {amount: decimal string, currency}."
            },
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )


def register_extensions(
    app: Flask,
    settings: Settings,
    clock: Clock,
    database: Database | None,
    resolver: Resolver | None = None,
) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    database = database or Database.from_url(settings.database_url, echo=settings.sql_echo)
    app.extensions[EXTENSION_KEY] = Runtime.build(settings, database, clock, resolver)


def register_rate_limits(app: Flask, settings: Settings) -> None:
    from blueprints import rate_limits

    rate_limits.init_app(app, settings)


def register_api(app: Flask):
    from blueprints import api_docs
    from blueprints.problems import ProblemApi

    api = ProblemApi(app)
    app.register_blueprint(api_docs.blp)
    return api


def register_blueprints(app: Flask, api) -> None:
    from blueprints import register_blueprints as register
    from blueprints.request_scope import init_request_scope

    init_request_scope(app)
    register(app, api)


def register_errorhandlers(app: Flask) -> None:
    from blueprints.problems import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from forwarder_insure.cli import register_cli

    register_cli(app)


def runtime_of(app: Flask) -> Runtime:
    return app.extensions[EXTENSION_KEY]
