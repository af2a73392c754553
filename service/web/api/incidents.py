from flask.views import MethodView

from schemas.incident import IncidentListArgs, IncidentSchema
from schemas.involvement import InvolvementListArgs, InvolvementSchema, InvolvementUpdateSchema
from schemas.source import SourceListArgs, SourceSchema
from service.domain import inventory
from service.web import access

from .common import Blueprint, Listing, check_if_match, with_etag

blp = Blueprint(
    "incidents",
    __name__,
    url_prefix="/api/v1/incidents",
    description="Incidents, the officers involved in each, and their sources",
)


@blp.route("")
class Incidents(MethodView):
    @blp.arguments(IncidentListArgs, location="query")
    @blp.response(200, IncidentSchema(many=True))
    @blp.paginate()
    def get(self, args):
        """List incidents, newest first"""
        return Listing(inventory.list_incidents(args), inventory.incidents_as_dicts)

    @blp.arguments(IncidentSchema)
    @blp.response(201, IncidentSchema)
    def post(self, values):
        """Record an incident"""
        return with_etag(inventory.incident_as_dict(inventory.create_incident(values)), 201)


@blp.route("/<int:incident_id>")
class IncidentById(MethodView):
    @blp.response(200, IncidentSchema)
    def get(self, incident_id):
        """Read an incident"""
        return with_etag(inventory.incident_as_dict(inventory.get_incident(incident_id)))

    @blp.arguments(IncidentSchema(partial=True))
    @blp.response(200, IncidentSchema)
    def patch(self, changes, incident_id):
        """Update an incident (location merges; agencies replace the list)"""
        incident = inventory.get_incident(incident_id, lock=True)
        check_if_match(inventory.incident_as_dict(incident))
        incident = inventory.update_incident(incident, changes)
        return with_etag(inventory.incident_as_dict(incident))


@blp.route("/<int:incident_id>/officers")
class Involvements(MethodView):
    @blp.arguments(InvolvementListArgs, location="query")
    @blp.response(200, InvolvementSchema(many=True))
    @blp.paginate()
    def get(self, args, incident_id):
        """List the officers involved in an incident"""
        query = inventory.involvements_query(inventory.get_incident(incident_id))
        if args.get("role"):
            query = query.where(inventory.Involvement.role == args["role"])
        return Listing(query, inventory.involvements_as_dicts)

    @blp.arguments(InvolvementSchema)
    @blp.response(201, InvolvementSchema)
    def post(self, values, incident_id):
        """Record an officer's involvement in an incident"""
        incident = inventory.get_incident(incident_id)
        involvement = inventory.involve_officer(incident, values)
        return with_etag(inventory.involvement_as_dict(involvement), 201)


@blp.route("/<int:incident_id>/officers/<int:officer_id>")
class InvolvementByOfficer(MethodView):
    @blp.response(200, InvolvementSchema)
    def get(self, incident_id, officer_id):
        """Read one officer's involvement in an incident"""
        incident = inventory.get_incident(incident_id)
        involvement = inventory.get_involvement(incident, officer_id)
        return with_etag(inventory.involvement_as_dict(involvement))

    @blp.arguments(InvolvementUpdateSchema)
    @blp.response(200, InvolvementSchema)
    def patch(self, changes, incident_id, officer_id):
        """Update an involvement (role, camera expected, why not recorded)"""
        incident = inventory.get_incident(incident_id)
        involvement = inventory.get_involvement(incident, officer_id, lock=True)
        check_if_match(inventory.involvement_as_dict(involvement))
        involvement = inventory.update_involvement(involvement, changes)
        return with_etag(inventory.involvement_as_dict(involvement))


@blp.route("/<int:incident_id>/sources")
@access.audited_reads
class IncidentSources(MethodView):
    @blp.arguments(SourceListArgs, location="query")
    @blp.response(200, SourceSchema(many=True))
    @blp.paginate()
    def get(self, args, incident_id):
        """List an incident's sources"""
        inventory.get_incident(incident_id)
        query = inventory.list_sources({**args, "incident_id": incident_id})
        return Listing(query, lambda rows: [inventory.source_as_dict(s) for s in rows])

    @blp.arguments(SourceSchema)
    @blp.response(201, SourceSchema)
    def post(self, values, incident_id):
        """Record a source of an incident"""
        inventory.get_incident(incident_id)
        source = inventory.create_source(values, incident_id=incident_id)
        return with_etag(inventory.source_as_dict(source), 201)
