"""The inventory's tables.

Timestamps are naive UTC datetimes (see timeutil). Status fields on a source
(custody_status, review_status, integrity, legal_hold) are derived from custody
events, reviews and holds, and are updated in the same transaction as those.
Custody events, reviews and audit entries are append-only.
"""

import inspect
import json
from datetime import datetime

import peewee
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DoubleField,
    FieldAccessor,
    ForeignKeyAccessor,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    SqliteDatabase,
    TextField,
)

from service.storage.db import (
    READ_AS_IS,
    Prepared,
    database,
    is_postgresql,
    row_maker,
    utcnow,
)


class NameListField(TextField):
    """A list of short names (review flags) kept as one `;`-separated text."""

    SEPARATOR = ";"

    def db_value(self, value):
        if isinstance(value, str):
            return value
        return self.SEPARATOR.join(value or ())

    def python_value(self, value):
        return [name for name in (value or "").split(self.SEPARATOR) if name]


class DateTimeField(peewee.DateTimeField):
    """peewee's, reading the text SQLite stores with `datetime.fromisoformat` at once: peewee
    tries the same call first, after rewriting the text in ways Python 3.11's fromisoformat
    no longer needs (several times slower, over every date of every row). Text it cannot
    read goes to peewee's own parsing."""

    def python_value(self, value):
        if type(value) is str:
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        return super().python_value(value)


READ_AS_IS[DateTimeField.python_value] = datetime
_TIMESTAMP = DateTimeField()


def as_datetime(value):
    """A timestamp read outside a model's field (an aggregate, a subquery's column), where
    SQLite gives the stored text: as a field of the model would give it."""
    return _TIMESTAMP.python_value(value)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False

    def __init__(self, *args, **kwargs):
        if args:
            super().__init__(*args, **kwargs)
            return
        # The values of plain fields and foreign keys go straight into the record's data, where
        # their accessors would put them (a new record, or a row peewee has read and makes with
        # __no_default__, has nothing cached to drop), saving a descriptor call per field and
        # row; anything else is set as peewee sets it.
        if kwargs.pop("__no_default__", None):
            self.__data__ = data = {}
            self._dirty = dirty = set()
        else:
            self.__data__ = data = self._meta.get_default_dict()
            self._dirty = dirty = set(data)
        self.__rel__ = {}
        direct = _DIRECT_FIELDS.get(type(self)) or _direct_fields(type(self))
        for name, value in kwargs.items():
            if name in direct and not isinstance(value, Model):
                data[name] = value
                dirty.add(name)
            else:
                setattr(self, name, value)


# {model: names of its fields whose accessor only stores the value}: see BaseModel.__init__.
_DIRECT_FIELDS = {}


def _direct_fields(model):
    plain = (FieldAccessor, ForeignKeyAccessor)
    names = {
        name
        for name in model._meta.fields
        if type(inspect.getattr_static(model, name, None)) in plain
    }
    _DIRECT_FIELDS[model] = names
    return names


class Agency(BaseModel):
    """A law enforcement agency, known by its short code (CBP, ICE, MPD...)."""

    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=200)
    jurisdiction = CharField(max_length=16, default="other")


class Officer(BaseModel):
    """A sworn officer or agent; unique by agency and badge number."""

    external_id = CharField(max_length=200, null=True, unique=True)
    agency = ForeignKeyField(Agency, backref="officers", on_delete="RESTRICT")
    badge_number = CharField(max_length=64)
    name = CharField(max_length=200, null=True)
    camera_issued = BooleanField(default=False)

    class Meta:
        indexes = ((("agency", "badge_number"), True),)


class Incident(BaseModel):
    """An event under investigation: a shooting, a use of force, an arrest..."""

    external_id = CharField(max_length=200, null=True, unique=True)
    case_number = CharField(max_length=100, null=True, index=True)
    cad_event_id = CharField(max_length=100, null=True)
    title = CharField(max_length=300)
    kind = CharField(max_length=32, default="other")
    started_at = DateTimeField(index=True)
    ended_at = DateTimeField(null=True)
    address = CharField(max_length=300, null=True)
    city = CharField(max_length=120, null=True)
    state = CharField(max_length=64, null=True)
    latitude = DoubleField(null=True)
    longitude = DoubleField(null=True)
    status = CharField(max_length=32, default="open")
    description = TextField(null=True)
    created_at = DateTimeField(default=lambda: utcnow())
    updated_at = DateTimeField(default=lambda: utcnow())

    LOCATION_FIELDS = ("address", "city", "state", "latitude", "longitude")

    @property
    def location(self):
        """Where it happened, as one value (the columns above)."""
        return {name: getattr(self, name) for name in self.LOCATION_FIELDS}

    @property
    def agencies(self):
        """The codes of the agencies that took part, A to Z (lists load them for a whole
        page at once: service.domain.inventory.with_agencies)."""
        if "_agency_codes" not in self.__dict__:
            self._agency_codes = [code for (code,) in _AGENCY_CODES.rows(self.id)]
        return self._agency_codes

    @property
    def tags(self):
        """The incident's classification tags, A to Z (lists load them for a whole page at
        once: service.domain.retention.with_tags)."""
        if "_tags" not in self.__dict__:
            self._tags = [tag for (tag,) in _TAGS.rows(self.id)]
        return self._tags

    class Meta:
        # Lists filtered by state or kind come newest first: these read a page in order
        # (migration 2 puts them in older databases).
        indexes = (
            (("state", "started_at"), False),
            (("kind", "started_at"), False),
            # near=: the bounding box around a point (migration 19 adds it).
            (("latitude", "longitude"), False),
        )


class IncidentAgency(BaseModel):
    """Which agencies took part in an incident (an incident may have several)."""

    incident = ForeignKeyField(Incident, backref="agency_links", on_delete="CASCADE")
    agency = ForeignKeyField(Agency, backref="incident_links", on_delete="RESTRICT")

    class Meta:
        primary_key = CompositeKey("incident", "agency")
        indexes = ((("agency", "incident"), False),)


class IncidentTag(BaseModel):
    """An incident's classification (firearm_discharge, deadly_force...): one row per tag, so
    that `?tag=` and the governance rules find incidents through an index."""

    incident = ForeignKeyField(Incident, backref="tag_links", on_delete="CASCADE")
    tag = CharField(max_length=32)

    class Meta:
        primary_key = CompositeKey("incident", "tag")
        indexes = ((("tag", "incident"), False),)


# One incident's agency codes and tags, A to Z (Incident.agencies, Incident.tags): their SQL
# composed once.
_AGENCY_CODES = Prepared(
    lambda incident_id: (
        Agency.select(Agency.code)
        .join(IncidentAgency)
        .where(IncidentAgency.incident == incident_id)
        .order_by(Agency.code)
        .tuples()
    ),
    7_654_321,
)
_TAGS = Prepared(
    lambda incident_id: (
        IncidentTag.select(IncidentTag.tag)
        .where(IncidentTag.incident == incident_id)
        .order_by(IncidentTag.tag)
        .tuples()
    ),
    7_654_321,
)


def incident_with_lists(incident_id):
    """Incident `incident_id` knowing its agencies' codes and its tags, or None: one
    statement, where reading the record and then each list takes three (an incident's page
    in the API shows all of it). The lists come in the order of Incident.agencies and
    Incident.tags."""
    composed = _WHOLE_INCIDENT.get(type(database.obj))
    if composed is None:
        composed = _WHOLE_INCIDENT[type(database.obj)] = (
            _whole_incident_sql(),
            row_maker(Incident.select()),
        )
    sql, make = composed
    fetched = database.execute_sql(sql, (incident_id,)).fetchall()
    if not fetched:
        return None
    *columns, codes, tags = fetched[0]
    (incident,) = make([columns])
    if is_postgresql():  # arrays, in the order asked
        incident._agency_codes, incident._tags = codes, tags
    else:  # JSON arrays, in no promised order: SQLite's ORDER BY compares text as sorted()
        incident._agency_codes, incident._tags = sorted(json.loads(codes)), sorted(json.loads(tags))
    return incident


# {type of database: (incident_with_lists's SQL, the maker of its records)}
_WHOLE_INCIDENT = {}


def _whole_incident_sql():
    def table(model):
        return f'"{model._meta.table_name}"'

    columns = ", ".join(f'"i"."{f.column_name}"' for f in Incident._meta.sorted_fields)
    codes = (
        f'SELECT "a"."code" FROM {table(Agency)} AS "a" JOIN {table(IncidentAgency)} AS "l" '
        'ON "l"."agency_id" = "a"."id" WHERE "l"."incident_id" = "i"."id" ORDER BY "a"."code"'
    )
    tags = (
        f'SELECT "t"."tag" FROM {table(IncidentTag)} AS "t" '
        'WHERE "t"."incident_id" = "i"."id" ORDER BY "t"."tag"'
    )
    if is_postgresql():
        lists = f"ARRAY({codes}), ARRAY({tags})"
    else:
        lists = (
            f'(SELECT json_group_array("code") FROM ({codes})), '
            f'(SELECT json_group_array("tag") FROM ({tags}))'
        )
    where = f'"i"."id" = {database.param}'
    return f'SELECT {columns}, {lists} FROM {table(Incident)} AS "i" WHERE {where}'


class Involvement(BaseModel):
    """An officer's part in an incident, and whether a body camera was expected."""

    incident = ForeignKeyField(Incident, backref="involvements", on_delete="CASCADE")
    officer = ForeignKeyField(Officer, backref="involvements", on_delete="RESTRICT")
    role = CharField(max_length=32, default="assisting")
    camera_expected = BooleanField(default=False)
    not_recorded_reason = TextField(null=True)
    created_at = DateTimeField(default=lambda: utcnow())
    updated_at = DateTimeField(default=lambda: utcnow())

    class Meta:
        indexes = (
            (("incident", "officer"), True),
            (("officer",), False),
            # Coverage: the officers of an incident who were expected to wear a camera.
            (("incident", "camera_expected", "officer"), False),
        )


class Source(BaseModel):
    """One recording of an incident: a body camera file, a bystander clip, a news video...

    `corrected_started_at`/`corrected_ended_at` are the recording span with the
    device clock offset applied (true time = device time + offset); coverage
    questions use them.
    """

    external_id = CharField(max_length=200, null=True, unique=True)
    incident = ForeignKeyField(Incident, backref="sources", on_delete="RESTRICT")
    kind = CharField(max_length=32)
    officer = ForeignKeyField(Officer, backref="sources", null=True, on_delete="RESTRICT")
    device_id = CharField(max_length=200, null=True)
    recorded_by = CharField(max_length=300, null=True)
    recording_started_at = DateTimeField(null=True)
    recording_ended_at = DateTimeField(null=True)
    clock_offset_seconds = DoubleField(default=0)
    corrected_started_at = DateTimeField(null=True)
    corrected_ended_at = DateTimeField(null=True)
    duration_seconds = DoubleField(null=True)
    sha256 = CharField(max_length=64, null=True)
    size_bytes = BigIntegerField(null=True)
    storage_uri = TextField(null=True)
    obtained_via = CharField(max_length=32, null=True)
    derived_from = ForeignKeyField(
        "self", backref="copies", null=True, on_delete="RESTRICT", column_name="derived_from_id"
    )
    retain_until = DateField(null=True)
    # Computed by service.domain.retention from the rules (retain_until null and this true
    # when a rule keeps the footage indefinitely); a client may only extend it, and the
    # extension is kept apart so that a later change of the rules never shortens it.
    retain_indefinitely = BooleanField(default=False)
    retain_extended_until = DateField(null=True)
    notes = TextField(null=True)
    custody_status = CharField(max_length=16, default="identified")
    review_status = CharField(max_length=16, default="unreviewed")
    integrity = CharField(max_length=16, default="unverified")
    legal_hold = BooleanField(default=False)
    # The custody chain's length and last hash, written with each append: a chain cut
    # short in the database (its last events deleted) no longer matches them.
    custody_last_seq = IntegerField(default=0)
    custody_head_hash = CharField(max_length=64, null=True)
    created_at = DateTimeField(default=lambda: utcnow())
    updated_at = DateTimeField(default=lambda: utcnow())

    class Meta:
        indexes = (
            (("incident", "sha256"), True),
            # Covers every coverage question about an incident's footage (has it a bodycam?
            # this officer's own? how many sources, how many reviewed?) without reading rows.
            (("incident", "kind", "officer", "custody_status", "review_status"), False),
            (("officer", "incident", "kind"), False),
            (("custody_status",), False),
            (("review_status",), False),
            # Lookups across incidents: where else does this file appear, what did this
            # camera record (migration 1 adds them to older databases).
            (("sha256",), False),
            (("device_id",), False),
            # the retention query: past retain_until and not on hold
            (("retain_until", "legal_hold"), False),
            # recorded_from/recorded_to: spans overlapping a time window (migration 19)
            (("corrected_started_at", "corrected_ended_at"), False),
        )


class CustodyEvent(BaseModel):
    """One link of a source's chain of custody. Append-only and hash-chained."""

    source = ForeignKeyField(Source, backref="custody_events", on_delete="RESTRICT")
    seq = IntegerField()
    action = CharField(max_length=16)
    custodian = CharField(max_length=300, null=True)
    occurred_at = DateTimeField()
    location = CharField(max_length=300, null=True)
    sha256_observed = CharField(max_length=64, null=True)
    note = TextField(null=True)
    actor = CharField(max_length=200)
    recorded_at = DateTimeField(default=lambda: utcnow())
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    # Why an event is recorded out of time order (migration 8); hashed only when given.
    late_entry_reason = TextField(null=True)

    class Meta:
        indexes = ((("source", "seq"), True),)


class IntegrityResolution(BaseModel):
    """An admin's resolution of a hash mismatch (migration 8). Append-only: it keeps the
    hash the source had, the hash observed, and the hash the source holds from then on."""

    source = ForeignKeyField(Source, backref="integrity_resolutions", on_delete="RESTRICT")
    after_seq = IntegerField()  # the chain's length when it was recorded
    mismatch_seq = IntegerField()  # the custody event that observed the other hash
    previous_sha256 = CharField(max_length=64)
    observed_sha256 = CharField(max_length=64)
    sha256 = CharField(max_length=64)
    reason = TextField()
    actor = CharField(max_length=200)
    resolved_at = DateTimeField(default=lambda: utcnow())

    class Meta:
        indexes = ((("source", "after_seq"), False),)


class Review(BaseModel):
    """A reviewer's verdict on a source; the latest one sets the source's review_status."""

    source = ForeignKeyField(Source, backref="reviews", on_delete="RESTRICT")
    status = CharField(max_length=16)
    reviewer = CharField(max_length=200)
    notes = TextField(null=True)
    flags = NameListField(default=list)
    actor = CharField(max_length=200)
    created_at = DateTimeField(default=lambda: utcnow())

    class Meta:
        indexes = ((("source", "id"), False),)


class LegalHold(BaseModel):
    """A preservation order on an incident's sources (present and future) or on listed sources."""

    name = CharField(max_length=200)
    authority = CharField(max_length=300, null=True)
    reason = TextField(null=True)
    incident = ForeignKeyField(Incident, backref="holds", null=True, on_delete="RESTRICT")
    active = BooleanField(default=True)
    created_by = CharField(max_length=200, null=True)
    released_by = CharField(max_length=200, null=True)
    created_at = DateTimeField(default=lambda: utcnow())
    released_at = DateTimeField(null=True)
    release_reason = TextField(null=True)  # migration 10

    class Meta:
        indexes = ((("incident", "active"), False),)

    @property
    def source_ids(self):
        """The sources the hold names (none for a hold on a whole incident); lists load
        them for a whole page at once (service.domain.holds.with_listed_sources)."""
        if "_source_ids" not in self.__dict__:
            self._source_ids = [
                source_id
                for (source_id,) in HoldSource.select(HoldSource.source)
                .where(HoldSource.hold == self.id)
                .order_by(HoldSource.source)
                .tuples()
            ]
        return self._source_ids


class HoldSource(BaseModel):
    """A source named by a hold that was placed on listed sources."""

    hold = ForeignKeyField(LegalHold, backref="source_links", on_delete="CASCADE")
    source = ForeignKeyField(Source, backref="hold_links", on_delete="RESTRICT")

    class Meta:
        primary_key = CompositeKey("hold", "source")
        indexes = ((("source", "hold"), False),)


class RetentionRule(BaseModel):
    """How long footage of matching incidents must be kept (minimum_days null: forever)."""

    name = CharField(max_length=200, unique=True)
    state = CharField(max_length=64, null=True)
    agency_jurisdictions = NameListField(default=list)
    tags = NameListField(default=list)
    minimum_days = IntegerField(null=True)
    citation = TextField(null=True)
    summary = TextField(null=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=lambda: utcnow())
    updated_at = DateTimeField(default=lambda: utcnow())


class DisposalRequest(BaseModel):
    """A request to dispose of a source, and its decision by a second person (an admin).
    Written once when requested and once when decided; never deleted."""

    source = ForeignKeyField(Source, backref="disposal_requests", on_delete="RESTRICT")
    reason = TextField()
    requested_by = CharField(max_length=200)
    requested_at = DateTimeField(default=lambda: utcnow())
    status = CharField(max_length=16, default="pending")
    decided_by = CharField(max_length=200, null=True)
    decided_at = DateTimeField(null=True)
    decision_reason = TextField(null=True)
    custody_event_seq = IntegerField(null=True)

    class Meta:
        indexes = ((("status", "id"), False), (("source", "status"), False))


class DisclosureRule(BaseModel):
    """A deadline for releasing footage of matching incidents (to the public when
    requester_kind is null, else to that kind of requester), counted from the incident or
    from the request."""

    name = CharField(max_length=200, unique=True)
    state = CharField(max_length=64, null=True)
    agency_jurisdictions = NameListField(default=list)
    tags = NameListField(default=list)
    requester_kind = CharField(max_length=16, null=True)
    deadline_days = IntegerField()
    counted_from = CharField(max_length=16, default="incident")
    citation = TextField(null=True)
    summary = TextField(null=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=lambda: utcnow())
    updated_at = DateTimeField(default=lambda: utcnow())


class DisclosureRequest(BaseModel):
    """A records request for an incident's footage."""

    incident = ForeignKeyField(Incident, backref="disclosure_requests", on_delete="RESTRICT")
    requester_kind = CharField(max_length=16)
    requester = CharField(max_length=300, null=True)
    received_at = DateTimeField()
    source_ids = NameListField(default=list)
    created_by = CharField(max_length=200, null=True)
    created_at = DateTimeField(default=lambda: utcnow())

    class Meta:
        indexes = ((("incident", "id"), False),)


class Disclosure(BaseModel):
    """A release decision on an incident's footage. Append-only."""

    incident = ForeignKeyField(Incident, backref="disclosures", on_delete="RESTRICT")
    kind = CharField(max_length=24)
    decided_at = DateTimeField()
    basis = TextField(null=True)
    source_ids = NameListField(default=list)
    request = ForeignKeyField(
        DisclosureRequest, backref="decisions", null=True, on_delete="RESTRICT"
    )
    until = DateTimeField(null=True)
    created_by = CharField(max_length=200, null=True)
    created_at = DateTimeField(default=lambda: utcnow())

    class Meta:
        indexes = ((("incident", "decided_at"), False),)


class CaseImport(BaseModel):
    """A CASE bundle taken in from another system (service/bulk/case_import.py), kept as
    received: its exact text, the signature and public key it was checked with (or that it
    came unsigned), and the incident it became. One per investigation IRI, so the same
    bundle imported twice changes nothing."""

    investigation = CharField(max_length=500, unique=True)
    incident = ForeignKeyField(Incident, backref="case_imports", on_delete="RESTRICT")
    sender = CharField(max_length=300)
    bundle_sha256 = CharField(max_length=64)
    # The records read from the bundle, hashed: a later export of the same records (another
    # bundle time, same content) is the same import.
    records_sha256 = CharField(max_length=64)
    bundle = TextField()
    signature = CharField(max_length=128, null=True)
    public_key = TextField(null=True)
    signed = BooleanField(default=False)
    actor = CharField(max_length=200)
    imported_at = DateTimeField(default=lambda: utcnow())


class CarriedCustodyEvent(BaseModel):
    """A custody event of another system's chain, carried over verbatim with a source that
    was imported from a CASE bundle: the sender's fields (times as the exact strings it
    hashed), `prev_hash` and `hash`, so the sender's chain can be re-verified as it was.
    `origin` is the IRI of the file whose own chain it was. Append-only, never recomputed."""

    source = ForeignKeyField(Source, backref="carried_events", on_delete="RESTRICT")
    case_import = ForeignKeyField(CaseImport, backref="carried_events", on_delete="RESTRICT")
    origin = CharField(max_length=500)
    sender_source_id = BigIntegerField()
    seq = IntegerField()
    action = CharField(max_length=16)
    custodian = CharField(max_length=300, null=True)
    occurred_at = CharField(max_length=40)
    location = CharField(max_length=300, null=True)
    sha256_observed = CharField(max_length=64, null=True)
    note = TextField(null=True)
    actor = CharField(max_length=200)
    recorded_at = CharField(max_length=40)
    # Hashed only when given (as in our own chains): why an event was entered out of order.
    late_entry_reason = TextField(null=True)
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)

    class Meta:
        indexes = ((("source", "origin", "seq"), True),)


class Moment(BaseModel):
    """A named instant of an incident ("shots fired"): an annotation, not evidence, so it
    may be corrected or deleted (its writes are audited like every other)."""

    incident = ForeignKeyField(Incident, backref="moments", on_delete="CASCADE")
    label = CharField(max_length=200)
    at = DateTimeField()
    notes = TextField(null=True)
    created_at = DateTimeField(default=lambda: utcnow())
    updated_at = DateTimeField(default=lambda: utcnow())

    class Meta:
        indexes = ((("incident", "at"), False),)


class ApiToken(BaseModel):
    """An API token: only its SHA-256 is stored, never the token itself."""

    name = CharField(max_length=100, unique=True)
    role = CharField(max_length=16)
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=lambda: utcnow())
    expires_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)


class DashboardSession(BaseModel):
    """A dashboard sign-in (migration 11): the cookie names it, sign-out ends it here, so a
    copied cookie stops working at once. Only the SHA-256 of the session id is stored."""

    session_hash = CharField(max_length=64, unique=True)
    token = ForeignKeyField(ApiToken, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=lambda: utcnow())
    ended_at = DateTimeField(null=True)


class AuditEntry(BaseModel):
    """Who did what, when, with what outcome. Append-only.

    Entries recorded before migration 13 are hash-chained (`prev_hash`, `hash`). Later ones
    carry their Merkle leaf hash in `hash` (and an empty `prev_hash`); the sequencer gives
    them their place in the log's Merkle tree, `seq` (0-based), and seals the tree in
    signed tree heads (service/domain/auditlog.py).
    """

    at = DateTimeField(default=lambda: utcnow(), index=True)
    actor = CharField(max_length=100, null=True, index=True)
    role = CharField(max_length=16, null=True)
    method = CharField(max_length=8)
    path = TextField()
    status = IntegerField()
    resource = CharField(max_length=32, null=True, index=True)
    resource_id = CharField(max_length=100, null=True)
    ip = CharField(max_length=64, null=True)
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    seq = BigIntegerField(null=True, unique=True)


class AuditTreeHead(BaseModel):
    """A signed statement of the audit log's Merkle tree: its size and root hash at a time
    (RFC 6962 signed tree head), with the frontier the next seal continues from."""

    tree_size = BigIntegerField(unique=True)
    root_hash = CharField(max_length=64)
    frontier = TextField()
    sealed_at = DateTimeField()
    signature = CharField(max_length=128)
    public_key = CharField(max_length=64)

    class Meta:
        table_name = "audit_tree_head"


class InvolvementActivation(BaseModel):
    """For each expected involvement (camera_expected), what the summary's activation figures
    read: whether one of the officer's own bodycams covered the incident's started_at, and the
    earliest corrected start of one, each for counted footage (not disposed) and for held
    footage (in_custody, checked_out); recomputed when the incident's start moves. Derived data,
    kept with the counters by
    service/storage/counters.py in the transaction of every write that changes them."""

    involvement = ForeignKeyField(Involvement, primary_key=True, on_delete="CASCADE")
    incident = ForeignKeyField(Incident, index=True, on_delete="CASCADE")
    at_start_counted = BooleanField(default=False)
    at_start_held = BooleanField(default=False)
    # Seconds from the incident's started_at to the earliest start (null without one).
    delay_counted = DoubleField(null=True)
    delay_held = DoubleField(null=True)

    class Meta:
        table_name = "involvement_activation"


# Covering partial indexes: the summary's activation figures read, per incident, only the
# involvements whose officer has a bodycam start (a delay), and those entries alone hold what
# it needs (the delay and whether the camera was recording at the start), so the table itself
# is not read.
for _counting in ("counted", "held"):
    _delay = getattr(InvolvementActivation, f"delay_{_counting}")
    InvolvementActivation.add_index(
        InvolvementActivation.index(
            InvolvementActivation.incident,
            _delay,
            getattr(InvolvementActivation, f"at_start_{_counting}"),
            where=_delay.is_null(False),
            name=f"involvement_activation_delay_{_counting}",
        )
    )


class AuditNode(BaseModel):
    """A perfect subtree of the audit log's Merkle tree: the hash of 2**level leaves from leaf
    index * 2**level (level 1 and up; the leaves are the entries' hashes). Written by the
    sequencer when a seal completes it, never changed; proofs read O(log² n) of them
    instead of every leaf."""

    level = SmallIntegerField()
    index = BigIntegerField()
    hash = CharField(max_length=64)

    class Meta:
        table_name = "audit_node"
        primary_key = CompositeKey("level", "index")


class IncidentCounters(BaseModel):
    """Per-incident figures that the coverage lists and the summary read instead of scanning
    sources. Derived data: kept by service/domain/counters.py in the transaction of every
    write that changes them, recomputed from scratch by `evidence check-counters`.

    "counted" is a source that is not disposed; "held" one in the service's hands
    (in_custody or checked_out); "reviewed" a verdict reached (reviewed, flagged, excluded).
    """

    incident = ForeignKeyField(Incident, primary_key=True, backref="counters", on_delete="RESTRICT")
    sources = IntegerField(default=0)
    sources_counted = IntegerField(default=0)
    sources_held = IntegerField(default=0)
    sources_disposed = IntegerField(default=0)
    bodycam_counted = IntegerField(default=0)
    bodycam_held = IntegerField(default=0)
    reviewed_counted = IntegerField(default=0)
    reviewed_held = IntegerField(default=0)
    officers_expected = IntegerField(default=0)
    uncovered_counted = IntegerField(default=0)
    uncovered_held = IntegerField(default=0)
    # The earliest clock-corrected start of a counted bodycam recording.
    first_bodycam_at = DateTimeField(null=True)

    class Meta:
        table_name = "incident_counters"


# Partial indexes: each lists exactly the incidents lacking one kind of footage, so the
# lacking lists and their counts read O(answer) index entries, not every incident.
for _name, _condition in (
    ("no_bodycam_counted", IncidentCounters.bodycam_counted == 0),
    ("no_bodycam_held", IncidentCounters.bodycam_held == 0),
    ("no_source_counted", IncidentCounters.sources_counted == 0),
    ("no_source_held", IncidentCounters.sources_held == 0),
    ("officer_uncovered_counted", IncidentCounters.uncovered_counted > 0),
    ("officer_uncovered_held", IncidentCounters.uncovered_held > 0),
):
    IncidentCounters.add_index(
        IncidentCounters.index(
            IncidentCounters.incident, where=_condition, name=f"incident_counters_{_name}"
        )
    )


ALL_MODELS = [
    Agency,
    Officer,
    Incident,
    IncidentAgency,
    IncidentTag,
    Involvement,
    Source,
    CustodyEvent,
    IntegrityResolution,
    Review,
    LegalHold,
    HoldSource,
    RetentionRule,
    DisposalRequest,
    DisclosureRule,
    DisclosureRequest,
    Disclosure,
    Moment,
    ApiToken,
    DashboardSession,
    AuditEntry,
    CaseImport,
    CarriedCustodyEvent,
    IncidentCounters,
    AuditTreeHead,
    AuditNode,
    InvolvementActivation,
]


class SearchIndex(BaseModel):
    """The full-text index of one table (the search tables below): `rowid` is the indexed
    row's id, `document` its words, folded (lower case, no accents) by
    service.domain.search. An FTS5 table on SQLite, a tsvector with a GIN index on
    PostgreSQL; written only by service.domain.search, in the transaction of the write."""

    rowid = BigIntegerField(primary_key=True, column_name="rowid")
    document = TextField()

    OF = None  # the model indexed

    @classmethod
    def create_index_table(cls):
        """Create the table if missing: FTS5 (accents and case folded again by unicode61)
        on SQLite; on PostgreSQL a tsvector of the 'simple' configuration (no stemming,
        like FTS5's unicode61), with a GIN index and rows that go with their record."""
        table = cls._meta.table_name
        if database.table_exists(table):
            return
        if isinstance(database.obj, SqliteDatabase):
            database.execute_sql(
                f'CREATE VIRTUAL TABLE "{table}" USING fts5(document, '
                "tokenize='unicode61 remove_diacritics 2')"
            )
            return
        indexed = cls.OF._meta.table_name
        database.execute_sql(
            f'CREATE TABLE "{table}" (rowid BIGINT PRIMARY KEY '
            f'REFERENCES "{indexed}" (id) ON DELETE CASCADE, document TSVECTOR NOT NULL)'
        )
        database.execute_sql(f'CREATE INDEX "{table}_document" ON "{table}" USING GIN (document)')


class IncidentSearch(SearchIndex):
    """Words of an incident's title and description."""

    OF = Incident

    class Meta:
        table_name = "incident_search"


class SourceSearch(SearchIndex):
    """Words of a source's notes and recorded_by."""

    OF = Source

    class Meta:
        table_name = "source_search"


SEARCH_INDEXES = [IncidentSearch, SourceSearch]


def create_tables():
    """Create whatever tables and indexes are missing (idempotent)."""
    with database.atomic():
        database.create_tables(ALL_MODELS, safe=True)
        for index in SEARCH_INDEXES:
            index.create_index_table()
