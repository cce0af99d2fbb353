"""Recovery tasks: a lost parcel we paid for turned up delivered; ops recover the money."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from forwarder_insure.db.models import Claim, RecoveryTask
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.errors import Conflict
from forwarder_insure.domain.payouts import RecoveryTaskStatus
from forwarder_insure.domain.permissions import Action, check
from forwarder_insure.services.claim_timeline import log
from forwarder_insure.services.pagination import Page, page
from forwarder_insure.services.scope import list_visible, lock_visible


def list_page(
    session: Session, caller: Caller, *, status: str | None, after: str | None, limit: int
) -> Page:
    """A cursor page of the recovery tasks the caller may see, newest first."""
    query = list_visible(RecoveryTask, caller, status=status, seller_id=None)
    return page(session, query, RecoveryTask.id, after, limit)


def close(session: Session, caller: Caller, task_id: str, note: str, now: datetime) -> RecoveryTask:
    check(caller, Action.CLOSE_RECOVERY_TASK)
    task = lock_visible(session, RecoveryTask, task_id, caller, "recovery task")
    if task.status != RecoveryTaskStatus.OPEN:
        raise Conflict("the recovery task is already closed", code="recovery_task_closed")
    task.status = RecoveryTaskStatus.CLOSED
    task.closed_at = now
    task.note = note
    log(session, session.get_one(Claim, task.claim_id), caller, "recovery_closed", note, now)
    return task
