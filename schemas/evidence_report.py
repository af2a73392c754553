from marshmallow import fields

from service.domain.vocabulary import CUSTODY_STATUSES, INTEGRITY_STATES, REVIEW_STATUSES

from .base import Schema
from .common import FormatChoice, Id, UTCDateTime
from .custody import CustodyEventSchema, CustodyVerificationSchema
from .hold import LegalHoldSchema
from .incident import IncidentSchema
from .review import ReviewSchema
from .source import SourceSchema


class EvidenceReportArgs(Schema):
    format = FormatChoice(("json", "html"), "html: a printable, self-contained page")


def _tally(names):
    return fields.Dict(keys=fields.String(metadata={"enum": list(names)}), values=fields.Integer())


class EvidenceSummarySchema(Schema):
    sources = fields.Integer()
    custody_events = fields.Integer()
    chains_valid = fields.Integer()
    chains_broken = fields.Integer()
    broken_source_ids = fields.List(Id())
    on_legal_hold = fields.Integer()
    custody_status = _tally(CUSTODY_STATUSES)
    review_status = _tally(REVIEW_STATUSES)
    integrity = _tally(INTEGRITY_STATES)


class SourceEvidenceSchema(Schema):
    source = fields.Nested(SourceSchema)
    custody = fields.List(fields.Nested(CustodyEventSchema))
    verification = fields.Nested(CustodyVerificationSchema)
    reviews = fields.List(fields.Nested(ReviewSchema))


class EvidenceReportSchema(Schema):
    incident = fields.Nested(IncidentSchema)
    generated_at = UTCDateTime()
    generated_by = fields.String()
    summary = fields.Nested(EvidenceSummarySchema)
    holds = fields.List(fields.Nested(LegalHoldSchema))
    sources = fields.List(fields.Nested(SourceEvidenceSchema))
