"""A coverage's own status: live until voided.

A coverage is ``active`` from binding; voiding it (before the first carrier scan, never under an
open claim) makes it ``voided`` for good. Nothing moves a claim on a voided coverage towards
payment (``domain/claims.check_coverage_live``).
"""

from __future__ import annotations

from enum import StrEnum


class CoverageStatus(StrEnum):
    ACTIVE = "active"
    VOIDED = "voided"
