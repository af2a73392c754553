from marshmallow import fields

from .agency import AGENCY_CODE, AgencyCode
from .base import Schema
from .common import Id, ListArgs, Text


class OfficerSchema(Schema):
    id = Id(dump_only=True)
    external_id = Text(200, allow_none=True)
    agency = AgencyCode(required=True, metadata={"description": "agency code"})
    badge_number = Text(64, required=True)
    name = Text(200, allow_none=True)
    camera_issued = fields.Boolean(load_default=False)


class OfficerListArgs(ListArgs):
    agency = fields.String(validate=AGENCY_CODE)
    badge_number = Text(64)
    camera_issued = fields.Boolean()
