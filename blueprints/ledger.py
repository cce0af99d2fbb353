"""Money views for ops: ledger balances per account and currency."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import MoneySchema
from blueprints.request_scope import db_session
from forwarder_insure.domain.permissions import Action
from forwarder_insure.services import ledger

blp = ApiBlueprint("ledger", __name__, description="The books (ops)")


class BalanceSchema(ma.Schema):
    account = ma.fields.String(required=True)
    currency = ma.fields.Function(lambda b: b.balance.currency, required=True)
    balance = ma.fields.Nested(MoneySchema, required=True)


class BalancesSchema(ma.Schema):
    balances = ma.fields.List(ma.fields.Nested(BalanceSchema), required=True)


@blp.route("/ledger/balances")
class Balances(MethodView):
    @blp.requires(Action.READ_MONEY)
    @blp.response(200, BalancesSchema)
    def get(self):
        """Each account's balance per currency (debit positive); each currency sums to zero."""
        return {"balances": ledger.balances(db_session())}
