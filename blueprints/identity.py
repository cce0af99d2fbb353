"""Who am I, and the sellers an API key may see."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import Instant
from blueprints.request_scope import db_session, key_holder, request_now
from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.permissions import Action
from forwarder_insure.services.sellers import SELLER_ID_PATTERN, get_seller, set_seller_name

blp = ApiBlueprint("identity", __name__, description="The calling API key and its sellers")


class MeSchema(ma.Schema):
    role = ma.fields.String(required=True)
    seller_id = ma.fields.String(allow_none=True, required=True)
    key_prefix = ma.fields.String(required=True)


class SellerUpdateSchema(ma.Schema):
    name = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={
            "description": "Legal or trading name, printed on certificates; not blank",
            "pattern": r"\S",
        },
    )


class SellerSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(allow_none=True, required=True)
    created_at = Instant(required=True)


@blp.route("/me")
class Me(MethodView):
    @blp.requires(Action.READ_IDENTITY)
    @blp.response(200, MeSchema)
    def get(self):
        """The role and seller of the calling key: lets an integration check its set-up."""
        holder = key_holder()
        return {
            "role": holder.caller.role.value,
            "seller_id": holder.caller.seller_id,
            "key_prefix": holder.prefix,
        }


#: The seller id as ``services/sellers.py`` accepts it (the warehouse's customer code).
SELLER_ID_PARAMETER = {
    "in": "path",
    "name": "seller_id",
    "schema": {"type": "string", "pattern": SELLER_ID_PATTERN.pattern},
}


@blp.route("/sellers/<string:seller_id>", parameters=[SELLER_ID_PARAMETER])
class SellerById(MethodView):
    @blp.requires(Action.READ_SELLER)
    @blp.response(200, SellerSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, seller_id: str):
        """A seller; a seller key sees only its own (any other answers 404)."""
        return get_seller(db_session(), key_holder().caller, seller_id)

    @blp.requires(Action.MANAGE_SELLER)
    @blp.arguments(SellerUpdateSchema)
    @blp.response(200, SellerSchema)
    def put(self, data: dict, seller_id: str):
        """Register a seller or update its name (the warehouse's customer code is the id)."""
        if not data["name"].strip():
            raise Invalid("the name must not be blank", code="blank_name")
        return set_seller_name(db_session(), seller_id, data["name"], request_now())
