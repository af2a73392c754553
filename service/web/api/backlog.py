"""The backlog: footage unreviewed or never received, and footage due for disposal (past
retain_until, not on hold)"""

from flask.views import MethodView

from schemas.backlog import BacklogArgs, BacklogFilters, BacklogItemSchema, BacklogSummarySchema
from service.domain import backlog
from service.domain.time import utcnow

from .common import Blueprint, Listing

blp = Blueprint("backlog", __name__, url_prefix="/api/v1/coverage")


@blp.route("/backlog")
class Backlog(MethodView):
    @blp.lists(BacklogItemSchema, BacklogArgs)
    def get(self, args):
        """List the sources in the backlog, oldest first, each with its reasons"""
        now = utcnow()
        return Listing(backlog.backlog(args, now), lambda rows: backlog.with_reasons(rows, now))


@blp.route("/backlog/summary")
class BacklogSummary(MethodView):
    @blp.arguments(BacklogFilters, location="query")
    @blp.response(200, BacklogSummarySchema)
    def get(self, args):
        """Count the sources in each part of the backlog"""
        now = utcnow()
        return {
            "older_than_days": args["older_than_days"],
            "as_of": now,
            **backlog.counts(args, now),
        }
