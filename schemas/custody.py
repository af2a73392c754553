from marshmallow import fields

from service.domain.vocabulary import CUSTODY_ACTIONS, CUSTODY_STATUSES, INTEGRITY_STATES

from .base import Schema
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
    late_entry_reason = Text(
        2000,
        allow_none=True,
        metadata={
            "description": "why the event is recorded out of time order: required when "
            "occurred_at is before the previous event's (hashed when given)"
        },
    )
    actor = fields.String(dump_only=True, metadata={"description": "the token that recorded it"})
    recorded_at = UTCDateTime(dump_only=True)
    prev_hash = fields.String(dump_only=True)
    hash = fields.String(dump_only=True, metadata={"description": HASH_DOC})
    custody_status = fields.String(
        dump_only=True,
        metadata={
            "enum": list(CUSTODY_STATUSES),
            "description": "the source's custody_status after this event (in the POST answer)",
        },
    )
    integrity = fields.String(
        dump_only=True,
        metadata={
            "enum": list(INTEGRITY_STATES),
            "description": "the source's integrity after this event (in the POST answer)",
        },
    )


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
    expected = fields.Dict(
        metadata={
            "description": "custody_status, integrity and legal_hold as the chain (and the "
            "active holds) imply them"
        }
    )
    recorded = fields.Dict(
        metadata={"description": "custody_status, integrity and legal_hold as the source says"}
    )


class IntegrityResolutionSchema(Schema):
    id = Id(dump_only=True)
    source_id = Id(dump_only=True)
    reason = Text(2000, 1, required=True, metadata={"description": "why the mismatch is resolved"})
    sha256 = fields.String(
        validate=SHA256,
        metadata={"description": "the hash the source holds from now on (default: the one it had)"},
    )
    previous_sha256 = fields.String(dump_only=True)
    observed_sha256 = fields.String(dump_only=True)
    mismatch_seq = fields.Integer(dump_only=True)
    after_seq = fields.Integer(dump_only=True)
    actor = fields.String(dump_only=True)
    resolved_at = UTCDateTime(dump_only=True)
    integrity = fields.String(dump_only=True, metadata={"enum": list(INTEGRITY_STATES)})
