"""The search filters of the incident and source lists (service.domain.search)."""

import math

from marshmallow import ValidationError, fields, validates_schema

from .base import Schema
from .common import QueryId, Text, UTCDateTime

MAX_RADIUS_M = 20_100_000  # half the Earth's circumference: every point


class Near(fields.String):
    """`LAT,LON,METRES`: decimal degrees (WGS 84) and a radius in metres."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        parts = text.split(",")
        if len(text) > 100 or len(parts) != 3:
            raise ValidationError("Must be LAT,LON,METRES (e.g. 44.9778,-93.2650,500).")
        try:
            lat, lon, metres = (float(p) for p in parts)
        except ValueError as exc:
            raise ValidationError("Must be three numbers: LAT,LON,METRES.") from exc
        if not all(math.isfinite(x) for x in (lat, lon, metres)):
            raise ValidationError("Must be finite numbers.")
        if not -90 <= lat <= 90:
            raise ValidationError("Latitude must be from -90 to 90.")
        if not -180 <= lon <= 180:
            raise ValidationError("Longitude must be from -180 to 180.")
        if not 0 < metres <= MAX_RADIUS_M:
            raise ValidationError(f"The distance must be more than 0 and at most {MAX_RADIUS_M}.")
        return lat, lon, metres


class SearchArgs(Schema):
    q = Text(
        500,
        min_length=1,
        metadata={
            "description": "words, all of which must appear (accents and case ignored); "
            "answers come best match first"
        },
    )
    officer_id = QueryId()
    device_id = Text(200)
    recorded_from = UTCDateTime(
        metadata={"description": "a corrected recording span ending at or after this"}
    )
    recorded_to = UTCDateTime(
        metadata={"description": "a corrected recording span starting at or before this"}
    )
    near = Near(
        metadata={
            "description": "LAT,LON,METRES: the incident within that great-circle distance; "
            "answers carry distance_m and come nearest first",
            "example": "44.9778,-93.2650,500",
        }
    )

    @validates_schema
    def _cursor_follows_the_usual_order(self, data, **kwargs):
        # `after` pages a list in its usual order; q and near order it by relevance or
        # distance, where a cursor would skip or repeat answers.
        ranked = [name for name in ("q", "near") if data.get(name) is not None]
        if data.get("after") is not None and ranked:
            raise ValidationError(
                f"cannot be combined with {' or '.join(ranked)} (answers then come best match "
                "or nearest first): page with page= instead",
                "after",
            )


def DistanceField():
    return fields.Float(
        dump_only=True,
        metadata={"description": "metres from the point of near= (only with near=)"},
    )
