"""Legal holds: preservation orders on an incident's sources or on listed sources"""

from flask.views import MethodView

from schemas.hold import HoldReleaseSchema, LegalHoldListArgs, LegalHoldSchema
from service.domain import holds
from service.web import access

from .common import Blueprint, Listing, actor

blp = Blueprint("holds", __name__, url_prefix="/api/v1/holds")


@blp.route("")
class Holds(MethodView):
    @blp.lists(LegalHoldSchema, LegalHoldListArgs)
    def get(self, args):
        """List legal holds, newest first"""
        return Listing(holds.list_holds(args), holds.with_listed_sources)

    @blp.creates(LegalHoldSchema)
    def post(self, values):
        """Place a legal hold on an incident or on listed sources"""
        return holds.place_hold(values, actor())


@blp.route("/<int:hold_id>")
class HoldById(MethodView):
    @blp.reads(LegalHoldSchema)
    def get(self, hold_id):
        """Read a legal hold"""
        return holds.get_hold(hold_id)


@blp.route("/<int:hold_id>/release")
class HoldRelease(MethodView):
    @access.allow("admin")
    @blp.arguments(HoldReleaseSchema, required=False)
    @blp.reads(LegalHoldSchema)
    def post(self, values, hold_id):
        """Release a legal hold (admin only), optionally saying why (`release_reason`)"""
        return holds.release_hold(hold_id, actor(), values.get("release_reason"))
