"""Interchange: an incident as a CASE/UCO evidence graph, the key its bundles are signed
with, and bundles taken in from other agencies (docs/interchange.md)"""

from flask import Response, current_app
from flask.views import MethodView

from schemas.interchange import (
    CaseExportArgs,
    SigningKeyArgs,
)
from service.bulk import case_export, signing
from service.web import access

from .common import Blueprint

blp = Blueprint("interchange", __name__, url_prefix="/api/v1")


@blp.route("/incidents/<int:incident_id>/export")
@access.audited_reads
class IncidentExport(MethodView):
    @blp.arguments(CaseExportArgs, location="query")
    @blp.response(200)
    @blp.doc(responses={200: {"content": {case_export.MEDIA_TYPE: {"schema": {"type": "object"}}}}})
    def get(self, args, incident_id):
        """An incident's evidence record as a CASE 1.5 / UCO JSON-LD graph

        Sign it with `evidence export incident ID -o DIR` to hand it to another agency.
        """
        base, sender = case_export.instance_settings(current_app.config)
        doc = case_export.export_incident(incident_id, base, sender)
        return Response(case_export.to_bytes(doc), mimetype=case_export.MEDIA_TYPE)


@blp.route("/signing-key")
class SigningKey(MethodView):
    @blp.arguments(SigningKeyArgs, location="query")
    @blp.response(200)
    @blp.doc(
        responses={
            200: {
                "content": {
                    "application/x-pem-file": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}},
                }
            }
        }
    )
    def get(self, args):
        """The public key that signs this service's bundles (PEM), or every key with its dates

        `?format=json` lists the current key and the retired ones, with the dates each was in
        use, so that a bundle signed before a rotation can still be verified.
        """
        keys = signing.published_keys(current_app.config["SIGNING_KEY_FILE"])
        if args["format"] == "json":
            return keys
        return Response(keys["current"]["public_key"], mimetype="application/x-pem-file")
