from marshmallow import fields, validate

from service.domain.vocabulary import (
    CUSTODY_STATUSES,
    INTEGRITY_STATES,
    MAX_ID,
    OBTAINED_VIA,
    REVIEW_STATUSES,
    SOURCE_KINDS,
)

from .base import Schema
from .common import (
    Choice,
    DayDate,
    FullMatch,
    Id,
    KeysetArgs,
    ListArgs,
    QueryId,
    Text,
    UTCDateTime,
    bounded_float,
)
from .search import DistanceField, SearchArgs

SHA256 = FullMatch(r"^[0-9a-fA-F]{64}$", error="Must be 64 hexadecimal characters.")
# A device clock can be off by years (never set, reset to its epoch); anything past a
# century is a typo.
MAX_CLOCK_OFFSET = 100 * 366 * 86400


class SourceSchema(Schema):
    id = Id(dump_only=True)
    external_id = Text(200, allow_none=True)
    incident_id = Id(metadata={"description": "required unless posted to /incidents/{id}/sources"})
    kind = Choice(SOURCE_KINDS, required=True)
    officer_id = Id(allow_none=True, metadata={"description": "who wore or held the device"})
    device_id = Text(200, allow_none=True)
    recorded_by = Text(300, allow_none=True)
    recording_started_at = UTCDateTime(allow_none=True)
    recording_ended_at = UTCDateTime(allow_none=True)
    clock_offset_seconds = bounded_float(
        -MAX_CLOCK_OFFSET,
        MAX_CLOCK_OFFSET,
        load_default=0.0,
        metadata={"description": "true time = device time + offset"},
    )
    corrected_started_at = UTCDateTime(dump_only=True, allow_none=True)
    corrected_ended_at = UTCDateTime(dump_only=True, allow_none=True)
    duration_seconds = bounded_float(0, 10**9, allow_none=True)
    sha256 = fields.String(allow_none=True, validate=SHA256)
    size_bytes = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, MAX_ID))
    storage_uri = Text(2000, allow_none=True)
    obtained_via = Choice(OBTAINED_VIA, allow_none=True)
    derived_from_id = Id(allow_none=True, metadata={"description": "a copy points at its master"})
    retain_until = DayDate(
        allow_none=True,
        metadata={"description": "computed from the retention rules; a client may only extend it"},
    )
    retain_indefinitely = fields.Boolean(dump_only=True)
    notes = Text(20000, allow_none=True)
    custody_status = fields.String(dump_only=True, metadata={"enum": list(CUSTODY_STATUSES)})
    review_status = fields.String(dump_only=True, metadata={"enum": list(REVIEW_STATUSES)})
    integrity = fields.String(dump_only=True, metadata={"enum": list(INTEGRITY_STATES)})
    legal_hold = fields.Boolean(dump_only=True)
    created_at = UTCDateTime(dump_only=True)
    updated_at = UTCDateTime(dump_only=True)
    distance_m = DistanceField()


class SourceListArgs(ListArgs, KeysetArgs, SearchArgs):
    incident_id = QueryId()
    kind = Choice(SOURCE_KINDS)
    officer_id = QueryId()
    device_id = Text(200)
    sha256 = fields.String(validate=SHA256)
    obtained_via = Choice(OBTAINED_VIA)
    custody_status = Choice(CUSTODY_STATUSES)
    review_status = Choice(REVIEW_STATUSES)
    integrity = Choice(INTEGRITY_STATES)
    legal_hold = fields.Boolean()
