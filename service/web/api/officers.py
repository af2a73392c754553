"""Officers"""

from flask.views import MethodView

from schemas.coverage import OfficerIncidentArgs, OfficerIncidentSchema
from schemas.officer import OfficerListArgs, OfficerSchema
from service.domain import activation, inventory

from .common import Blueprint, Listing, check_if_match

blp = Blueprint("officers", __name__, url_prefix="/api/v1/officers")


@blp.route("")
class Officers(MethodView):
    @blp.lists(OfficerSchema, OfficerListArgs)
    def get(self, args):
        """List officers"""
        return Listing(inventory.list_officers(args))

    @blp.creates(OfficerSchema)
    def post(self, values):
        """Record an officer"""
        return inventory.create_officer(values)


@blp.route("/<int:officer_id>")
class OfficerById(MethodView):
    @blp.reads(OfficerSchema)
    def get(self, officer_id):
        """Read an officer"""
        return inventory.get_officer(officer_id)

    @blp.updates(OfficerSchema)
    def patch(self, changes, officer_id):
        """Update an officer"""
        officer = inventory.get_officer(officer_id, lock=True)
        check_if_match(OfficerSchema, officer)
        return inventory.update_officer(officer, changes)


@blp.route("/<int:officer_id>/incidents")
class OfficerIncidents(MethodView):
    @blp.lists(OfficerIncidentSchema, OfficerIncidentArgs)
    def get(self, args, officer_id):
        """List an officer's incidents with their coverage of the officer, newest first"""
        query = activation.officer_involvements(officer_id)
        return Listing(
            query, lambda page: activation.represent_involvements(page, args["counting"])
        )
