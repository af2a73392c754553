"""Schema changes between versions: an ordered list of migrations and a `schema_version` table.

`evidence init-db` calls `upgrade()`. A fresh database gets every table in its current shape
and is stamped with every migration (there is nothing to upgrade). An existing database gets
the tables it lacks, then each pending migration in order, each in its own transaction
together with its `schema_version` row, so a failed migration leaves no half-done change and
is tried again next time. Migrations only add (tables, columns, indexes): they never drop a
table, since the inventory is evidence.

Each migration checks what is already there before changing it, so it is also a no-op on a
table that `create_tables()` made in the current shape (a table added in a later version, or
a database whose tables were made by another command before `init-db` ran).

Adding a migration: write a function taking a peewee SchemaMigrator, append it to
MIGRATIONS with the next version number, and change the model in models.py to the new
shape (so fresh databases get it directly).
"""

from peewee import SQL, CharField, DateTimeField, IntegerField
from playhouse.migrate import SchemaMigrator, make_index_name, migrate

from service.storage import counters, fulltext, merkle
from service.storage.db import database, forget_column_types, is_postgresql, utcnow
from service.storage.models import (
    ALL_MODELS,
    SEARCH_INDEXES,
    AuditEntry,
    BaseModel,
    CarriedCustodyEvent,
    CaseImport,
    CustodyEvent,
    DashboardSession,
    Incident,
    InvolvementActivation,
    LegalHold,
    Moment,
    Source,
    create_tables,
)

# An arbitrary constant naming the advisory lock that makes concurrent upgrades take turns
# on PostgreSQL (several app servers running init-db as they start).
MIGRATION_LOCK_KEY = 7_240_118


class SchemaVersion(BaseModel):
    """One applied migration."""

    version = IntegerField(primary_key=True)
    name = CharField(max_length=200)
    applied_at = DateTimeField(default=lambda: utcnow())

    class Meta:
        table_name = "schema_version"


def has_column(table, column):
    return column in {c.name for c in database.get_columns(table)}


def has_index(table, name):
    return name in {i.name for i in database.get_indexes(table)}


def _sql_literal(value):
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def add_column_if_missing(migrator, model, column):
    """Add `model`'s field named `column` to its table, with the field's default for old rows.

    A NOT NULL column with a constant default is added in one `ADD COLUMN ... NOT NULL
    DEFAULT v`, which fills the old rows on both databases; peewee's own route (add it
    nullable, fill it, then set NOT NULL) rebuilds the table on SQLite, which the foreign
    keys pointing at most of our tables forbid. Give a new column with a computed default
    `null=True`.
    """
    table = model._meta.table_name
    if has_column(table, column):
        return
    field = model._meta.fields[column]
    if field.null or field.default is None or callable(field.default):
        migrate(migrator.add_column(table, column, field))
        return
    field = field.clone()
    field.constraints = [*(field.constraints or []), SQL("DEFAULT " + _sql_literal(field.default))]
    migrate(migrator.add_column(table, column, field, allow_not_null=True))


def add_index_if_missing(migrator, model, columns, unique=False):
    """The index peewee would make for `model.Meta.indexes` entry `columns` (same name)."""
    table = model._meta.table_name
    if not has_index(table, make_index_name(table, columns)):
        migrate(migrator.add_index(table, columns, unique=unique))


def drop_index_if_present(migrator, model, name):
    """Indexes only: a migration never drops a table or a column."""
    if has_index(model._meta.table_name, name):
        migrate(migrator.drop_index(model._meta.table_name, name))


def index_sources_by_file_and_device(migrator):
    """`GET /sources?sha256=` and `?device_id=` look across every incident: without these
    indexes each is a scan of the whole source table (millions of rows at national scale);
    the older (incident_id, sha256) index only helps within one incident."""
    add_index_if_missing(migrator, Source, ["sha256"])
    add_index_if_missing(migrator, Source, ["device_id"])


def index_incident_lists_by_state_and_kind(migrator):
    """`GET /incidents?state=` (or `kind=`) pages newest first. With an index on the filter
    alone every matching incident is sorted for each page (56 ms for one state among 100,000
    incidents on SQLite); with (filter, started_at) the page is read in order (0.2 ms). The
    single-column indexes they replace would only slow writes down."""
    add_index_if_missing(migrator, Incident, ["state", "started_at"])
    add_index_if_missing(migrator, Incident, ["kind", "started_at"])
    drop_index_if_present(migrator, Incident, "incident_state")
    drop_index_if_present(migrator, Incident, "incident_kind")


def record_custody_chain_heads(migrator):
    """Sources remember their custody chain's length and last hash (so a chain cut short in
    the database no longer verifies). Databases made before that get the two columns, filled
    from the events already recorded; sources without events keep 0 and null."""
    added = not has_column("source", "custody_last_seq")
    add_column_if_missing(migrator, Source, "custody_last_seq")
    add_column_if_missing(migrator, Source, "custody_head_hash")
    if added:
        last = (
            CustodyEvent.select(CustodyEvent.seq)
            .where(CustodyEvent.source == Source.id)
            .order_by(CustodyEvent.seq.desc())
            .limit(1)
        )
        head = (
            CustodyEvent.select(CustodyEvent.hash)
            .where(CustodyEvent.source == Source.id)
            .order_by(CustodyEvent.seq.desc())
            .limit(1)
        )
        (
            Source.update(custody_last_seq=last, custody_head_hash=head)
            .where(Source.id.in_(CustodyEvent.select(CustodyEvent.source)))
            .execute()
        )
    # Superseded by (incident, kind, officer, custody_status, review_status).
    drop_index_if_present(migrator, Source, "source_incident_id_kind_custody_status")


def compute_retention(migrator):
    """Sources gain `retain_indefinitely` and `retain_extended_until`. A retain_until written
    before it was computed is kept as the client's extension, so an upgrade never shortens
    retention. The rules table is new (made by `upgrade` itself, with the tag, disposal and
    disclosure tables), so no rule applies yet and that date is also the computed one;
    loading rules (`evidence rules load-defaults`, `POST /retention-rules`) recomputes every
    source's retain_until in the same transaction."""
    added = not has_column("source", "retain_extended_until")
    add_column_if_missing(migrator, Source, "retain_indefinitely")
    add_column_if_missing(migrator, Source, "retain_extended_until")
    if added:
        Source.update(retain_extended_until=Source.retain_until).where(
            Source.retain_until.is_null(False)
        ).execute()


def interchange_tables(migrator):
    """CASE bundles taken in from other systems, and the custody events they carried
    (service/bulk/case_import.py): two new tables, in their current shape."""
    database.create_tables([CaseImport, CarriedCustodyEvent], safe=True)


def carry_late_entry_reasons(migrator):
    """Carried custody events keep the sender's `late_entry_reason` (hashed when given)."""
    add_column_if_missing(migrator, CarriedCustodyEvent, "late_entry_reason")


def add_moments(migrator):
    """Moments of an incident ("shots fired"): a new table (upgrade() creates tables a
    database lacks before the migrations run; this makes sure of it and of its index)."""
    database.create_tables([Moment], safe=True)


def build_search_index(migrator):
    """Full-text search (`q=`) over incidents' titles and descriptions and sources' notes
    and recorded_by: the index tables, filled from the records already there; and the
    indexes the other search filters read (near=: latitude and longitude; recorded_from /
    recorded_to: the corrected recording span)."""
    for index in SEARCH_INDEXES:
        index.create_index_table()
    fulltext.rebuild_all()
    add_index_if_missing(migrator, Incident, ["latitude", "longitude"])
    add_index_if_missing(migrator, Source, ["corrected_started_at", "corrected_ended_at"])


def widen_incident_coordinates(migrator):
    """Incident latitude and longitude in double precision. On PostgreSQL the columns were
    REAL (4 bytes, ~7 significant digits: 44.995 read back as 44.99499893), which moves a
    point by up to half a metre and made distances differ from SQLite's (8 bytes). Values stored
    before keep the digits REAL kept. Nothing to do on SQLite, whose REAL is 8 bytes."""
    if not is_postgresql():
        return
    for column in ("latitude", "longitude"):
        database.execute_sql(
            f'ALTER TABLE "incident" ALTER COLUMN "{column}" TYPE DOUBLE PRECISION'
        )


def count_coverage_per_incident(migrator):
    """The incident_counters table (made by `upgrade` before the migrations run) is filled
    from the sources and involvements already recorded, a chunk of incidents at a time."""
    counters.rebuild()


def seal_audit_log_in_a_merkle_tree(migrator):
    """Audit entries get their place in the log's Merkle tree (`seq`, given by the sequencer);
    the audit_tree_head table is made by `upgrade`. Entries already recorded keep their hash
    chain, verified as before."""
    add_column_if_missing(migrator, AuditEntry, "seq")
    add_index_if_missing(migrator, AuditEntry, ["seq"], unique=True)


def keep_custody_findings(migrator):
    """Custody events may say why they were recorded out of time order
    (`late_entry_reason`); hash mismatches are resolved by an admin in a table of their own
    (integrity_resolution, made by create_tables as a new table)."""
    add_column_if_missing(migrator, CustodyEvent, "late_entry_reason")


def store_numbers_in_double_precision(migrator):
    """PostgreSQL made peewee's FloatField `real` (single precision: 1000000123.25 read back
    as 1000000100.0, while corrected_started_at was computed from the exact value). The
    columns become `double precision`, which keeps every value a JSON number can carry;
    SQLite's REAL is already double precision."""
    if not is_postgresql():
        return
    for table, column in (
        ("source", "clock_offset_seconds"),
        ("source", "duration_seconds"),
        ("incident", "latitude"),
        ("incident", "longitude"),
    ):
        database.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE double precision')


def keep_hold_release_reasons(migrator):
    """A hold's release says why (`release_reason`)."""
    add_column_if_missing(migrator, LegalHold, "release_reason")


def end_dashboard_sessions_on_the_server(migrator):
    """Dashboard sign-ins are recorded (dashboard_session) so that signing out ends them
    on the server. The table is new: upgrade() creates it before the migrations run; this
    step only marks the version."""
    if not database.table_exists(DashboardSession._meta.table_name):
        database.create_tables([DashboardSession])


def store_audit_subtrees(migrator):
    """Proofs read the stored perfect subtrees of the audit log's Merkle tree (audit_node,
    made by `upgrade` as a new table) instead of every leaf: those of the entries already
    sealed are computed here, once, reading the entries in tree order."""
    frontier, completed = [], []
    query = (
        AuditEntry.select(AuditEntry.hash)
        .where(AuditEntry.seq.is_null(False))
        .order_by(AuditEntry.seq)
        .tuples()
    )
    for (leaf,) in query.iterator():
        merkle.append(frontier, bytes.fromhex(leaf), completed)
        if len(completed) >= 10_000:
            merkle.store_subtrees(completed)
            completed.clear()
    merkle.store_subtrees(completed)


def keep_activation_with_the_counters(migrator):
    """The summary's activation figures read what each expected involvement's bodycams did
    at the incident's start (involvement_activation, made by `upgrade` as a new table) instead
    of asking the sources for every involvement on every request: computed here for the
    incidents already recorded, then kept by every write with the other counters."""
    counters.rebuild()


def index_activation_delays(migrator):
    """The summary's median activation delay reads (incident, delay, recording at start) from
    two covering partial indexes on involvement_activation (models.py) instead of the table."""
    InvolvementActivation._schema.create_indexes(safe=True)


# (version, function), in the order they apply; never renumber or remove one that shipped.
MIGRATIONS = [
    (1, index_sources_by_file_and_device),
    (2, index_incident_lists_by_state_and_kind),
    (3, record_custody_chain_heads),
    (4, compute_retention),
    (8, keep_custody_findings),
    (9, store_numbers_in_double_precision),
    (10, keep_hold_release_reasons),
    (11, end_dashboard_sessions_on_the_server),
    (12, count_coverage_per_incident),
    (13, seal_audit_log_in_a_merkle_tree),
    (16, interchange_tables),
    (17, carry_late_entry_reasons),
    (18, add_moments),
    (19, build_search_index),
    (20, widen_incident_coordinates),
    (21, store_audit_subtrees),
    (22, keep_activation_with_the_counters),
    (23, index_activation_delays),
]


def _applied_versions():
    return {row.version for row in SchemaVersion.select(SchemaVersion.version)}


def _existing_tables():
    names = set(database.get_tables())
    return [m for m in ALL_MODELS if m._meta.table_name in names]


def _take_turns():
    """Inside a transaction: wait for any other upgrade running at the same time.

    On SQLite the transaction already holds the write lock (BEGIN IMMEDIATE).
    """
    if is_postgresql():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))


def _stamp(version, fn):
    SchemaVersion.insert(version=version, name=fn.__name__).on_conflict_ignore().execute()


def pending(migrations=None):
    """The migrations not yet applied to the connected database, in order."""
    migrations = MIGRATIONS if migrations is None else migrations
    if not database.table_exists(SchemaVersion._meta.table_name):
        return list(migrations)
    applied = _applied_versions()
    return [(v, fn) for v, fn in migrations if v not in applied]


def upgrade(migrations=None):
    """Create missing tables and apply pending migrations; returns the names applied."""
    migrations = MIGRATIONS if migrations is None else migrations
    try:
        return _upgrade(migrations)
    finally:
        forget_column_types()  # (the next COPY reads the columns' types again)


def _upgrade(migrations):
    fresh = not _existing_tables()
    with database.atomic():
        _take_turns()
        database.create_tables([SchemaVersion], safe=True)
    if fresh:
        with database.atomic():
            _take_turns()
            create_tables()
            for version, fn in migrations:
                _stamp(version, fn)
        return []
    # Tables of a newer version first, in their current shape; indexes on old tables wait
    # until the migrations have added the columns they may name.
    with database.atomic():
        _take_turns()
        existing = set(_existing_tables())
        database.create_tables([m for m in ALL_MODELS if m not in existing])
    migrator = SchemaMigrator.from_database(database)
    applied = []
    for version, fn in migrations:
        with database.atomic():
            _take_turns()
            if version in _applied_versions():
                continue  # another process applied it while we waited
            fn(migrator)
            _stamp(version, fn)
        applied.append(fn.__name__)
    create_tables()  # indexes the models declare that no migration made
    return applied
