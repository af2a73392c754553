"""Reviews of sources: who watched the footage and what they found.

The history is kept (reviews are append-only); a source's `review_status` is the
status of its latest review, set in the same transaction.
"""

from service.domain import counters, inventory
from service.domain.errors import Invalid
from service.domain.time import utcnow
from service.domain.vocabulary import REVIEW_FLAGS, REVIEW_STATUSES
from service.storage.db import database
from service.storage.models import Review, Source

# "unreviewed" is where a source starts, not a verdict anyone records.
VERDICTS = tuple(s for s in REVIEW_STATUSES if s != "unreviewed")


def list_reviews(source):
    """A source's reviews, oldest first (the last one sets its review_status)."""
    return Review.select().where(Review.source == source).order_by(Review.id)


def reviews_by_source(source_ids):
    """The review histories of several sources in one query."""
    histories = {s: [] for s in source_ids}
    if source_ids:
        query = Review.select().where(Review.source.in_(source_ids)).order_by(Review.id)
        for review in query:
            histories[review.source_id].append(review)
    return histories


def _flags(values):
    if values.get("status") not in VERDICTS:
        raise Invalid("status", f"must be one of: {', '.join(VERDICTS)}")
    flags = list(dict.fromkeys(values.get("flags") or []))
    unknown = [f for f in flags if f not in REVIEW_FLAGS]
    if unknown:
        raise Invalid(
            "flags", f"unknown flag(s) {', '.join(unknown)}; use {', '.join(REVIEW_FLAGS)}"
        )
    if values["status"] == "flagged" and not flags:
        raise Invalid("flags", "a flagged review names at least one flag")
    if "other" in flags and not (values.get("notes") or "").strip():
        raise Invalid("notes", "describe the 'other' flag in the notes")
    return flags


def add_review(source, values, actor):
    """Record a review of `source` (a Source or its id) and make it the source's
    review_status. The reviewer defaults to `actor` (the token's name)."""
    flags = _flags(values)
    source_id = source.id if isinstance(source, Source) else source
    with database.atomic():
        source = inventory.get_source(source_id, lock=True)
        now = utcnow()
        review = Review.create(
            source=source.id,
            status=values["status"],
            reviewer=values.get("reviewer") or actor,
            notes=values.get("notes") or None,
            flags=flags,
            actor=actor,
            created_at=now,
        )
        source.review_status = review.status
        source.updated_at = now
        source.save(only=[Source.review_status, Source.updated_at])
        counters.changed([source.incident_id])
    return review
