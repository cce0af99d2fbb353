"""The console's money page: advances still owed to us by underwriters, settlements the insurer
is late with, and the books per account and currency.

Read-only: ``services/money_views.py`` gathers it over the queries behind the API's
``/payouts?awaiting_insurer=true``, ``/claims?settlement_overdue=true`` and
``/ledger/balances``; this page allows the same roles.
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from blueprints.console.base import blp, requires, staff_caller
from blueprints.request_scope import db_session, request_now, runtime
from forwarder_insure.domain.ledger import ACCOUNT_NAMES
from forwarder_insure.domain.permissions import Action
from forwarder_insure.services import money_views

#: Advances listed at the most; the totals count them all.
LIST_LIMIT = 200


@blp.get("/money")
@requires(Action.READ_MONEY)
def money_page() -> Any:
    """Advances awaiting the insurer, overdue settlements, totals, and the ledger."""
    view = money_views.money_view(
        db_session(),
        staff_caller(),
        rules=runtime().claim_rules,
        now=request_now(),
        limit=LIST_LIMIT,
    )
    return render_template(
        "console/money.html",
        awaiting=view.awaiting,
        awaiting_count=view.awaiting_count,
        overdue_claims=view.overdue_claims,
        overdue_ids={claim.id for claim in view.overdue_claims},
        outstanding=view.outstanding,
        books=view.books,
        account_names={account.value: name for account, name in ACCOUNT_NAMES.items()},
        list_limit=LIST_LIMIT,
    )
