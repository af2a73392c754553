from marshmallow import Schema, fields

from service.domain.vocabulary import CUSTODY_ACTIONS

from .common import Choice, FormatChoice, Id, KeysetArgs, Text, UTCDateTime
from .source import SHA256

HASH_DOC = "sha256(prev_hash + canonical JSON of the event's fields); see docs/custody.md"


class CustodyEventSchema(Schema):
    source_id = Id(dump_only=True)
    seq = fields.Integer(dump_only=True, metadata={"description": "1..n per source"})
    action = Choice(CUSTODY_ACTIONS, required=True)
    custodian = Text(
        300, allow_none=True, metadata={"description": "who holds the file after this event"}
    )
    occurred_at = UTCDateTime(allow_none=True, metadata={"description": "default: now"})
    location = Text(300, allow_none=True)
    sha256_observed = fields.String(
        allow_none=True,
        validate=SHA256,
        metadata={
            "description": "hash of the file as seen at this event; compared with the "
            "source's sha256 to set its integrity"
        },
    )
    note = Text(20000, allow_none=True)
    actor = fields.String(dump_only=True, metadata={"description": "the token that recorded it"})
    recorded_at = UTCDateTime(dump_only=True)
    prev_hash = fields.String(dump_only=True)
    hash = fields.String(dump_only=True, metadata={"description": HASH_DOC})


class CustodyListArgs(KeysetArgs):
    format = FormatChoice(("json", "csv"), "csv: the whole chain as one spreadsheet-safe table")


class CustodyVerificationSchema(Schema):
    source_id = Id()
    valid = fields.Boolean()
    events = fields.Integer(metadata={"description": "events stored for the source"})
    first_invalid_seq = fields.Integer(
        allow_none=True,
        metadata={"description": "the first position where the chain is not what was appended"},
    )
    head_hash = fields.String(
        allow_none=True, metadata={"description": "the last hash the service appended"}
    )
    problem = fields.String(allow_none=True)
