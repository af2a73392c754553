"""Which incidents, officers and moments lack footage"""

from flask.views import MethodView

from schemas.coverage import (
    CountingArgs,
    IncidentCoverageSchema,
    InstantArgs,
    LackingArgs,
    LackingIncidentSchema,
    LateActivationArgs,
    LateActivationSchema,
    OfficerCoverageArgs,
    OfficerCoverageSchema,
    SourcesAtSchema,
    SummaryArgs,
    SummaryRowSchema,
)
from service.domain import activation, coverage, inventory, officer_coverage
from service.web import access

from .common import Blueprint, Listing

blp = Blueprint("coverage", __name__, url_prefix="/api/v1")


@blp.route("/coverage/incidents")
class LackingIncidents(MethodView):
    @blp.lists(LackingIncidentSchema, LackingArgs)
    def get(self, args):
        """List incidents lacking footage (bodycam, any, or an officer's own bodycam)"""
        query = coverage.lacking_incidents(args["lacking"], args)
        return Listing(
            query,
            lambda page: coverage.represent(page, args["counting"]),
            counted=coverage.lacking_counted(args["lacking"], args),
            seek=inventory.incidents_after,
            after=args.get("after"),
        )


@blp.route("/coverage/officers")
class OfficerCoverage(MethodView):
    @blp.lists(OfficerCoverageSchema, OfficerCoverageArgs)
    def get(self, args):
        """List officers' involvements with whether their own bodycam footage exists"""
        query = officer_coverage.officer_rows(args)
        return Listing(query, lambda page: officer_coverage.represent(page, args["counting"]))


@blp.route("/coverage/summary")
class Summary(MethodView):
    @blp.arguments(SummaryArgs, location="query")
    @blp.response(200, SummaryRowSchema(many=True))
    def get(self, args):
        """Coverage figures per agency, state, month or incident kind"""
        return coverage.summary(args["group_by"], args)


@blp.route("/coverage/activation")
class LateActivations(MethodView):
    @blp.lists(LateActivationSchema, LateActivationArgs)
    def get(self, args):
        """List officer-incidents whose bodycam started more than late_by seconds late"""
        query = activation.late_activations(args["late_by"], args)
        return Listing(query, lambda page: activation.represent_late(page, args["counting"]))


@blp.route("/incidents/<int:incident_id>/coverage")
class IncidentCoverage(MethodView):
    @blp.arguments(CountingArgs, location="query")
    @blp.response(200, IncidentCoverageSchema)
    def get(self, args, incident_id):
        """An incident's coverage: officers, timeline per source kind, gaps, ratio"""
        return coverage.incident_coverage(incident_id, args["counting"])


@blp.route("/incidents/<int:incident_id>/coverage/at")
@access.audited_reads
class SourcesAt(MethodView):
    @blp.arguments(InstantArgs, location="query")
    @blp.response(200, SourcesAtSchema)
    def get(self, args, incident_id):
        """The sources recording at an instant of an incident"""
        return coverage.sources_at(incident_id, args["t"], args["counting"])
