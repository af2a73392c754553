from marshmallow import Schema, fields

from .common import KeysetArgs, Text, UTCDateTime


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


class AuditArgs(KeysetArgs):
    actor = Text(100)
    resource = Text(32)
    since = UTCDateTime(metadata={"description": "entries at or after"})
    until = UTCDateTime(metadata={"description": "entries before"})


class AuditVerifySchema(Schema):
    valid = fields.Boolean()
    entries = fields.Integer()
    first_invalid_id = fields.Integer(allow_none=True)
