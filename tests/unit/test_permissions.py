"""The one table of who may do what (``domain/permissions.py``)."""

from __future__ import annotations

import pytest

from forwarder_insure.domain.access import ALL_ROLES, SYSTEM, Caller, Role, at_least
from forwarder_insure.domain.errors import Forbidden
from forwarder_insure.domain.permissions import PERMISSIONS, Action, allowed, check, roles_for

SELLER = Caller(role=Role.SELLER, actor="key:s", seller_id="sel_1")
HANDLER = Caller(role=Role.HANDLER, actor="staff:h@example.test")


def test_every_action_has_an_entry_and_nothing_else_does():
    assert set(PERMISSIONS) == set(Action)


def test_every_entry_names_at_least_one_role_and_only_roles():
    for action, roles in PERMISSIONS.items():
        assert roles, action
        assert roles <= ALL_ROLES, action


def test_the_system_caller_of_jobs_may_do_every_staff_step():
    for action, roles in PERMISSIONS.items():
        if roles & at_least(Role.HANDLER):
            assert allowed(SYSTEM.role, action), action


@pytest.mark.parametrize(
    "action",
    [
        Action.APPROVE_CLAIM,
        Action.APPROVE_ABOVE_FOUR_EYES,
        Action.DENY_CLAIM,
        Action.REQUEST_DOCUMENTS,
        Action.REJECT_DOCUMENT,
        Action.ANSWER_INQUIRY,
        Action.RECORD_INSURER_SETTLEMENT,
        Action.READ_MONEY,
        Action.READ_REPORTS,
        Action.MANAGE_WEBHOOKS,
        Action.MANAGE_UNDERWRITERS,
    ],
)
def test_a_seller_never_works_claims_money_or_reference_data(action):
    assert not allowed(Role.SELLER, action)


def test_only_supervisors_and_admins_approve_above_the_four_eyes_limit():
    assert roles_for(Action.APPROVE_ABOVE_FOUR_EYES) == {Role.SUPERVISOR, Role.ADMIN}
    assert roles_for(Action.APPROVE_ABOVE_FOUR_EYES) < roles_for(Action.APPROVE_CLAIM)


def test_tracking_feeds_only_send_events_and_read_rates():
    may = {action for action in Action if allowed(Role.TRACKING, action)}
    assert may == {Action.INGEST_TRACKING, Action.READ_RATES, Action.READ_IDENTITY}


def test_check_refuses_with_role_not_allowed():
    with pytest.raises(Forbidden) as refused:
        check(SELLER, Action.APPROVE_CLAIM)
    assert refused.value.code == "role_not_allowed"
    assert refused.value.detail == "The seller role may not do this."
    check(HANDLER, Action.APPROVE_CLAIM)
    check(SELLER, Action.FILE_CLAIM)
