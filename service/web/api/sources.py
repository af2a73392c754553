from flask.views import MethodView

from schemas.source import SourceListArgs, SourceSchema
from service.domain import inventory
from service.web import access

from .common import Blueprint, Listing, check_if_match, with_etag

blp = Blueprint(
    "sources",
    __name__,
    url_prefix="/api/v1/sources",
    description="Video sources: body cameras, dash cameras, phones, bystander clips...",
)


@blp.route("")
@access.audited_reads
class Sources(MethodView):
    @blp.arguments(SourceListArgs, location="query")
    @blp.response(200, SourceSchema(many=True))
    @blp.paginate()
    def get(self, args):
        """List sources"""
        return Listing(
            inventory.list_sources(args), lambda rows: [inventory.source_as_dict(s) for s in rows]
        )

    @blp.arguments(SourceSchema)
    @blp.response(201, SourceSchema)
    def post(self, values):
        """Record a source (incident_id in the body)"""
        return with_etag(inventory.source_as_dict(inventory.create_source(values)), 201)


@blp.route("/<int:source_id>")
@access.audited_reads
class SourceById(MethodView):
    @blp.response(200, SourceSchema)
    def get(self, source_id):
        """Read a source"""
        return with_etag(inventory.source_as_dict(inventory.get_source(source_id)))

    @blp.arguments(SourceSchema(partial=True))
    @blp.response(200, SourceSchema)
    def patch(self, changes, source_id):
        """Update a source's description (its status fields follow custody, reviews, holds)"""
        source = inventory.get_source(source_id, lock=True)
        check_if_match(inventory.source_as_dict(source))
        return with_etag(inventory.source_as_dict(inventory.update_source(source, changes)))
