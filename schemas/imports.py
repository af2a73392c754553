from marshmallow import fields

from service.domain.vocabulary import IMPORT_KINDS

from .base import Schema
from .common import Choice


class ImportArgs(Schema):
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "validate everything, write nothing"}
    )
    mode = Choice(
        ("atomic", "partial"),
        load_default="atomic",
        metadata={
            "description": "atomic: any bad row and nothing is written (422); "
            "partial: good rows are written, bad rows reported (200)"
        },
    )


class ImportErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "data row, counted from 1"})
    field = fields.String(allow_none=True)
    message = fields.String()


class ImportChangeSchema(Schema):
    row = fields.Integer(metadata={"description": "data row, counted from 1"})
    id = fields.Integer(metadata={"description": "the record updated"})
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")


class ImportSummarySchema(Schema):
    kind = Choice(IMPORT_KINDS)
    mode = Choice(("atomic", "partial"))
    dry_run = fields.Boolean()
    received = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.Integer()
    errors_total = fields.Integer(
        metadata={"description": "all errors found; `errors` lists the first 1000"}
    )
    errors = fields.List(fields.Nested(ImportErrorSchema))
    changes_total = fields.Integer(
        metadata={"description": "rows that updated a record; `changes` lists the first 1000"}
    )
    changes = fields.List(
        fields.Nested(ImportChangeSchema),
        metadata={"description": "which record each updating row changed, and which fields"},
    )


class BundleSummarySchema(ImportSummarySchema):
    kind = Choice(("bundle",))
    records = fields.Dict(
        keys=fields.String(metadata={"enum": list(IMPORT_KINDS)}),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "the counts of each kind the bundle held"},
    )


class BundleRejectedSchema(BundleSummarySchema):
    """422: rows were rejected in atomic mode or a dry run found them (`errors`)."""

    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    errors = fields.Raw(metadata={"description": "a list of {row, field, message}"})


class ImportRejectedSchema(ImportSummarySchema):
    """422: rows were rejected in atomic mode (`errors` lists them), or the query string
    or a CSV header was invalid (`errors` maps the fields to their problems)."""

    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    errors = fields.Raw(
        metadata={
            "description": "a list of {row, field, message} for rejected rows; an object of "
            "field problems for an invalid query string or CSV header"
        }
    )


# The body is read as a stream, not through a schema: documented here for OpenAPI.
IMPORT_BODY = {
    "required": True,
    "description": "The rows: CSV with a header row, NDJSON (one JSON object a line) or a "
    "JSON array of objects, UTF-8. Fields as in the resource, plus references "
    "by external key; see docs/import.md.",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/x-ndjson": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    },
}


BUNDLE_BODY = {
    "required": True,
    "description": "Records of every kind, each with `record` naming its kind (agencies, "
    "officers, incidents, involvements, sources, custody), as NDJSON or a JSON array; "
    "applied in that order whatever the order in the file. See docs/import.md.",
    "content": {
        "application/x-ndjson": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    },
}
