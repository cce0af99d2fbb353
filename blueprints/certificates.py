"""Public certificate verification: anyone may check that a certificate is genuine (no key)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import Instant, MoneySchema
from blueprints.quotes import UnderwriterRefSchema
from blueprints.request_scope import db_session
from forwarder_insure.services import certificates

blp = ApiBlueprint("certificates", __name__, description="Public certificate verification")


class PublicCertificateSchema(ma.Schema):
    certificate_number = ma.fields.String(required=True)
    valid = ma.fields.Boolean(required=True)
    status = ma.fields.String(required=True)
    underwriter = ma.fields.Nested(UnderwriterRefSchema, required=True)
    insured_value = ma.fields.Nested(MoneySchema, required=True)
    issued_at = Instant(required=True)
    voided_at = Instant(allow_none=True, required=True)


@blp.route("/certificates/<string:certificate_number>")
class CertificateByNumber(MethodView):
    @blp.response(200, PublicCertificateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(security=[])
    def get(self, certificate_number: str):
        """Is this certificate genuine and in force? No key needed, no seller data shown.

        A voided certificate answers ``valid: false``; an unknown or altered number answers 404.
        """
        return certificates.verify(db_session(), certificate_number)
