"""Chain of custody: an append-only, hash-chained record per source (GET and POST only; see
docs/custody.md)"""

from operator import attrgetter

from flask import Response
from flask.views import MethodView

from schemas.common import PageArgs
from schemas.custody import (
    CustodyEventSchema,
    CustodyListArgs,
    CustodyVerificationSchema,
    IntegrityResolutionSchema,
)
from service.bulk.spreadsheet import csv_text
from service.domain import custody, inventory
from service.web import access
from service.web.paging import QueryPage

from .common import Blueprint, Listing, actor

blp = Blueprint("custody", __name__, url_prefix="/api/v1/sources")

CSV_COLUMNS = (*custody.HASHED_FIELDS, *custody.OPTIONAL_HASHED_FIELDS, "prev_hash", "hash")


@blp.route("/<int:source_id>/custody")
@access.audited_reads
class CustodyChain(MethodView):
    @blp.arguments(CustodyListArgs, location="query")
    @blp.response(200, CustodyEventSchema(many=True))
    @blp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    @blp.paginate(None)
    def get(self, args, source_id, pagination_parameters):
        """Read a source's chain of custody, oldest event first

        `?format=csv` answers the whole chain as text/csv instead (see docs/custody.md).
        """
        source = inventory.get_source(source_id)
        events = custody.list_events(source)
        listing = Listing(
            events, seek=custody.events_after, after=args.get("after"), cursor=attrgetter("seq")
        )
        page = QueryPage(listing, pagination_parameters)
        if args["format"] == "csv":
            rows = CustodyEventSchema(many=True).dump(events.iterator())
            return Response(
                csv_text(CSV_COLUMNS, rows),
                mimetype="text/csv",
                headers={
                    "Content-Disposition": f'attachment; filename="source-{source.id}-custody.csv"'
                },
            )
        return page.items

    @blp.creates(CustodyEventSchema)
    def post(self, values, source_id):
        """Append a custody event (the source's custody_status and integrity follow)"""
        return custody.append_event(source_id, values, actor())


@blp.route("/<int:source_id>/custody/verify")
@access.audited_reads
class CustodyVerification(MethodView):
    @blp.response(200, CustodyVerificationSchema)
    def get(self, source_id):
        """Recompute a source's custody chain from storage and say whether it holds"""
        return custody.verify_chain(source_id)


@blp.route("/<int:source_id>/integrity/resolutions")
class IntegrityResolutions(MethodView):
    @blp.lists(IntegrityResolutionSchema, PageArgs)
    def get(self, args, source_id):
        """List the resolutions of a source's hash mismatches, oldest first"""
        inventory.get_source(source_id)
        return Listing(custody.resolutions_of(source_id))

    @access.allow("admin")
    @blp.creates(IntegrityResolutionSchema)
    def post(self, values, source_id):
        """Resolve a source's hash mismatch (admin only; both hashes are kept)"""
        return custody.resolve_mismatch(source_id, values, actor())
