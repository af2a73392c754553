"""The coverage report's parameters and its JSON form."""

from marshmallow import fields

from service.domain.vocabulary import REPORT_FORMATS as FORMATS
from service.domain.vocabulary import REPORT_TABLES as TABLES

from .base import Schema
from .common import Choice, UTCDateTime
from .coverage import LackingIncidentSchema, OfficerCoverageSchema, SummaryArgs, SummaryRowSchema


class ReportArgs(SummaryArgs):
    format = Choice(
        FORMATS,
        load_default="json",
        metadata={"description": "csv: one table; json: both; html: a printable page with charts"},
    )
    table = Choice(
        TABLES,
        load_default="incidents",
        metadata={
            "description": "CSV: the incidents lacking bodycam footage (default), the "
            "summary rows, the disclosure deadlines, or the officers without their own "
            "bodycam footage; JSON and HTML add the officers with table=officers"
        },
    )


class CoverageReportSchema(Schema):
    generated_at = UTCDateTime()
    generated_by = fields.String(metadata={"description": "the token name that asked"})
    group_by = fields.String()
    filters = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "the filters the report was made with"},
    )
    summary = fields.List(fields.Nested(SummaryRowSchema))
    incidents = fields.List(
        fields.Nested(LackingIncidentSchema),
        metadata={"description": "every incident lacking bodycam footage, newest first"},
    )
    officers = fields.List(
        fields.Nested(OfficerCoverageSchema),
        metadata={
            "description": "with table=officers only: the officers without a bodycam source "
            "of their own, one row per involvement, newest incident first"
        },
    )
