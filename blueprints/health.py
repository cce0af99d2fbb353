"""Liveness and readiness probes for load balancers and orchestrators (no API key)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from blueprints.request_scope import db_session

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """The process answers. Deliberately touches nothing else: it is the cheapest request."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    """The process can reach its database."""
    db_session().execute(text("SELECT 1"))
    return jsonify(status="ok")
