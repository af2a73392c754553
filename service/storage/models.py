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
    DoubleField,
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
    """Who did what, when, with what outcome. Append-only and hash-chained."""

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


ALL_MODELS = [
    Agency,
    Officer,
    Incident,
    IncidentAgency,
    Involvement,
    Source,
    CustodyEvent,
    IntegrityResolution,
    Review,
    LegalHold,
    HoldSource,
    ApiToken,
    DashboardSession,
    AuditEntry,
]


def create_tables():
    """Create whatever tables and indexes are missing (idempotent)."""
    with database.atomic():
        database.create_tables(ALL_MODELS, safe=True)
