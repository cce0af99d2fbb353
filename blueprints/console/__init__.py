"""The ops console under ``/ops/`` (see :mod:`blueprints.console.base`)."""

from blueprints.console import claim_actions, claims, inquiries, money  # noqa: F401  (registers the pages)
from blueprints.console.base import blp

__all__ = ["blp"]
