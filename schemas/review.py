from marshmallow import fields, validate

from service.domain.reviews import VERDICTS
from service.domain.vocabulary import REVIEW_FLAGS

from .base import Schema
from .common import Choice, Id, PageArgs, Text, UTCDateTime


class ReviewSchema(Schema):
    id = Id(dump_only=True)
    source_id = Id(dump_only=True)
    status = Choice(VERDICTS, required=True)
    reviewer = Text(200, allow_none=True, metadata={"description": "default: the token's name"})
    notes = Text(20000, allow_none=True)
    flags = fields.List(
        Choice(REVIEW_FLAGS), load_default=list, validate=validate.Length(max=len(REVIEW_FLAGS) * 2)
    )
    actor = fields.String(dump_only=True)
    created_at = UTCDateTime(dump_only=True)


class ReviewListArgs(PageArgs):
    pass
