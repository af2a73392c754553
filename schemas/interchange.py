from marshmallow import fields

from .base import Schema
from .common import FormatChoice


class CaseExportArgs(Schema):
    format = FormatChoice(("case",), "case: a CASE 1.5 / UCO JSON-LD graph (application/ld+json)")


class SigningKeyArgs(Schema):
    format = FormatChoice(
        ("pem", "json"),
        "pem: the current public key; json: it and every retired key, with the dates each "
        "was in use",
    )


class CaseImportArgs(Schema):
    accept_unsigned = fields.Boolean(
        load_default=False,
        metadata={
            "description": "take in a bundle that comes without a signature (recorded in "
            "the audit log with the request)"
        },
    )


class CaseImportSummarySchema(Schema):
    incident_id = fields.Integer()
    created = fields.Boolean(metadata={"description": "false: the bundle was imported before"})
    sender = fields.String()
    investigation = fields.String()
    signed = fields.Boolean()
    key_fingerprint = fields.String(allow_none=True)
    bundle_sha256 = fields.String()
    sources = fields.Integer()
    carried_events = fields.Integer()
