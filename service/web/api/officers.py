from flask.views import MethodView

from schemas.officer import OfficerListArgs, OfficerSchema
from service.domain import inventory

from .common import Blueprint, Listing, check_if_match, with_etag

blp = Blueprint("officers", __name__, url_prefix="/api/v1/officers", description="Officers")


@blp.route("")
class Officers(MethodView):
    @blp.arguments(OfficerListArgs, location="query")
    @blp.response(200, OfficerSchema(many=True))
    @blp.paginate()
    def get(self, args):
        """List officers"""
        return Listing(inventory.list_officers(args), inventory.officers_as_dicts)

    @blp.arguments(OfficerSchema)
    @blp.response(201, OfficerSchema)
    def post(self, values):
        """Record an officer"""
        return with_etag(inventory.officer_as_dict(inventory.create_officer(values)), 201)


@blp.route("/<int:officer_id>")
class OfficerById(MethodView):
    @blp.response(200, OfficerSchema)
    def get(self, officer_id):
        """Read an officer"""
        return with_etag(inventory.officer_as_dict(inventory.get_officer(officer_id)))

    @blp.arguments(OfficerSchema(partial=True))
    @blp.response(200, OfficerSchema)
    def patch(self, changes, officer_id):
        """Update an officer"""
        officer = inventory.get_officer(officer_id, lock=True)
        check_if_match(inventory.officer_as_dict(officer))
        return with_etag(inventory.officer_as_dict(inventory.update_officer(officer, changes)))
