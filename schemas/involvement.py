from marshmallow import fields

from service.domain.vocabulary import INVOLVEMENT_ROLES

from .agency import AgencyCode
from .base import Schema
from .common import Choice, Id, PageArgs, Text


class InvolvementSchema(Schema):
    incident_id = Id(dump_only=True)
    officer_id = Id(required=True)
    role = Choice(INVOLVEMENT_ROLES, load_default="assisting")
    camera_expected = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "defaults to the officer's camera_issued"},
    )
    not_recorded_reason = Text(2000, allow_none=True)
    # The officer's, shown with the involvement (read-only here).
    officer_name = fields.String(dump_only=True, allow_none=True, attribute="officer.name")
    agency = AgencyCode(dump_only=True, attribute="officer.agency")
    badge_number = fields.String(dump_only=True, attribute="officer.badge_number")


class InvolvementUpdateSchema(Schema):
    role = Choice(INVOLVEMENT_ROLES)
    camera_expected = fields.Boolean()
    not_recorded_reason = Text(2000, allow_none=True)


class InvolvementListArgs(PageArgs):
    role = Choice(INVOLVEMENT_ROLES)
