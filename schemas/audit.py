from marshmallow import Schema, fields, validate

from .common import Choice, PageArgs, Text, UTCDateTime


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = UTCDateTime()
    actor = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    method = fields.String()
    path = fields.String()
    status = fields.Integer(metadata={"description": "the HTTP status answered"})
    resource = fields.String(allow_none=True)
    resource_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()


class AuditArgs(PageArgs):
    actor = Text(100)
    resource = Text(32)
    resource_id = Text(100, metadata={"description": "entries about this record (its id)"})
    status = fields.Integer(
        validate=validate.Range(100, 599), metadata={"description": "the HTTP status answered"}
    )
    method = Choice(
        ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
        metadata={"description": "the HTTP method"},
    )
    since = UTCDateTime(metadata={"description": "entries at or after"})
    until = UTCDateTime(metadata={"description": "entries before"})


class AuditVerifySchema(Schema):
    valid = fields.Boolean()
    entries = fields.Integer()
    first_invalid_id = fields.Integer(allow_none=True)
