from flask.views import MethodView

from schemas.agency import AgencyListArgs, AgencySchema, AgencyUpdateSchema
from service.domain import inventory

from .common import Blueprint, Listing, check_if_match, with_etag

blp = Blueprint("agencies", __name__, url_prefix="/api/v1/agencies", description="Agencies")


@blp.route("")
class Agencies(MethodView):
    @blp.arguments(AgencyListArgs, location="query")
    @blp.response(200, AgencySchema(many=True))
    @blp.paginate()
    def get(self, args):
        """List agencies"""
        return Listing(
            inventory.list_agencies(args.get("jurisdiction")),
            lambda rows: [inventory.agency_as_dict(a) for a in rows],
        )

    @blp.arguments(AgencySchema)
    @blp.response(201, AgencySchema)
    def post(self, values):
        """Record an agency"""
        return with_etag(inventory.agency_as_dict(inventory.create_agency(values)), 201)


@blp.route("/<string:code>")
class AgencyByCode(MethodView):
    @blp.response(200, AgencySchema)
    def get(self, code):
        """Read an agency"""
        return with_etag(inventory.agency_as_dict(inventory.get_agency(code)))

    @blp.arguments(AgencyUpdateSchema)
    @blp.response(200, AgencySchema)
    def patch(self, changes, code):
        """Update an agency's name or jurisdiction"""
        agency = inventory.get_agency(code, lock=True)
        check_if_match(inventory.agency_as_dict(agency))
        return with_etag(inventory.agency_as_dict(inventory.update_agency(agency, changes)))
