"""The inventory's tables.

Timestamps are naive UTC datetimes (see timeutil). Status fields on a source
(custody_status, review_status, integrity, legal_hold) are derived from custody
events, reviews and holds, and are updated in the same transaction as those.
Custody events, reviews and audit entries are append-only.
"""

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from service.storage.db import database, utcnow


class NameListField(TextField):
    """A list of short names (review flags) kept as one `;`-separated text."""

    SEPARATOR = ";"

    def db_value(self, value):
        if isinstance(value, str):
            return value
        return self.SEPARATOR.join(value or ())

    def python_value(self, value):
        return [name for name in (value or "").split(self.SEPARATOR) if name]


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


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
    latitude = FloatField(null=True)
    longitude = FloatField(null=True)
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
            self._agency_codes = [
                code
                for (code,) in Agency.select(Agency.code)
                .join(IncidentAgency)
                .where(IncidentAgency.incident == self.id)
                .order_by(Agency.code)
                .tuples()
            ]
        return self._agency_codes

    class Meta:
        # Lists filtered by state or kind come newest first: these read a page in order
        # (migration 2 puts them in older databases).
        indexes = (
            (("state", "started_at"), False),
            (("kind", "started_at"), False),
        )


class IncidentAgency(BaseModel):
    """Which agencies took part in an incident (an incident may have several)."""

    incident = ForeignKeyField(Incident, backref="agency_links", on_delete="CASCADE")
    agency = ForeignKeyField(Agency, backref="incident_links", on_delete="RESTRICT")

    class Meta:
        primary_key = CompositeKey("incident", "agency")
        indexes = ((("agency", "incident"), False),)


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
    clock_offset_seconds = FloatField(default=0)
    corrected_started_at = DateTimeField(null=True)
    corrected_ended_at = DateTimeField(null=True)
    duration_seconds = FloatField(null=True)
    sha256 = CharField(max_length=64, null=True)
    size_bytes = BigIntegerField(null=True)
    storage_uri = TextField(null=True)
    obtained_via = CharField(max_length=32, null=True)
    derived_from = ForeignKeyField(
        "self", backref="copies", null=True, on_delete="RESTRICT", column_name="derived_from_id"
    )
    retain_until = DateField(null=True)
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

    class Meta:
        indexes = ((("source", "seq"), True),)


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


class ApiToken(BaseModel):
    """An API token: only its SHA-256 is stored, never the token itself."""

    name = CharField(max_length=100, unique=True)
    role = CharField(max_length=16)
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=lambda: utcnow())
    expires_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)


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
    Involvement,
    Source,
    CustodyEvent,
    Review,
    LegalHold,
    HoldSource,
    ApiToken,
    AuditEntry,
    IncidentCounters,
    AuditTreeHead,
]


def create_tables():
    """Create whatever tables and indexes are missing (idempotent)."""
    with database.atomic():
        database.create_tables(ALL_MODELS, safe=True)
