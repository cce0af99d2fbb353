"""All mapped tables. Import from here so Alembic and the services see one metadata."""

from forwarder_insure.db.base import Base
from forwarder_insure.db.models.access import ApiKey, Seller, StaffUser
from forwarder_insure.db.models.idempotency import IdempotencyRecord
from forwarder_insure.db.models.outbox import OutboxEvent

__all__ = ["ApiKey", "Base", "IdempotencyRecord", "OutboxEvent", "Seller", "StaffUser"]
