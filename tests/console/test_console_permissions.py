"""The claim page reads the permission table: what a role may not do, it is not shown."""

from __future__ import annotations

from forwarder_insure.domain.access import Role
from tests.api.test_claim_documents import four_eyes_claim
from tests.console.conftest import add_staff, log_in
from tests.console.test_console_claim_actions import page_of

LIMIT_HINT = "Above 1000.00 USD a supervisor must approve"


def test_the_four_eyes_hint_is_for_those_the_table_holds_to_it(
    app, as_role, underwriter, clock, handler_page
):
    """A handler reads that a supervisor must approve above the limit; a supervisor, whom the
    table allows ``approve_above_four_eyes``, is not told to fetch one."""
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = four_eyes_claim(seller, handler, clock, "PERM-1")
    assert LIMIT_HINT in page_of(handler_page, claim["id"])

    add_staff(app, "supervisor@example.com", Role.SUPERVISOR)
    supervisor = app.test_client()
    assert log_in(supervisor, "supervisor@example.com").status_code == 303
    html = page_of(supervisor, claim["id"])
    assert 'id="approve"' in html
    assert LIMIT_HINT not in html
