"""Search across incidents and sources (docs/api.md, "Search").

- `q`: words in an incident's title and description, or a source's notes and recorded_by;
  every word must appear (accents and case do not matter: service.storage.fulltext folds
  them); the answers come best match first (FTS5's bm25 on SQLite, ts_rank on PostgreSQL).
- `officer_id`, `device_id`: incidents the officer took part in or wore a camera at,
  incidents with footage from the device; sources worn by the officer, from the device.
- `recorded_from` / `recorded_to`: a corrected recording span that overlaps the window
  (a source's own; for an incident, any of its sources').
- `near=(lat, lon, metres)`: the incident's location within that great-circle distance (a
  source: its incident's). A bounding box on the indexed latitude and longitude first,
  then the exact distance; answers carry `distance_m` and come nearest first (unless q).

The index is written by `index_incident` / `index_sources`, called by the domain functions
that write incidents and sources (inventory) and by the importer's bulk insert, in the
transaction of the write.
"""

import math

from peewee import SQL, Expression, Value, fn

from service.domain.errors import Invalid
from service.storage import fulltext
from service.storage.db import is_postgresql
from service.storage.models import (
    Incident,
    IncidentSearch,
    Involvement,
    Source,
    SourceSearch,
)

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)
MAX_WORDS = 32


# ---------------------------------------------------------------- keeping the index


def index_incident(incident):
    """Index an incident's words (after it was created or changed)."""
    index_incidents([incident])


def index_incidents(incidents, new=False):
    """Index incidents' words, many in one statement (after a batch was saved; `new`: just
    inserted, see fulltext.write)."""
    fulltext.write(
        IncidentSearch,
        [(i.id, fulltext.incident_document(i.title, i.description)) for i in incidents],
        new,
    )


def index_source(source):
    """Index a source's words (after it was created or changed)."""
    index_sources([source])


def index_sources(sources, new=False):
    """Index sources' words, many in one statement (after a batch was saved; `new`: just
    inserted, see fulltext.write)."""
    fulltext.write(
        SourceSearch,
        [(s.id, fulltext.source_document(s.notes, s.recorded_by)) for s in sources],
        new,
    )


# ---------------------------------------------------------------- q


def _matches(index, q):
    """A subquery of (rowid, score) for the rows of `index` containing every word of `q`;
    lower scores are better matches."""
    found = fulltext.words(q)
    if not found:
        raise Invalid("q", "must contain at least one word", location="query")
    if len(found) > MAX_WORDS:
        raise Invalid("q", f"must contain at most {MAX_WORDS} words", location="query")
    if is_postgresql():
        query = fn.to_tsquery("simple", Value(" & ".join(found)))
        return index.select(
            index.rowid, (fn.ts_rank(index.document, query) * -1).alias("score")
        ).where(Expression(index.document, "@@", query))
    phrase = " ".join(f'"{word}"' for word in found)  # \w+ words: nothing to escape
    return index.select(index.rowid, SQL("rank").alias("score")).where(
        Expression(index.document, "MATCH", phrase)
    )


def _ranked(query, model, index, q):
    found = _matches(index, q)
    return query.join(found, on=(model.id == found.c.rowid)).order_by(found.c.score, model.id)


# ---------------------------------------------------------------- near


def _bounding_box(lat, lon, metres):
    """Conditions on Incident's latitude and longitude for a box containing the circle."""
    dlat = math.degrees(metres / EARTH_RADIUS_M)
    conditions = [Incident.latitude.between(lat - dlat, lat + dlat)]
    coslat = math.cos(math.radians(min(90.0, abs(lat) + dlat)))
    if lat + dlat >= 90 or lat - dlat <= -90 or coslat <= 0:
        return conditions  # a pole inside: every longitude
    dlon = math.degrees(metres / (EARTH_RADIUS_M * coslat))
    if dlon >= 180:
        return conditions
    west, east = lon - dlon, lon + dlon
    if west < -180:  # across the antimeridian: two ranges
        conditions.append(
            Incident.longitude.between(west + 360, 180) | (Incident.longitude <= east)
        )
    elif east > 180:
        conditions.append(
            (Incident.longitude >= west) | Incident.longitude.between(-180, east - 360)
        )
    else:
        conditions.append(Incident.longitude.between(west, east))
    return conditions


def _distance(lat, lon):
    """The great-circle distance in metres from (lat, lon) to the incident (haversine)."""
    phi = math.radians(lat)
    dphi = (fn.radians(Incident.latitude) - phi) / 2
    dlam = (fn.radians(Incident.longitude) - math.radians(lon)) / 2
    h = fn.sin(dphi) * fn.sin(dphi) + math.cos(phi) * fn.cos(
        fn.radians(Incident.latitude)
    ) * fn.sin(dlam) * fn.sin(dlam)
    smaller = fn.LEAST if is_postgresql() else fn.MIN
    return 2 * EARTH_RADIUS_M * fn.asin(fn.sqrt(smaller(1.0, h)))


def great_circle_m(lat1, lon1, lat2, lon2):
    """The same distance in Python (tests, the demo)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def _near(query, near, joined):
    """`query` narrowed to incidents within the circle, with `distance_m`; `joined` tells
    whether Incident is already in the query."""
    lat, lon, metres = near
    distance = _distance(lat, lon)
    if not joined:
        query = query.join(Incident, on=Source.incident == Incident.id)
    return (
        query.select_extend(distance.alias("distance_m"))
        .where(*_bounding_box(lat, lon, metres))
        .where(distance <= metres)
    ), distance


# ---------------------------------------------------------------- the filters


def _overlapping(filters, source=Source):
    """Conditions on a source's corrected span overlapping [recorded_from, recorded_to]."""
    conditions = []
    if filters.get("recorded_from") is not None:
        conditions.append(source.corrected_ended_at >= filters["recorded_from"])
    if filters.get("recorded_to") is not None:
        conditions.append(source.corrected_started_at <= filters["recorded_to"])
    return conditions


def _check_window(filters):
    start, end = filters.get("recorded_from"), filters.get("recorded_to")
    if start is not None and end is not None and end < start:
        raise Invalid("recorded_to", "must not be before recorded_from", location="query")


def search_incidents(query, filters):
    """The incident list `query` narrowed by the search filters, ordered by relevance (q)
    or distance (near) when given."""
    _check_window(filters)
    if filters.get("officer_id") is not None:
        officer = filters["officer_id"]
        took_part = Involvement.select(Involvement.incident).where(Involvement.officer == officer)
        wore = Source.select(Source.incident).where(Source.officer == officer)
        query = query.where(Incident.id.in_(took_part) | Incident.id.in_(wore))
    footage = []
    if filters.get("device_id") is not None:
        footage.append(Source.device_id == filters["device_id"])
    footage += _overlapping(filters)
    if footage:
        query = query.where(Incident.id.in_(Source.select(Source.incident).where(*footage)))
    distance = None
    if filters.get("near") is not None:
        query, distance = _near(query, filters["near"], joined=True)
    if filters.get("q") is not None:
        return _ranked(query, Incident, IncidentSearch, filters["q"])
    if distance is not None:
        return query.order_by(distance, Incident.id)
    return query


def search_sources(query, filters):
    """The source list `query` (officer_id and device_id already applied) narrowed by the
    other search filters, ordered by relevance (q) or distance (near) when given."""
    _check_window(filters)
    conditions = _overlapping(filters)
    if conditions:
        query = query.where(*conditions)
    distance = None
    if filters.get("near") is not None:
        query, distance = _near(query, filters["near"], joined=False)
    if filters.get("q") is not None:
        return _ranked(query, Source, SourceSearch, filters["q"])
    if distance is not None:
        return query.order_by(distance, Source.id)
    return query
