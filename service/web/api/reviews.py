from flask.views import MethodView

from schemas.review import ReviewListArgs, ReviewSchema
from service.domain import inventory, reviews
from service.web import access

from .common import Blueprint, Listing, actor, with_etag

blp = Blueprint(
    "reviews",
    __name__,
    url_prefix="/api/v1/sources",
    description="Reviews of sources; the latest sets the source's review_status",
)


def _reviews(rows):
    return [reviews.review_as_dict(r) for r in rows]


@blp.route("/<int:source_id>/reviews")
@access.audited_reads
class SourceReviews(MethodView):
    @blp.arguments(ReviewListArgs, location="query")
    @blp.response(200, ReviewSchema(many=True))
    @blp.paginate()
    def get(self, args, source_id):
        """List a source's reviews, oldest first"""
        return Listing(reviews.list_reviews(inventory.get_source(source_id)), _reviews)

    @blp.arguments(ReviewSchema)
    @blp.response(201, ReviewSchema)
    def post(self, values, source_id):
        """Record a review of a source"""
        return with_etag(
            reviews.review_as_dict(reviews.add_review(source_id, values, actor())), 201
        )
