"""Liveness and readiness probes for load balancers and orchestrators (no API key)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from blueprints.request_scope import db_session
from forwarder_insure.services.health import check_database

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """The process answers. Deliberately touches nothing else: it is the cheapest request."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    """The process can reach its database."""
    check_database(db_session())
    return jsonify(status="ok")
