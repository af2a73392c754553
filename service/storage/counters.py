"""Per-incident counters (models.IncidentCounters) computed from the rows they summarise.

`recompute(ids)` is the one definition of every counter: the write paths call it (through
service/domain/counters.py) for the incidents they touched, the migration that introduced
the table back-fills with it, and `evidence check-counters` compares the stored figures with
it. It reads one incident's sources through the covering (incident, kind, officer,
custody_status, review_status) index, so keeping the counters costs a few index reads per
write.
"""

import json

from peewee import JOIN, SQL, Case, DateTimeField, Expression, fn

from service.storage.db import (
    database,
    db_rows,
    execute_many,
    for_update,
    is_postgresql,
    one_of,
    unnest,
)
from service.storage.models import (
    Incident,
    IncidentCounters,
    Involvement,
    InvolvementActivation,
    Source,
    as_datetime,
)

# Custody states in which the service holds the file itself, and review states in which a
# reviewer has reached a verdict (coverage.py asks its questions with the same sets).
HELD = ("in_custody", "checked_out")
REVIEWED = ("reviewed", "flagged", "excluded")
DISPOSED = "disposed"
FIELDS = [f.name for f in IncidentCounters._meta.sorted_fields if f.name != "incident"]
CHUNK = 5000


def _sum(condition):
    return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)


def _uncovered(condition, name):
    return (
        Involvement.select(fn.COUNT(SQL("*")))
        .where(
            (Involvement.incident == Incident.id)
            & (Involvement.camera_expected == True)  # noqa: E712
            & ~fn.EXISTS(_own_bodycams(condition))
        )
        .alias(name)
    )


def computed(where):
    """A query of (incident id, counters...) for the incidents matching `where`."""
    s = Source.alias("s")
    counted = s.custody_status != DISPOSED
    held = s.custody_status.in_(HELD)
    bodycam = s.kind == "bodycam"
    reviewed = s.review_status.in_(REVIEWED)
    return (
        Incident.select(
            Incident.id,
            fn.COUNT(s.id).alias("sources"),
            _sum(counted).alias("sources_counted"),
            _sum(held).alias("sources_held"),
            _sum(s.custody_status == DISPOSED).alias("sources_disposed"),
            _sum(bodycam & counted).alias("bodycam_counted"),
            _sum(bodycam & held).alias("bodycam_held"),
            _sum(reviewed & counted).alias("reviewed_counted"),
            _sum(reviewed & held).alias("reviewed_held"),
            Involvement.select(fn.COUNT(SQL("*")))
            .where(
                (Involvement.incident == Incident.id) & (Involvement.camera_expected == True)  # noqa: E712
            )
            .alias("officers_expected"),
            _uncovered(Source.custody_status != DISPOSED, "uncovered_counted"),
            _uncovered(Source.custody_status.in_(HELD), "uncovered_held"),
            fn.MIN(Case(None, [(bodycam & counted, s.corrected_started_at)], None)).alias(
                "first_bodycam_at"
            ),
        )
        .join(s, JOIN.LEFT_OUTER, on=(s.incident == Incident.id))
        .where(where)
        .group_by(Incident.id)
        .order_by(Incident.id)
    )


# ---------------------------------------------------------------- activation


ACTIVATION_FIELDS = [
    f.name for f in InvolvementActivation._meta.sorted_fields if f.name != "involvement"
]


def _own_bodycams(condition):
    """Correlated on an Involvement row: its officer's own bodycams in its incident."""
    return Source.select(SQL("1")).where(
        (Source.incident == Involvement.incident)
        & (Source.officer == Involvement.officer)
        & (Source.kind == "bodycam")
        & condition
    )


def _recording_at_start(condition):
    return fn.EXISTS(
        _own_bodycams(condition).where(
            (Source.corrected_started_at <= Incident.started_at)
            & (Source.corrected_ended_at >= Incident.started_at)
        )
    )


def earliest_start(condition):
    """Correlated on an Involvement row: its officer's earliest own bodycam start."""
    return _own_bodycams(condition).select(fn.MIN(Source.corrected_started_at))


def seconds_between(later, earlier):
    """later - earlier in seconds, in each backend's dialect (to the millisecond)."""
    if is_postgresql():
        # (a subquery's `-` would be EXCEPT in peewee: the difference is spelled out)
        return fn.ROUND(fn.date_part("epoch", Expression(later, "-", earlier)).cast("numeric"), 3)
    return fn.ROUND((fn.julianday(later) - fn.julianday(earlier)) * 86400.0, 3)


def activation_computed(where):
    """A query of the InvolvementActivation rows of the expected involvements of the incidents
    matching `where` (a condition on Incident), as the sources say now: the one definition
    (docs/coverage.md, "Activation"; service/domain/activation.py reads them)."""
    counted = Source.custody_status != DISPOSED
    held = Source.custody_status.in_(HELD)
    return (
        Involvement.select(
            Involvement.id,
            Involvement.incident,
            _recording_at_start(counted),
            _recording_at_start(held),
            seconds_between(earliest_start(counted), Incident.started_at),
            seconds_between(earliest_start(held), Incident.started_at),
        )
        .join(Incident, on=(Involvement.incident == Incident.id))
        .where(where & (Involvement.camera_expected == True))  # noqa: E712
    )


def _store_activation(incidents):
    """Replace the activation rows of some incidents; `incidents(column)` is the condition
    naming them on an incident id column."""
    InvolvementActivation.delete().where(incidents(InvolvementActivation.incident)).execute()
    fields = [InvolvementActivation.involvement] + [
        getattr(InvolvementActivation, name) for name in ACTIVATION_FIELDS
    ]
    InvolvementActivation.insert_from(activation_computed(incidents(Incident.id)), fields).execute()


def _comparable(values):
    """An activation row's (incident, at_start..., delay...) as stored or computed (EXISTS
    is 0/1 on SQLite; a delay may come as a Decimal on PostgreSQL)."""
    incident, at_start_counted, at_start_held, delay_counted, delay_held = values
    return (
        incident,
        bool(at_start_counted),
        bool(at_start_held),
        None if delay_counted is None else float(delay_counted),
        None if delay_held is None else float(delay_held),
    )


def _activation_drift(incidents):
    """{involvement id: (incident id, [(field, stored, computed)])} for the involvements of
    `incidents` (as for _store_activation) whose kept row differs from a recomputation (or is
    missing, or should not be there)."""
    kept = InvolvementActivation
    fields = [getattr(kept, name) for name in ACTIVATION_FIELDS]
    query = kept.select(kept.involvement, *fields).where(incidents(kept.incident))
    stored = {row[0]: _comparable(row[1:]) for row in query.tuples()}
    computed = activation_computed(incidents(Incident.id)).tuples()
    computed = {row[0]: _comparable(row[1:]) for row in computed}
    differences = {}
    absent = (None,) * len(ACTIVATION_FIELDS)
    for involvement_id in sorted(stored.keys() | computed.keys()):
        mine, theirs = stored.get(involvement_id), computed.get(involvement_id)
        if mine != theirs:
            pairs = zip(ACTIVATION_FIELDS, mine or absent, theirs or absent, strict=True)
            bad = [(name, a, b) for name, a, b in pairs if a != b]
            differences[involvement_id] = ((theirs or mine)[0], bad)
    return differences


def _rows(where):
    rows = []
    for row in computed(where).dicts():
        values = {name: row[name] for name in FIELDS}
        for name in FIELDS:
            if name != "first_bodycam_at":
                values[name] = int(values[name] or 0)
        values["first_bodycam_at"] = as_datetime(values["first_bodycam_at"])  # MIN(CASE)
        rows.append({"incident": row["id"], **values})
    return rows


def recompute(incident_ids):
    """Store the counters of `incident_ids` as the rows say now. Inside a transaction: the
    counters' rows are locked first (PostgreSQL), so writers of one incident take turns and
    each recomputes after the other's commit."""
    ids = sorted(set(incident_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        list(
            for_update(
                IncidentCounters.select(IncidentCounters.incident)
                .where(one_of(IncidentCounters.incident, chunk))
                .order_by(IncidentCounters.incident)
            )
        )
        _store(_rows(one_of(Incident.id, chunk)))
        _store_activation(lambda column, chunk=chunk: one_of(column, chunk))


def start(incident_ids):
    """Counters rows at zero for new incidents (an existing row is left as it is), in one
    statement taking the ids as one parameter: each figure's default is written in the SQL
    once, not bound for every row (an import's batch of 1,000 incidents: 14 -> 2 ms)."""
    ids = list(incident_ids)
    if not ids:
        return
    fields = [getattr(IncidentCounters, name) for name in FIELDS]
    columns = ", ".join(f'"{f.column_name}"' for f in [IncidentCounters.incident, *fields])
    defaults = ", ".join(_literal(f.db_value(f.default)) for f in fields)
    if is_postgresql():
        rows, params = f"SELECT i, {defaults} FROM unnest(%s::integer[]) AS u(i)", [ids]
    else:  # (WHERE true: SQLite's parser would take ON CONFLICT for a join's ON otherwise)
        rows, params = f"SELECT value, {defaults} FROM json_each(?) WHERE true", [json.dumps(ids)]
    database.execute_sql(
        f'INSERT INTO "{IncidentCounters._meta.table_name}" ({columns}) {rows} '
        f'ON CONFLICT ("{IncidentCounters.incident.column_name}") DO NOTHING',
        params,
    )


def _literal(value):
    """A default figure as SQL: a whole number or NULL."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    raise TypeError(f"no SQL literal for the default {value!r}")


def _store(rows):
    """Insert counters rows (a missing figure at its default), replacing existing ones, in
    one statement: the rows as arrays on PostgreSQL (one round trip), one prepared statement
    on SQLite."""
    fields = [IncidentCounters.incident] + [getattr(IncidentCounters, name) for name in FIELDS]
    columns = [f.column_name for f in fields]
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns[1:])
    action = f"UPDATE SET {updates}"
    values = db_rows(fields, rows, {f.name: f.default for f in fields})
    if not values:
        return
    insert = f'INSERT INTO "{IncidentCounters._meta.table_name}" ({", ".join(columns)}) '
    conflict = f' ON CONFLICT ("{columns[0]}") DO {action}'
    if is_postgresql():
        types = ["timestamp" if isinstance(f, DateTimeField) else "integer" for f in fields]
        source, params = unnest(types, values)
        database.execute_sql(f"{insert}SELECT * FROM {source}{conflict}", params)
    else:
        marks = ", ".join("?" * len(columns))
        execute_many(f"{insert}VALUES ({marks}){conflict}", values)


def _between(low, high):
    """The incidents low..high, as a condition on an incident id column."""
    return lambda column: (column >= low) & (column <= high)


def _id_ranges():
    last = 0
    while True:
        ids = [
            i
            for (i,) in Incident.select(Incident.id)
            .where(Incident.id > last)
            .order_by(Incident.id)
            .limit(CHUNK)
            .tuples()
        ]
        if not ids:
            return
        yield ids[0], ids[-1]
        last = ids[-1]


def rebuild():
    """Recompute every incident's counters, a chunk of incidents per transaction (memory
    stays flat); returns the number of incidents."""
    total = 0
    for low, high in _id_ranges():
        incidents = _between(low, high)
        with database.atomic():
            rows = _rows(incidents(Incident.id))
            _store(rows)
            _store_activation(incidents)
            total += len(rows)
    return total


def drift(limit=100):
    """Compare every stored counter with a recomputation; returns (incidents checked,
    [(incident id, field, stored, computed), ...] up to `limit` differences, number of
    incidents that differ)."""
    checked, found, differing = 0, [], 0
    for low, high in _id_ranges():
        incidents = _between(low, high)
        query = IncidentCounters.select().where(incidents(IncidentCounters.incident))
        stored = {row["incident"]: row for row in query.dicts()}
        for row in _rows(incidents(Incident.id)):
            checked += 1
            have = stored.get(row["incident"])
            bad = [
                (name, None if have is None else have[name], row[name])
                for name in FIELDS
                if have is None or have[name] != row[name]
            ]
            if bad:
                differing += 1
                found.extend((row["incident"], *b) for b in bad[: max(0, limit - len(found))])
        for involvement_id, (incident_id, bad) in _activation_drift(incidents).items():
            differing += 1
            found.extend(
                (incident_id, f"activation of involvement {involvement_id}: {name}", mine, theirs)
                for name, mine, theirs in bad[: max(0, limit - len(found))]
            )
    return checked, found, differing
