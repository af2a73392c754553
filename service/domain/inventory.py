"""The catalogue: agencies, officers, incidents, involvements and sources.

Functions take values already checked field by field (by the schemas) and enforce
the rules that span fields or records. They return the records (models); the schemas
turn them into the API's resources, so every field is written once.
"""

from datetime import timedelta

from service.domain import counters, retention, search
from service.domain.errors import Conflict, Invalid, NotFound
from service.domain.holds import (
    carry_over,
    incident_is_on_hold,
    refresh_legal_hold,
    refuse_move_under_hold,
)
from service.domain.records import get_by_id, get_one
from service.domain.time import utcnow
from service.storage.db import attach, for_update, grouped
from service.storage.models import (
    Agency,
    Incident,
    IncidentAgency,
    Involvement,
    Officer,
    Source,
    incident_with_lists,
)

# ---------------------------------------------------------------- helpers


def _get(model, ident, what, lock=False):
    return get_by_id(model, ident, f"{what} {ident} not found", lock)


def _other_row_id(model, condition, own_id=None):
    """The id of a `model` row other than `own_id` matching `condition`, or None."""
    query = model.select(model.id).where(condition)
    if own_id is not None:
        query = query.where(model.id != own_id)
    existing = query.first()
    return existing.id if existing else None


def _external_id_owner(model, external_id, own_id=None):
    """The id of the other `model` row carrying `external_id`, or None."""
    if external_id is None:
        return None
    return _other_row_id(model, model.external_id == external_id, own_id)


def _refuse_taken_external_id(external_id, owner_id, what):
    if owner_id is not None:
        raise Conflict(
            f"external_id {external_id!r} is already used by {what} {owner_id}",
            {"json": {"external_id": [f"already used by {what} {owner_id}"]}},
        )


def _unique_external_id(model, external_id, own_id=None, what="record"):
    _refuse_taken_external_id(external_id, _external_id_owner(model, external_id, own_id), what)


def _require_order(start, end, start_field, end_field):
    if start is not None and end is not None and end < start:
        raise Invalid(end_field, f"must not be before {start_field}")


def _apply(row, values):
    for key, value in values.items():
        setattr(row, key, value)


# ---------------------------------------------------------------- agencies


def get_agency(code, lock=False):
    return get_one(Agency, Agency.code == code, f"agency {code!r} not found", lock)


def list_agencies(jurisdiction=None):
    query = Agency.select().order_by(Agency.code)
    if jurisdiction:
        query = query.where(Agency.jurisdiction == jurisdiction)
    return query


def create_agency(values):
    if Agency.select().where(Agency.code == values["code"]).exists():
        raise Conflict(
            f"agency {values['code']!r} already exists",
            {"json": {"code": ["already exists"]}},
        )
    return Agency.create(**values)


def update_agency(agency, changes):
    jurisdiction_changed = changes.get("jurisdiction", agency.jurisdiction) != agency.jurisdiction
    _apply(agency, changes)
    agency.save()
    if jurisdiction_changed:
        retention.recompute_for_agency(agency.id)
    return agency


def agencies_by_code(codes, field="agencies", known=None):
    """The agencies named by `codes`, or Invalid naming the unknown ones (`known`: {code:
    Agency} looked up beforehand for many records, instead of a query)."""
    codes = list(dict.fromkeys(codes))
    if known is not None:
        found = known
    else:
        found = {a.code: a for a in Agency.select().where(Agency.code.in_(codes))} if codes else {}
    missing = [c for c in codes if c not in found]
    if missing:
        raise Invalid(field, f"unknown agency code(s): {', '.join(missing)}")
    return [found[c] for c in codes]


# ---------------------------------------------------------------- officers


def get_officer(officer_id, lock=False):
    return _get(Officer, officer_id, "officer", lock)


def list_officers(filters):
    query = Officer.select(Officer, Agency).join(Agency).order_by(Officer.id)
    if filters.get("agency"):
        agency = Agency.get_or_none(Agency.code == filters["agency"])
        query = query.where(Officer.agency == (agency.id if agency else None))
    for name in ("external_id", "badge_number", "camera_issued"):
        if filters.get(name) is not None:
            query = query.where(getattr(Officer, name) == filters[name])
    return query


def _check_badge_free(agency, badge_number, own_id=None):
    existing = _other_row_id(
        Officer, (Officer.agency == agency) & (Officer.badge_number == badge_number), own_id
    )
    if existing is not None:
        raise Conflict(
            f"badge {badge_number!r} of {agency.code} is already officer {existing}",
            {"json": {"badge_number": [f"already used by officer {existing}"]}},
        )


def create_officer(values):
    values = dict(values)
    agency = agencies_by_code([values.pop("agency")], field="agency")[0]
    _check_badge_free(agency, values["badge_number"])
    _unique_external_id(Officer, values.get("external_id"), what="officer")
    return Officer.create(agency=agency, **values)


def update_officer(officer, changes):
    changes = dict(changes)
    agency = officer.agency
    if "agency" in changes:
        agency = agencies_by_code([changes.pop("agency")], field="agency")[0]
    badge = changes.get("badge_number", officer.badge_number)
    if agency.id != officer.agency_id or badge != officer.badge_number:
        _check_badge_free(agency, badge, own_id=officer.id)
    if "external_id" in changes:
        _unique_external_id(Officer, changes["external_id"], officer.id, "officer")
    _apply(officer, changes)
    officer.agency = agency
    officer.save()
    return officer


# ---------------------------------------------------------------- incidents


def agency_codes_by_incident(incident_ids):
    """{incident id: its agencies' codes, A to Z}."""
    return grouped(
        incident_ids,
        IncidentAgency.select(IncidentAgency.incident, Agency.code)
        .join(Agency)
        .where(IncidentAgency.incident.in_(list(incident_ids)))
        .order_by(Agency.code),
    )


def with_agencies(incidents):
    """The incidents, each knowing its agencies' codes (one query for them all)."""
    return attach(incidents, "_agency_codes", agency_codes_by_incident)


def get_incident(incident_id, lock=False):
    return _get(Incident, incident_id, "incident", lock)


def read_incident(incident_id):
    """The incident as the API shows it: knowing its agencies and tags, read together."""
    incident = incident_with_lists(incident_id) if type(incident_id) is int else None
    if incident is None:
        return get_incident(incident_id)  # (NotFound, or an id of another type)
    return incident


def incident_conditions(filters):
    """The WHERE terms for incident filters (`kind`, `state`, `from_`, `to`, `agency`...).

    Shared by the incident list and the coverage questions, so a filter means the
    same thing everywhere: `from_` inclusive, `to` exclusive, both on started_at.
    """
    conditions = []
    for name in ("external_id", "kind", "status", "state", "case_number"):
        if filters.get(name) is not None:
            conditions.append(getattr(Incident, name) == filters[name])
    if filters.get("from_") is not None:
        conditions.append(Incident.started_at >= filters["from_"])
    if filters.get("to") is not None:
        conditions.append(Incident.started_at < filters["to"])
    if filters.get("agency"):
        linked = (
            IncidentAgency.select(IncidentAgency.incident)
            .join(Agency)
            .where(Agency.code == filters["agency"])
        )
        conditions.append(Incident.id.in_(linked))
    if filters.get("tag"):
        conditions.append(Incident.id.in_(retention.tagged(filters["tag"])))
    return conditions


def list_incidents(filters):
    """Incidents, newest first; with the search filters (q, near...: service.domain.search)
    best match or nearest first."""
    query = Incident.select().order_by(Incident.started_at.desc(), Incident.id.desc())
    conditions = incident_conditions(filters)
    query = query.where(*conditions) if conditions else query
    return search.search_incidents(query, filters)


def incidents_after(query, after):
    """`query` (incidents newest first) past incident `after`: the keyset cursor."""
    started_at = Incident.select(Incident.started_at).where(Incident.id == after).scalar()
    if started_at is None:
        raise Invalid("after", "no incident has this id", location="query")
    return query.where(
        (Incident.started_at < started_at)
        | ((Incident.started_at == started_at) & (Incident.id < after))
    )


def _incident_columns(values):
    columns = {k: v for k, v in values.items() if k not in ("location", "agencies", "tags")}
    location = values.get("location")
    if location is not None:
        columns.update({k: location[k] for k in Incident.LOCATION_FIELDS if k in location})
    return columns


def _link_agencies(incident, agencies):
    IncidentAgency.delete().where(IncidentAgency.incident == incident).execute()
    if agencies:
        IncidentAgency.insert_many(
            [{"incident": incident.id, "agency": a.id} for a in agencies]
        ).execute()
    incident._agency_codes = sorted(a.code for a in agencies)


def new_incident(values, known_agencies=None):
    """A checked, not yet saved incident and the agencies it names (the importer saves many
    at once, with their agencies looked up once: `known_agencies`)."""
    _require_order(values["started_at"], values.get("ended_at"), "started_at", "ended_at")
    agencies = agencies_by_code(values.get("agencies") or [], known=known_agencies)
    return Incident(**_incident_columns(values)), agencies


def create_incident(values):
    incident, agencies = new_incident(values)
    _unique_external_id(Incident, values.get("external_id"), what="incident")
    incident.save(force_insert=True)
    _link_agencies(incident, agencies)
    incidents_created([(incident, values)])
    return incident


def incidents_created(created):
    """What follows the saving of new incidents, whoever saved them (the API one at a time,
    the importer a batch at once): their tags, their words in the search index, their
    coverage counters. `created`: (saved incident, its values) pairs."""
    search.index_incidents([incident for incident, _ in created], new=True)
    retention.tag_new_incidents(created)
    counters.incidents_created([incident.id for incident, _ in created])


# What the retention rules look at: a change of any of these recomputes retain_until.
RETENTION_INPUTS = ("tags", "agencies", "state", "started_at")


def update_incident(incident, changes):
    columns = _incident_columns(changes)
    _require_order(
        columns.get("started_at", incident.started_at),
        columns.get("ended_at", incident.ended_at),
        "started_at",
        "ended_at",
    )
    if "external_id" in columns:
        _unique_external_id(Incident, columns["external_id"], incident.id, "incident")
    if "agencies" in changes:
        _link_agencies(incident, agencies_by_code(changes["agencies"]))
    if "tags" in changes:
        retention.set_tags(incident, changes["tags"])
    _apply(incident, columns)
    incident.updated_at = utcnow()
    incident.save()
    if any(name in changes or name in columns for name in RETENTION_INPUTS):
        retention.recompute_incidents([incident.id])
    if "title" in columns or "description" in columns:
        search.index_incident(incident)
    if "started_at" in columns:  # whose cameras were recording at it (activation)
        counters.changed([incident.id])
    return incident


# ---------------------------------------------------------------- involvements


def involvements_query(incident):
    return (
        Involvement.select(Involvement, Officer, Agency)
        .join(Officer)
        .join(Agency)
        .where(Involvement.incident == incident)
        .order_by(Involvement.id)
    )


def get_involvement(incident, officer_id, lock=False):
    query = Involvement.select().where(
        (Involvement.incident == incident) & (Involvement.officer == officer_id)
    )
    involvement = (for_update(query) if lock else query).first()
    if involvement is None:
        raise NotFound(f"officer {officer_id} is not involved in incident {incident.id}")
    return involvement


def involve_officer(incident, values):
    officer = Officer.get_or_none(Officer.id == values["officer_id"])
    if officer is None:
        raise Invalid("officer_id", f"officer {values['officer_id']} does not exist")
    if (
        Involvement.select()
        .where((Involvement.incident == incident) & (Involvement.officer == officer))
        .exists()
    ):
        raise Conflict(
            f"officer {officer.id} is already involved in incident {incident.id}",
            {"json": {"officer_id": ["already involved in this incident"]}},
        )
    involvement = new_involvement(incident.id, officer, values)
    involvement.save(force_insert=True)
    counters.changed([involvement.incident_id])
    return involvement


def new_involvement(incident_id, officer, values):
    """A not yet saved involvement of `officer` (the importer saves many at once). Unless
    told, a camera is expected when the officer was issued one."""
    camera_expected = values.get("camera_expected")
    return Involvement(
        incident=incident_id,
        officer=officer.id,
        role=values.get("role") or "assisting",
        camera_expected=officer.camera_issued if camera_expected is None else camera_expected,
        not_recorded_reason=values.get("not_recorded_reason"),
    )


def update_involvement(involvement, changes):
    _apply(involvement, changes)
    involvement.updated_at = utcnow()
    involvement.save()
    counters.changed([involvement.incident_id])
    return involvement


# ---------------------------------------------------------------- sources


def get_source(source_id, lock=False):
    return _get(Source, source_id, "source", lock)


def list_sources(filters):
    query = Source.select().order_by(Source.id)
    for name in (
        "external_id",
        "incident_id",
        "kind",
        "officer_id",
        "device_id",
        "obtained_via",
        "custody_status",
        "review_status",
        "integrity",
        "legal_hold",
    ):
        if filters.get(name) is not None:
            query = query.where(getattr(Source, name) == filters[name])
    if filters.get("sha256"):
        query = query.where(Source.sha256 == filters["sha256"].lower())
    return search.search_sources(query, filters)


def sources_after(query, after):
    """`query` (sources by id) past source `after`: the keyset cursor."""
    return query.where(Source.id > after)


def corrected_span(started_at, ended_at, offset):
    """The recording span on true time (device time + clock offset)."""
    try:
        shift = timedelta(seconds=offset or 0)
        return (
            started_at + shift if started_at is not None else None,
            ended_at + shift if ended_at is not None else None,
        )
    except OverflowError as exc:
        raise Invalid("clock_offset_seconds", "moves the recording out of the calendar") from exc


class SourceFacts:
    """What the source rules need to know about other records, one query per question.

    The rules below ask through this object so that the bulk importer can answer
    the same questions from lookups it made for a whole batch, while the rules
    themselves stay defined once.
    """

    def incident_exists(self, incident_id):
        return Incident.select().where(Incident.id == incident_id).exists()

    def incident_on_hold(self, incident_id):
        return incident_is_on_hold(incident_id)

    def retention(self, incident_id):
        """What the retention rules require of the incident's footage (cached per incident:
        the importer asks once for a batch)."""
        cache = self.__dict__.setdefault("_retention", {})
        if incident_id not in cache:
            cache[incident_id] = retention.requirement_for(incident_id)
        return cache[incident_id]

    def officer_exists(self, officer_id):
        return Officer.select().where(Officer.id == officer_id).exists()

    def source_exists(self, source_id):
        return Source.select().where(Source.id == source_id).exists()

    def officer_involved(self, incident_id, officer_id):
        return (
            Involvement.select()
            .where((Involvement.incident == incident_id) & (Involvement.officer == officer_id))
            .exists()
        )

    def external_id_owner(self, external_id, own_id=None):
        return _external_id_owner(Source, external_id, own_id)

    def sha256_owner(self, incident_id, sha256, own_id=None):
        """The id of another source of `incident_id` with this sha256, or None."""
        return _other_row_id(
            Source, (Source.incident == incident_id) & (Source.sha256 == sha256), own_id
        )


def _check_incident_exists(incident_id, facts):
    if not facts.incident_exists(incident_id):
        raise Invalid("incident_id", f"incident {incident_id} does not exist")


def _check_source(source, is_new, facts, officer_moved=True):
    """Rules across fields and records, on the source as it would be saved. The officer
    must be involved in the source's incident (checked when either is set or changed)."""
    _require_order(
        source.recording_started_at,
        source.recording_ended_at,
        "recording_started_at",
        "recording_ended_at",
    )
    if source.officer_id is not None and not facts.officer_exists(source.officer_id):
        raise Invalid("officer_id", f"officer {source.officer_id} does not exist")
    if (
        source.officer_id is not None
        and officer_moved
        and not facts.officer_involved(source.incident_id, source.officer_id)
    ):
        raise Invalid(
            "officer_id",
            f"officer {source.officer_id} is not involved in incident {source.incident_id}; "
            "record the officer's involvement in the incident first",
        )
    if source.derived_from_id is not None:
        if not is_new and source.derived_from_id == source.id:
            raise Invalid("derived_from_id", "a source cannot be derived from itself")
        if not facts.source_exists(source.derived_from_id):
            raise Invalid("derived_from_id", f"source {source.derived_from_id} does not exist")
    own_id = None if is_new else source.id
    _refuse_taken_external_id(
        source.external_id, facts.external_id_owner(source.external_id, own_id), "source"
    )
    if source.sha256:
        existing = facts.sha256_owner(source.incident_id, source.sha256, own_id)
        if existing is not None:
            raise Conflict(
                f"incident {source.incident_id} already has source {existing} "
                f"with sha256 {source.sha256}",
                {"json": {"sha256": [f"already recorded as source {existing}"]}},
            )
    source.corrected_started_at, source.corrected_ended_at = corrected_span(
        source.recording_started_at, source.recording_ended_at, source.clock_offset_seconds
    )


def source_values(values):
    """Source fields as stored (a sha256 in lower case)."""
    values = dict(values)
    if values.get("sha256"):
        values["sha256"] = values["sha256"].lower()
    return values


def new_source(values, incident_id=None, facts=None):
    """A checked, not yet saved source (the importer saves many at once)."""
    facts = facts or SourceFacts()
    values = source_values(values)
    incident_id = incident_id or values.pop("incident_id", None)
    values.pop("incident_id", None)
    if incident_id is None:
        raise Invalid("incident_id", "Missing data for required field.")
    _check_incident_exists(incident_id, facts)
    wanted = values.pop("retain_until", None)
    source = Source(incident=incident_id, **values)
    _check_source(source, True, facts)
    retention.extend(source, wanted, facts.retention(incident_id))
    source.legal_hold = facts.incident_on_hold(incident_id)
    return source


def create_source(values, incident_id=None):
    source = new_source(values, incident_id)
    source.save(force_insert=True)
    search.index_source(source)
    counters.changed([source.incident_id])
    return source


def update_source(source, changes, facts=None, role=None):
    """Update a source; `role` is the caller's (only an admin moves a held source)."""
    facts = facts or SourceFacts()
    changes = source_values(changes)
    moved = False
    kept_by = []
    wanted_retention = changes.pop("retain_until", source.retain_extended_until)
    before = source.incident_id
    if "incident_id" in changes:
        new_incident = changes.pop("incident_id")
        _check_incident_exists(new_incident, facts)
        moved = new_incident != source.incident_id
        if moved:
            kept_by = refuse_move_under_hold(source, role)
        changes["incident"] = new_incident
    # Only the columns this update owns: the status columns follow custody events, reviews
    # and holds, and are written by them (a stale copy of the row must not roll them back).
    written = [Source._meta.fields.get(k) or Source._meta.columns[k] for k in changes]
    written += [Source.corrected_started_at, Source.corrected_ended_at, Source.updated_at]
    if "sha256" in changes and changes["sha256"] != source.sha256:
        if source.custody_last_seq:
            # Custody observations were compared with this hash: changing it would erase
            # a mismatch. An admin resolves a mismatch instead (docs/custody.md).
            raise Conflict(
                f"sha256 of source {source.id} is fixed: it has {source.custody_last_seq} "
                "custody event(s); a hash mismatch is resolved by an admin through "
                f"POST /api/v1/sources/{source.id}/integrity/resolutions",
                {"json": {"sha256": ["fixed once custody events exist"]}},
            )
        # Observations were compared with the old hash; they say nothing about the new one.
        source.integrity = "unverified"
        written.append(Source.integrity)
    officer_moved = moved or changes.get("officer_id", source.officer_id) != source.officer_id
    _apply(source, changes)
    _check_source(source, False, facts, officer_moved)
    retention.extend(source, wanted_retention, facts.retention(source.incident_id))
    written += [Source.retain_until, Source.retain_indefinitely, Source.retain_extended_until]
    source.updated_at = utcnow()
    source.save(only=written)
    if "notes" in changes or "recorded_by" in changes:
        search.index_source(source)
    counters.changed([before, source.incident_id])
    if moved:
        # The holds that covered it keep covering it; those on the new incident cover it too.
        carry_over(source.id, kept_by)
        refresh_legal_hold([source.id])
        source.legal_hold = Source.get_by_id(source.id).legal_hold
    return source
