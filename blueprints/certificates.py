"""Public certificate verification: anyone may check that a certificate is genuine (no key)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from blueprints.api_blueprint import ApiBlueprint
from blueprints.fields import Instant, MoneySchema
from blueprints.quotes import UnderwriterRefSchema
from blueprints.rate_limits import CERTIFICATES, limited
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
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.doc(security=[])
    @limited(CERTIFICATES)
    def get(self, certificate_number: str):
        """Is this certificate genuine and in force? No key needed, no seller data shown.

        A voided certificate answers ``valid: false``; an unknown or altered number answers 404.
        Each client address may ask ``FI_RATE_LIMIT_CERTIFICATES`` times (default 60 a minute);
        beyond that, 429 ``rate_limited`` with ``Retry-After``.
        """
        return certificates.verify(db_session(), certificate_number)
