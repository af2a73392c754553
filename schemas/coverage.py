"""The coverage questions' parameters and answers (docs/coverage.md defines each number)."""

from marshmallow import fields, validate

from service.domain.vocabulary import (
    COUNTING,
    GROUP_BY,
    INVOLVEMENT_ROLES,
    LACKING,
    SOURCE_KINDS,
)

from .base import Schema
from .common import Choice, Id, KeysetArgs, PageArgs, QueryId, UTCDateTime
from .incident import IncidentFilters
from .source import SourceSchema


class CountingArgs(Schema):
    counting = Choice(
        COUNTING,
        load_default="any",
        metadata={
            "description": "any: every source not disposed; in_custody: only sources "
            "whose custody status is in_custody or checked_out"
        },
    )


class CoverageFilters(IncidentFilters, CountingArgs):
    """Which incidents (kind, agency, state, from, to) and which sources (counting)."""


class LackingArgs(KeysetArgs, CoverageFilters):
    lacking = Choice(
        LACKING,
        load_default="bodycam",
        metadata={
            "description": "bodycam: no bodycam source; any: no source at all; "
            "officer_bodycam: an officer expected to wear a camera has no bodycam "
            "source of their own"
        },
    )


class SummaryArgs(CoverageFilters):
    group_by = Choice(
        GROUP_BY,
        load_default="agency",
        metadata={"description": "month is YYYY-MM of started_at in UTC"},
    )


class InstantArgs(CountingArgs):
    t = UTCDateTime(required=True, metadata={"description": "the instant asked about"})


def SourceCounts(**kwargs):
    return fields.Dict(
        keys=fields.String(metadata={"enum": list(SOURCE_KINDS)}),
        values=fields.Integer(),
        metadata={"description": "counted sources per kind (every kind, 0 when none)"},
        **kwargs,
    )


def DisposedCounts(**kwargs):
    return fields.Dict(
        keys=fields.String(metadata={"enum": list(SOURCE_KINDS)}),
        values=fields.Integer(),
        metadata={"description": "disposed (destroyed) sources per kind, every kind"},
        **kwargs,
    )


def DisposedBodycams(**kwargs):
    return fields.List(
        fields.Integer(),
        metadata={"description": "bodycam sources that existed and were disposed of"},
        **kwargs,
    )


class LackingIncidentSchema(Schema):
    id = Id()
    external_id = fields.String(allow_none=True)
    title = fields.String()
    kind = fields.String()
    state = fields.String(allow_none=True)
    started_at = UTCDateTime()
    agencies = fields.List(fields.String())
    source_counts = SourceCounts()
    disposed_counts = DisposedCounts()
    disposed_bodycam_source_ids = DisposedBodycams()


class SummaryRowSchema(Schema):
    key = fields.String(
        allow_none=True,
        metadata={
            "description": "agency code, state, YYYY-MM or incident "
            "kind; null for incidents without one (no agency, no state)"
        },
    )
    incidents = fields.Integer()
    with_bodycam = fields.Integer()
    without_bodycam = fields.Integer()
    bodycam_rate = fields.Float(allow_none=True)
    sources = fields.Integer()
    officers_expected = fields.Integer(
        metadata={"description": "involvements with camera_expected"}
    )
    officers_covered = fields.Integer(
        metadata={"description": "of those, officers with a bodycam source of their own"}
    )
    reviewed_rate = fields.Float(
        allow_none=True,
        metadata={"description": "share of counted sources reviewed, flagged or excluded"},
    )
    disposed_sources = fields.Integer(metadata={"description": "sources disposed of"})
    disclosure_on_time_rate = fields.Float(
        allow_none=True,
        metadata={
            "description": "release obligations met by their deadline (met/(met+late+overdue))"
        },
    )
    median_days_to_release = fields.Float(
        allow_none=True, metadata={"description": "from the incident to its first release"}
    )
    activation_rate = fields.Float(
        allow_none=True,
        metadata={
            "description": "share of expected officers whose own bodycam was recording at "
            "the incident's started_at; null without expected officers"
        },
    )
    median_activation_delay_seconds = fields.Float(
        allow_none=True,
        metadata={
            "description": "median over expected officers with a bodycam of (start of their "
            "earliest bodycam - started_at); null when none has one"
        },
    )


class SpanSchema(Schema):
    start = UTCDateTime()
    end = UTCDateTime()


class TimelineIntervalSchema(SpanSchema):
    source_ids = fields.List(fields.Integer())


class CoveredOfficerSchema(Schema):
    officer_id = Id()
    name = fields.String(allow_none=True)
    badge_number = fields.String()
    agency = fields.String()
    role = fields.String()
    camera_expected = fields.Boolean()
    bodycam_source_ids = fields.List(fields.Integer())
    covered = fields.Boolean(metadata={"description": "a bodycam source of their own exists"})
    disposed_bodycam_source_ids = DisposedBodycams()
    not_recorded_reason = fields.String(allow_none=True)
    activation_delay_seconds = fields.Float(
        allow_none=True,
        metadata={
            "description": "corrected start of their earliest bodycam minus started_at; "
            "negative: already recording; null: no bodycam"
        },
    )
    recording_at_start = fields.Boolean(
        metadata={"description": "a bodycam of theirs covers started_at"}
    )
    deactivated_before_end = fields.Boolean(
        allow_none=True,
        metadata={
            "description": "their bodycam coverage ends before the window's end; "
            "null without a bodycam span"
        },
    )


class MomentCoverageSchema(Schema):
    id = Id()
    label = fields.String()
    at = UTCDateTime()
    recording_source_ids = fields.List(
        fields.Integer(), metadata={"description": "counted sources whose span contains at"}
    )
    officers_recording = fields.List(
        fields.Integer(),
        metadata={"description": "expected officers whose own bodycam was recording at it"},
    )
    officers_not_recording = fields.List(
        fields.Integer(), metadata={"description": "expected officers whose bodycam was not"}
    )


class LateActivationArgs(PageArgs, CoverageFilters):
    late_by = fields.Float(
        load_default=0,
        validate=validate.Range(0, 366 * 86400),
        metadata={"description": "seconds after started_at; only later starts are listed"},
    )


class LateActivationSchema(Schema):
    incident_id = Id()
    title = fields.String()
    started_at = UTCDateTime()
    officer_id = Id()
    name = fields.String(allow_none=True)
    badge_number = fields.String()
    agency = fields.String()
    first_recording_at = UTCDateTime()
    activation_delay_seconds = fields.Float()
    bodycam_source_ids = fields.List(fields.Integer())
    suggested_flag = fields.String(metadata={"enum": ["late_activation"]})


class IncidentCoverageSchema(Schema):
    incident_id = Id()
    counting = fields.String(metadata={"enum": list(COUNTING)})
    window = fields.Nested(SpanSchema)
    officers = fields.List(fields.Nested(CoveredOfficerSchema))
    moments = fields.List(fields.Nested(MomentCoverageSchema))
    source_counts = SourceCounts()
    disposed_counts = DisposedCounts()
    disposed_bodycam_source_ids = DisposedBodycams()
    timeline = fields.Dict(
        keys=fields.String(metadata={"enum": list(SOURCE_KINDS)}),
        values=fields.List(fields.Nested(TimelineIntervalSchema)),
        metadata={"description": "merged recording intervals per source kind"},
    )
    gaps = fields.List(
        fields.Nested(SpanSchema), metadata={"description": "parts of the window no source covers"}
    )
    covered_seconds = fields.Float()
    window_seconds = fields.Float()
    coverage_ratio = fields.Float(
        allow_none=True, metadata={"description": "null when the window is an instant"}
    )
    sources_without_span = fields.List(
        fields.Integer(),
        metadata={
            "description": "counted sources with no known recording span: they count "
            "as footage but cannot be placed on the timeline"
        },
    )


class SourcesAtSchema(Schema):
    incident_id = Id()
    t = UTCDateTime()
    counting = fields.String(metadata={"enum": list(COUNTING)})
    sources = fields.List(
        fields.Nested(SourceSchema),
        metadata={"description": "sources whose corrected span contains t"},
    )
    sources_without_span = fields.List(
        fields.Integer(),
        metadata={"description": "sources that may have been recording: their span is unknown"},
    )


class OfficerIncidentArgs(PageArgs, CountingArgs):
    pass


class OfficerIncidentSchema(Schema):
    incident_id = Id()
    title = fields.String()
    kind = fields.String()
    started_at = UTCDateTime()
    ended_at = UTCDateTime(allow_none=True)
    role = fields.String()
    camera_expected = fields.Boolean()
    not_recorded_reason = fields.String(allow_none=True)
    bodycam_source_ids = fields.List(fields.Integer())
    covered = fields.Boolean(metadata={"description": "a counted bodycam source of their own"})
    activation_delay_seconds = CoveredOfficerSchema._declared_fields["activation_delay_seconds"]
    recording_at_start = CoveredOfficerSchema._declared_fields["recording_at_start"]
    deactivated_before_end = CoveredOfficerSchema._declared_fields["deactivated_before_end"]


class OfficerCoverageArgs(PageArgs, CoverageFilters):
    uncovered = fields.Boolean(
        metadata={
            "description": "true: only officers without a counted bodycam source of their "
            "own in the incident; false: only those with one; absent: all"
        }
    )
    officer_id = QueryId()
    role = Choice(INVOLVEMENT_ROLES)


class OfficerCoverageSchema(Schema):
    incident_id = Id()
    incident_title = fields.String()
    started_at = UTCDateTime()
    officer_id = Id()
    name = fields.String(allow_none=True)
    badge_number = fields.String()
    agency = fields.String()
    role = fields.String(metadata={"enum": list(INVOLVEMENT_ROLES)})
    camera_expected = fields.Boolean()
    covered = fields.Boolean(
        metadata={"description": "a counted bodycam source of the officer's own exists"}
    )
    bodycam_source_ids = fields.List(
        fields.Integer(), metadata={"description": "the officer's counted bodycam sources"}
    )
    disposed_bodycam_source_ids = fields.List(
        fields.Integer(),
        metadata={"description": "the officer's bodycam sources whose custody_status is disposed"},
    )
    not_recorded_reason = fields.String(allow_none=True)
    activation_delay_seconds = CoveredOfficerSchema._declared_fields["activation_delay_seconds"]
    recording_at_start = CoveredOfficerSchema._declared_fields["recording_at_start"]
