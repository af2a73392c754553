from marshmallow import Schema, fields

from .common import Choice

IMPORT_KINDS = ("agencies", "officers", "incidents", "involvements", "sources", "custody")


class ImportArgs(Schema):
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "validate everything, write nothing"})
    mode = Choice(("atomic", "partial"), load_default="atomic", metadata={
        "description": "atomic: any bad row and nothing is written (422); "
                       "partial: good rows are written, bad rows reported (200)"})


class ImportErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "data row, counted from 1"})
    field = fields.String(allow_none=True)
    message = fields.String()


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
        metadata={"description": "all errors found; `errors` lists the first 1000"})
    errors = fields.List(fields.Nested(ImportErrorSchema))
