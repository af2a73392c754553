"""Video sources: body cameras, dash cameras, phones, bystander clips..."""

from flask.views import MethodView

from schemas.source import SourceListArgs, SourceSchema
from service.domain import inventory
from service.web import access

from .common import Blueprint, Listing, check_if_match, role

blp = Blueprint("sources", __name__, url_prefix="/api/v1/sources")


@blp.route("")
@access.audited_reads
class Sources(MethodView):
    @blp.lists(SourceSchema, SourceListArgs)
    def get(self, args):
        """List sources"""
        return Listing(
            inventory.list_sources(args),
            seek=inventory.sources_after,
            after=args.get("after"),
            plain=True,
        )

    @blp.creates(SourceSchema)
    def post(self, values):
        """Record a source (incident_id in the body)"""
        return inventory.create_source(values)


@blp.route("/<int:source_id>")
@access.audited_reads
class SourceById(MethodView):
    @blp.reads(SourceSchema)
    def get(self, source_id):
        """Read a source"""
        return inventory.get_source(source_id)

    @blp.updates(SourceSchema)
    def patch(self, changes, source_id):
        """Update a source's description (its status fields follow custody, reviews, holds)"""
        source = inventory.get_source(source_id, lock=True)
        check_if_match(SourceSchema, source)
        return inventory.update_source(source, changes, role=role())
