"""Evidence reports: each source of an incident with its custody chain, the chain's
verification, its reviews and the legal holds"""

from flask import Response
from flask.views import MethodView

from schemas.evidence_report import EvidenceReportArgs, EvidenceReportSchema
from service.domain.evidence_report import evidence_report
from service.web import access
from service.web.reports import evidence_report_html

from .common import Blueprint, actor

blp = Blueprint("evidence_report", __name__, url_prefix="/api/v1/incidents")


@blp.route("/<int:incident_id>/evidence-report")
@access.audited_reads
class EvidenceReport(MethodView):
    @blp.arguments(EvidenceReportArgs, location="query")
    @blp.response(200, EvidenceReportSchema)
    @blp.doc(responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
    def get(self, args, incident_id):
        """An incident's evidence report, for the case file (JSON or printable HTML)

        `?format=html` answers a printable, self-contained text/html page.
        """
        report = evidence_report(incident_id, actor())
        if args["format"] == "html":
            return Response(evidence_report_html(report), mimetype="text/html")
        return report
