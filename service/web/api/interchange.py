"""Interchange: an incident as a CASE/UCO evidence graph, the key its bundles are signed
with, and bundles taken in from other agencies (docs/interchange.md)"""

from flask import Response, current_app, request
from flask.views import MethodView

from schemas.interchange import (
    CaseExportArgs,
    CaseImportArgs,
    CaseImportSummarySchema,
    SigningKeyArgs,
)
from service.bulk import case_export, case_import, signing
from service.domain.errors import BadRequest, TooLarge, UnsupportedMediaType
from service.web import access

from .common import Blueprint, actor

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


CASE_IMPORT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["bundle"],
                "properties": {
                    "bundle": {"type": "string", "format": "binary"},
                    "signature": {
                        "type": "string",
                        "format": "binary",
                        "description": "the raw 64-byte Ed25519 signature (incident-ID.jsonld.sig)",
                    },
                    "public_key": {
                        "type": "string",
                        "format": "binary",
                        "description": "the sender's public key, PEM (public_key.pem)",
                    },
                },
            }
        },
        case_export.MEDIA_TYPE: {"schema": {"type": "object"}},
    },
}


def _part(name):
    upload = request.files.get(name)
    if upload is not None:
        return upload.read()
    value = request.form.get(name)
    return value.encode("utf-8") if value is not None else None


def _bundle_parts():
    """(bundle bytes, signature bytes or None, public key text or None) from the body."""
    if request.mimetype == "multipart/form-data":
        bundle, signature, public_key = _part("bundle"), _part("signature"), _part("public_key")
        if not bundle:
            raise BadRequest("send the bundle as the form's `bundle` part")
        return bundle, signature, public_key.decode("ascii", "replace") if public_key else None
    if request.mimetype in (case_export.MEDIA_TYPE, "application/json"):
        bundle = request.get_data()
        if not bundle:
            raise BadRequest("the body is empty: send the bundle")
        return bundle, None, None
    raise UnsupportedMediaType(
        "send multipart/form-data with the parts bundle, signature and public_key, or an "
        "unsigned bundle as application/ld+json"
    )


@blp.route("/imports/case")
@access.allow("admin", "importer")
@access.self_transacted
class CaseImport(MethodView):
    @blp.arguments(CaseImportArgs, location="query")
    @blp.response(200, CaseImportSummarySchema)
    @blp.alt_response(201, schema=CaseImportSummarySchema, description="the incident was created")
    @blp.alt_response(
        422,
        response="DEFAULT_ERROR",
        description="the signature, a hash or a chain does not verify: the first broken item "
        "is named",
    )
    @blp.alt_response(
        409,
        response="DEFAULT_ERROR",
        description="the investigation was "
        "imported before with other records, or the bundle is this service's own",
    )
    @blp.alt_response(413, response="DEFAULT_ERROR", description="body over the import limit")
    @blp.alt_response(415, response="DEFAULT_ERROR", description="not multipart or JSON-LD")
    @blp.doc(requestBody=CASE_IMPORT_BODY)
    def post(self, args):
        """Take in another agency's CASE bundle as an incident (the same bundle twice: unchanged)

        The signature is checked over the bundle's exact bytes with the public key sent with
        it; `accept_unsigned=true` takes in a bundle without one (the request, with its query,
        is in the audit log). Answers 201 when the incident was created, 200 when the
        investigation had been imported already.
        """
        if (request.content_length or 0) > current_app.config["MAX_IMPORT_BYTES"]:
            raise TooLarge(
                f"the body is larger than the import limit of "
                f"{current_app.config['MAX_IMPORT_BYTES']:,} bytes (EVIDENCE_MAX_IMPORT_BYTES)"
            )
        bundle, signature, public_key = _bundle_parts()
        base, _ = case_export.instance_settings(current_app.config)
        summary = case_import.import_bundle(
            bundle,
            signature,
            public_key,
            accept_unsigned=args["accept_unsigned"],
            actor=actor(),
            receiver=current_app.config["AGENCY_NAME"],
            own_base=base,
        )
        return summary, 201 if summary["created"] else 200
