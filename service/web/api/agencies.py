"""Agencies"""

from flask.views import MethodView

from schemas.agency import AgencyListArgs, AgencySchema, AgencyUpdateSchema
from service.domain import inventory

from .common import Blueprint, Listing, check_if_match

blp = Blueprint("agencies", __name__, url_prefix="/api/v1/agencies")


@blp.route("")
class Agencies(MethodView):
    @blp.lists(AgencySchema, AgencyListArgs)
    def get(self, args):
        """List agencies"""
        return Listing(inventory.list_agencies(args.get("jurisdiction")))

    @blp.creates(AgencySchema, location=lambda agency: f"/api/v1/agencies/{agency.code}")
    def post(self, values):
        """Record an agency"""
        return inventory.create_agency(values)


@blp.route("/<string:code>")
class AgencyByCode(MethodView):
    @blp.reads(AgencySchema)
    def get(self, code):
        """Read an agency"""
        return inventory.get_agency(code)

    @blp.updates(AgencySchema, AgencyUpdateSchema)
    def patch(self, changes, code):
        """Update an agency's name or jurisdiction"""
        agency = inventory.get_agency(code, lock=True)
        check_if_match(AgencySchema, agency)
        return inventory.update_agency(agency, changes)
