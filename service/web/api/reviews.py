"""Reviews of sources; the latest sets the source's review_status"""

from flask.views import MethodView

from schemas.review import ReviewListArgs, ReviewSchema
from service.domain import inventory, reviews
from service.web import access

from .common import Blueprint, Listing, actor

blp = Blueprint("reviews", __name__, url_prefix="/api/v1/sources")


@blp.route("/<int:source_id>/reviews")
@access.audited_reads
class SourceReviews(MethodView):
    @blp.lists(ReviewSchema, ReviewListArgs)
    def get(self, args, source_id):
        """List a source's reviews, oldest first"""
        return Listing(reviews.list_reviews(inventory.get_source(source_id)))

    @blp.creates(ReviewSchema)
    def post(self, values, source_id):
        """Record a review of a source"""
        return reviews.add_review(source_id, values, actor())
