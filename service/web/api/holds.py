from flask.views import MethodView

from schemas.hold import LegalHoldListArgs, LegalHoldSchema
from service.domain import holds
from service.web import access

from .common import Blueprint, Listing, actor, with_etag

blp = Blueprint(
    "holds",
    __name__,
    url_prefix="/api/v1/holds",
    description="Legal holds: preservation orders on an incident's sources or on listed sources",
)


@blp.route("")
class Holds(MethodView):
    @blp.arguments(LegalHoldListArgs, location="query")
    @blp.response(200, LegalHoldSchema(many=True))
    @blp.paginate()
    def get(self, args):
        """List legal holds, newest first"""
        return Listing(holds.list_holds(args), holds.holds_as_dicts)

    @blp.arguments(LegalHoldSchema)
    @blp.response(201, LegalHoldSchema)
    def post(self, values):
        """Place a legal hold on an incident or on listed sources"""
        return with_etag(holds.hold_as_dict(holds.place_hold(values, actor())), 201)


@blp.route("/<int:hold_id>")
class HoldById(MethodView):
    @blp.response(200, LegalHoldSchema)
    def get(self, hold_id):
        """Read a legal hold"""
        return with_etag(holds.hold_as_dict(holds.get_hold(hold_id)))


@blp.route("/<int:hold_id>/release")
class HoldRelease(MethodView):
    @access.allow("admin")
    @blp.response(200, LegalHoldSchema)
    def post(self, hold_id):
        """Release a legal hold (admin only)"""
        return with_etag(holds.hold_as_dict(holds.release_hold(hold_id, actor())))
