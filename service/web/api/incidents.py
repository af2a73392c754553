"""Incidents, the officers involved in each, and their sources"""

from flask.views import MethodView

from schemas.incident import IncidentListArgs, IncidentSchema
from schemas.involvement import InvolvementListArgs, InvolvementSchema, InvolvementUpdateSchema
from schemas.source import SourceListArgs, SourceSchema
from service.domain import inventory, retention
from service.storage.models import Involvement
from service.web import access

from .common import Blueprint, Listing, check_if_match

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents")


@blp.route("")
class Incidents(MethodView):
    @blp.lists(IncidentSchema, IncidentListArgs)
    def get(self, args):
        """List incidents, newest first"""
        return Listing(
            inventory.list_incidents(args),
            lambda page: retention.with_tags(inventory.with_agencies(page)),
            seek=inventory.incidents_after,
            after=args.get("after"),
        )

    @blp.creates(IncidentSchema)
    def post(self, values):
        """Record an incident"""
        return inventory.create_incident(values)


@blp.route("/<int:incident_id>")
class IncidentById(MethodView):
    @blp.reads(IncidentSchema)
    def get(self, incident_id):
        """Read an incident"""
        return inventory.read_incident(incident_id)

    @blp.updates(IncidentSchema)
    def patch(self, changes, incident_id):
        """Update an incident (location merges; agencies replace the list)"""
        incident = inventory.get_incident(incident_id, lock=True)
        check_if_match(IncidentSchema, incident)
        return inventory.update_incident(incident, changes)


@blp.route("/<int:incident_id>/officers")
class Involvements(MethodView):
    @blp.lists(InvolvementSchema, InvolvementListArgs)
    def get(self, args, incident_id):
        """List the officers involved in an incident"""
        query = inventory.involvements_query(inventory.get_incident(incident_id))
        if args.get("role"):
            query = query.where(Involvement.role == args["role"])
        return Listing(query)

    @blp.creates(
        InvolvementSchema,
        location=lambda i: f"/api/v1/incidents/{i.incident_id}/officers/{i.officer_id}",
    )
    def post(self, values, incident_id):
        """Record an officer's involvement in an incident"""
        return inventory.involve_officer(inventory.get_incident(incident_id), values)


@blp.route("/<int:incident_id>/officers/<int:officer_id>")
class InvolvementByOfficer(MethodView):
    @blp.reads(InvolvementSchema)
    def get(self, incident_id, officer_id):
        """Read one officer's involvement in an incident"""
        return inventory.get_involvement(inventory.get_incident(incident_id), officer_id)

    @blp.updates(InvolvementSchema, InvolvementUpdateSchema)
    def patch(self, changes, incident_id, officer_id):
        """Update an involvement (role, camera expected, why not recorded)"""
        incident = inventory.get_incident(incident_id)
        involvement = inventory.get_involvement(incident, officer_id, lock=True)
        check_if_match(InvolvementSchema, involvement)
        return inventory.update_involvement(involvement, changes)


@blp.route("/<int:incident_id>/sources")
@access.audited_reads
class IncidentSources(MethodView):
    @blp.lists(SourceSchema, SourceListArgs)
    def get(self, args, incident_id):
        """List an incident's sources"""
        inventory.get_incident(incident_id)
        return Listing(
            inventory.list_sources({**args, "incident_id": incident_id}),
            seek=inventory.sources_after,
            after=args.get("after"),
            plain=True,
        )

    @blp.creates(SourceSchema, location=lambda source: f"/api/v1/sources/{source.id}")
    def post(self, values, incident_id):
        """Record a source of an incident"""
        inventory.get_incident(incident_id)
        return inventory.create_source(values, incident_id=incident_id)
