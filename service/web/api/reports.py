"""Coverage reports to file: the summary per group and the incidents lacking bodycam footage"""

from flask import Response, stream_with_context
from flask.views import MethodView

from schemas.report import CoverageReportSchema, ReportArgs
from service.domain.reports import coverage_report
from service.web import access, reports

from .common import Blueprint, actor

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports")


def report_response(args, generated_by):
    """The report for validated ReportArgs, streamed, with a file name saying what and when."""
    report = coverage_report(args, args["group_by"], generated_by)
    fmt, table = args["format"], args["table"]
    return Response(
        stream_with_context(reports.document(report, fmt, table)),
        mimetype=reports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": reports.content_disposition(report, fmt, table)},
    )


@blp.route("/coverage")
@access.audited_reads
class CoverageReport(MethodView):
    @blp.arguments(ReportArgs, location="query")
    # One status, three media types (the view streams each document itself).
    @blp.doc(
        responses={
            "200": {
                "description": "JSON (the default), one CSV table, or a printable HTML page",
                "content": {
                    "application/json": {"schema": CoverageReportSchema},
                    "text/csv": {"schema": {"type": "string"}},
                    "text/html": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, args):
        """The coverage report: summary and incidents lacking bodycam footage (JSON, CSV, HTML)"""
        return report_response(args, actor())
