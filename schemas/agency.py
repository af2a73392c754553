from marshmallow import fields

from service.domain.vocabulary import JURISDICTIONS

from .base import Schema
from .common import Choice, FullMatch, PageArgs, Text

AGENCY_CODE = FullMatch(
    r"^[A-Z0-9_-]{1,32}$", error="Must be 1 to 32 of A-Z, 0-9, '_' or '-' (e.g. CBP)."
)


class AgencyCode(fields.String):
    """An agency named by its code: a code in; out, the code of an agency record (or a code)."""

    def __init__(self, **kwargs):
        super().__init__(validate=AGENCY_CODE, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(getattr(value, "code", value), attr, obj, **kwargs)


class AgencySchema(Schema):
    code = fields.String(required=True, validate=AGENCY_CODE)
    name = Text(200, required=True)
    jurisdiction = Choice(JURISDICTIONS, load_default="other")


class AgencyUpdateSchema(Schema):
    name = Text(200)
    jurisdiction = Choice(JURISDICTIONS)


class AgencyListArgs(PageArgs):
    jurisdiction = Choice(JURISDICTIONS)
