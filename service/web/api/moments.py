"""Moments of an incident ("first contact", "shots fired"): annotations, not evidence"""

from flask.views import MethodView

from schemas.moment import MomentListArgs, MomentSchema
from service.domain import inventory, moments

from .common import Blueprint, Listing, check_if_match

blp = Blueprint("moments", __name__, url_prefix="/api/v1")


@blp.route("/incidents/<int:incident_id>/moments")
class IncidentMoments(MethodView):
    @blp.lists(MomentSchema, MomentListArgs)
    def get(self, args, incident_id):
        """List an incident's moments, in time order"""
        return Listing(moments.list_moments(inventory.get_incident(incident_id)))

    @blp.creates(MomentSchema)
    def post(self, values, incident_id):
        """Name a moment of an incident"""
        return moments.add_moment(inventory.get_incident(incident_id), values)


@blp.route("/moments/<int:moment_id>")
class MomentById(MethodView):
    @blp.reads(MomentSchema)
    def get(self, moment_id):
        """Read a moment"""
        return moments.get_moment(moment_id)

    @blp.updates(MomentSchema)
    def patch(self, changes, moment_id):
        """Correct a moment (label, at, notes)"""
        moment = moments.get_moment(moment_id, lock=True)
        check_if_match(MomentSchema, moment)
        return moments.update_moment(moment, changes)

    @blp.response(204)
    def delete(self, moment_id):
        """Delete a moment (moments are notes; evidence is never deleted)"""
        moment = moments.get_moment(moment_id, lock=True)
        check_if_match(MomentSchema, moment)
        moments.delete_moment(moment)
