"""A seeded, realistic-looking catalogue of any size, written straight into a database.

    python -m bench generate --incidents 100000 --sources 1000000 --db var/bench.db

Benchmarks share it: the same seed gives the same rows. Custody and review statuses are
written straight into the sources' status columns (no custody events, no reviews): enough for
questions about the catalogue, not for checking custody chains. Rows go in with `executemany`
(SQLite) or COPY (PostgreSQL) in one transaction, and the indexes are built after the rows
(much faster than keeping them up to date row by row), so 100,000 incidents and
1,000,000 sources take a minute or two; then ANALYZE (the planner needs statistics before
the first question).
"""

import os
import random
import sqlite3
import time
from datetime import datetime, timedelta

from service.domain.vocabulary import INCIDENT_KINDS, INVOLVEMENT_ROLES, SOURCE_KINDS
from service.storage import counters
from service.storage.db import bulk_insert, database, is_postgresql, make_database
from service.storage.models import (
    ALL_MODELS,
    SEARCH_INDEXES,
    Agency,
    Incident,
    IncidentAgency,
    Involvement,
    Officer,
    Source,
)
from service.storage.transfer import fix_sequences

AGENCIES = ["CBP", "USBP", "ICE", "HSI", "FBI", "MPD", "LAPD", "CPD", "NYPD", "HPD", "DPS", "SO"]
# Heavier weight first: federal operations concentrate in a few states.
STATES = [
    "MN",
    "IL",
    "CA",
    "TX",
    "NY",
    "AZ",
    "FL",
    "OR",
    "NC",
    "WA",
    "GA",
    "CO",
    "NM",
    "NV",
    "PA",
    "OH",
    "MI",
    "NJ",
    "MA",
    "VA",
]
STATE_WEIGHTS = [20 - i for i in range(len(STATES))]
OTHER_KINDS = [k for k in SOURCE_KINDS if k != "bodycam"]
# Custody and review states as they might stand in a live catalogue (weights).
CUSTODY = {
    "identified": 15,
    "requested": 10,
    "in_custody": 55,
    "checked_out": 8,
    "released": 9,
    "disposed": 3,
}
REVIEW = {"unreviewed": 40, "in_review": 10, "reviewed": 40, "flagged": 6, "excluded": 4}
EPOCH = datetime(2019, 1, 1)
SPAN_DAYS = 7 * 365
BATCH = 20_000


def _weighted(rng, table, n):
    return rng.choices(list(table), weights=list(table.values()), k=n)


def _defaults(model, names):
    """Fields not named that need a value (NOT NULL with a Python-side default), and it."""
    fields = [
        f
        for f in model._meta.sorted_fields
        if f.name not in names and not f.null and f.default is not None
    ]
    return [f.name for f in fields], tuple(
        f.default() if callable(f.default) else f.default for f in fields
    )


def insert_rows(model, names, rows):
    """Insert `rows` (tuples in the order of field `names`) in batches with storage's
    bulk_insert: COPY on PostgreSQL (10,000,000 sources in minutes), one prepared
    statement (executemany) on SQLite.

    NOT NULL fields left out get their model default (peewee applies defaults in
    Python, so the table has none), which keeps this working as models grow.
    """
    extra_names, extra_values = _defaults(model, names)
    fields = [model._meta.fields[name] for name in list(names) + extra_names]
    if not is_postgresql():
        # sqlite3's implicit datetime adapter is deprecated (Python 3.12): say what it did,
        # the same text peewee stores.
        sqlite3.register_adapter(datetime, lambda value: value.isoformat(" "))
    batch = []
    for row in rows:
        batch.append(row + extra_values if extra_values else row)
        if len(batch) >= BATCH:
            bulk_insert(model, fields, batch)
            batch = []
    if batch:
        bulk_insert(model, fields, batch)


def _source_counts(rng, incidents, sources):
    """How many sources each incident has: uneven (0 to 2x the mean), summing to `sources`."""
    mean = sources / incidents
    counts = [
        0 if rng.random() < 0.04 else rng.randint(1, max(1, round(2 * mean - 1)))
        for _ in range(incidents)
    ]
    difference = sources - sum(counts)
    step = 1 if difference > 0 else -1
    while difference:
        i = rng.randrange(incidents)
        if step > 0 or counts[i] > 0:
            counts[i] += step
            difference -= step
    return counts


class Catalogue:
    """Generates the rows; `write()` puts them in the bound database."""

    def __init__(self, incidents, sources, seed=2026, officers=None):
        self.rng = random.Random(seed)
        self.incidents = incidents
        self.sources = sources
        self.officers = officers or max(len(AGENCIES), incidents // 5)
        self.counts = {}

    def write(self):
        rng = self.rng
        now = datetime(2026, 2, 1)
        insert_rows(
            Agency,
            ["id", "code", "name", "jurisdiction"],
            [
                (i + 1, code, f"Agency {code}", "federal" if i < 5 else "municipal")
                for i, code in enumerate(AGENCIES)
            ],
        )
        officer_agency = [rng.randrange(len(AGENCIES)) + 1 for _ in range(self.officers)]
        officer_camera = [rng.random() < 0.8 for _ in range(self.officers)]
        by_agency = {a: [] for a in range(1, len(AGENCIES) + 1)}
        for officer_id, agency_id in enumerate(officer_agency, start=1):
            by_agency[agency_id].append(officer_id)
        insert_rows(
            Officer,
            ["id", "agency", "badge_number", "name", "camera_issued"],
            (
                (i + 1, officer_agency[i], f"B{i + 1:07d}", f"Officer {i + 1}", officer_camera[i])
                for i in range(self.officers)
            ),
        )

        source_counts = _source_counts(rng, self.incidents, self.sources)
        incidents, links, involvements, sources = [], [], [], []
        source_id = 0
        totals = {"incidents": 0, "incident_agencies": 0, "involvements": 0, "sources": 0}

        def flush():
            insert_rows(
                Incident,
                [
                    "id",
                    "external_id",
                    "title",
                    "kind",
                    "started_at",
                    "ended_at",
                    "city",
                    "state",
                    "status",
                    "created_at",
                    "updated_at",
                ],
                incidents,
            )
            insert_rows(IncidentAgency, ["incident", "agency"], links)
            insert_rows(
                Involvement,
                ["incident", "officer", "role", "camera_expected", "created_at", "updated_at"],
                involvements,
            )
            insert_rows(Source, SOURCE_COLUMNS, sources)
            for name, rows in (
                ("incidents", incidents),
                ("incident_agencies", links),
                ("involvements", involvements),
                ("sources", sources),
            ):
                totals[name] += len(rows)
                rows.clear()

        for incident_id in range(1, self.incidents + 1):
            started = EPOCH + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
            ended = started + timedelta(minutes=rng.randint(5, 120)) if rng.random() < 0.7 else None
            state = rng.choices(STATES, weights=STATE_WEIGHTS)[0] if rng.random() < 0.97 else None
            kind = rng.choice(INCIDENT_KINDS)
            incidents.append(
                (
                    incident_id,
                    f"INC-{incident_id:07d}",
                    f"Incident {incident_id}",
                    kind,
                    started,
                    ended,
                    None,
                    state,
                    "open",
                    now,
                    now,
                )
            )
            agencies = rng.sample(range(1, len(AGENCIES) + 1), rng.choice((1, 1, 1, 2, 2, 3)))
            links.extend((incident_id, a) for a in agencies)
            involved = {
                rng.choice(by_agency[rng.choice(agencies)] or [1]) for _ in range(rng.randint(0, 6))
            }
            expected = []
            for officer_id in sorted(involved):
                camera_expected = officer_camera[officer_id - 1]
                involvements.append(
                    (
                        incident_id,
                        officer_id,
                        rng.choice(INVOLVEMENT_ROLES),
                        camera_expected,
                        now,
                        now,
                    )
                )
                if camera_expected:
                    expected.append(officer_id)
            # A quarter of incidents have no bodycam at all; elsewhere most expected cameras
            # turned up, some did not.
            n = source_counts[incident_id - 1]
            bodycam_officers = (
                [] if rng.random() < 0.25 else [o for o in expected if rng.random() < 0.8]
            )
            custody = _weighted(rng, CUSTODY, n)
            review = _weighted(rng, REVIEW, n)
            for k in range(n):
                source_id += 1
                if k < len(bodycam_officers):
                    kind, officer_id = "bodycam", bodycam_officers[k]
                else:
                    kind = rng.choice(OTHER_KINDS)
                    officer_id = rng.choice(expected) if kind == "dashcam" and expected else None
                sources.append(
                    self._source(
                        source_id,
                        incident_id,
                        kind,
                        officer_id,
                        started,
                        custody[k],
                        review[k],
                        now,
                    )
                )
            if len(sources) >= BATCH * 5:
                flush()
        flush()
        self.counts = {"agencies": len(AGENCIES), "officers": self.officers, **totals}
        return self.counts

    def _source(self, source_id, incident_id, kind, officer_id, started, custody, review, now):
        rng = self.rng
        if rng.random() < 0.9:
            begin = started + timedelta(seconds=rng.randint(-600, 3600))
            end = begin + timedelta(seconds=rng.randint(30, 3600))
            offset = 0.0 if rng.random() < 0.85 else float(rng.randint(-300, 300))
            shift = timedelta(seconds=offset)
            span = (begin, end, offset, begin + shift, end + shift)
        else:
            span = (None, None, 0.0, None, None)
        return (
            source_id,
            f"SRC-{source_id:08d}",
            incident_id,
            kind,
            officer_id,
            *span,
            f"{rng.getrandbits(256):064x}",
            rng.randint(1, 4000) * 1_000_000,
            f"evidence://bench/{incident_id}/{source_id}.mp4",
            custody,
            review,
            "unverified",
            False,
            now,
            now,
        )


SOURCE_COLUMNS = [
    "id",
    "external_id",
    "incident",
    "kind",
    "officer",
    "recording_started_at",
    "recording_ended_at",
    "clock_offset_seconds",
    "corrected_started_at",
    "corrected_ended_at",
    "sha256",
    "size_bytes",
    "storage_uri",
    "custody_status",
    "review_status",
    "integrity",
    "legal_hold",
    "created_at",
    "updated_at",
]


def generate(url, incidents=100_000, sources=1_000_000, seed=2026, analyze=True):
    """Create a fresh catalogue at `url` (a SQLite file is replaced); returns the row counts.

    Tables first, then rows in one transaction, then every index of service.storage.models.
    `analyze=True` (the default) then gathers planner statistics (ANALYZE), as a database in
    service has them: without them SQLite may pick another plan (the lacking list sorted
    all its answers, 120 ms instead of under 1 ms at 100,000 incidents).
    """
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    db = make_database(url)
    database.initialize(db)
    database.connect(reuse_if_open=True)
    try:
        if not url.startswith("sqlite"):
            database.drop_tables(ALL_MODELS + SEARCH_INDEXES, safe=True, cascade=True)
        for model in ALL_MODELS:
            model._schema.create_table(safe=True)
        with database.atomic():
            counts = Catalogue(incidents, sources, seed).write()
        for model in ALL_MODELS:
            model._schema.create_indexes(safe=True)
        # The full-text index tables, empty (bench/search.py fills them): writes through
        # the domain (bench/incident_coverage.py's incident) index what they write.
        for index in SEARCH_INDEXES:
            index.create_index_table()
        counters.rebuild()  # the per-incident coverage counters, as a migration fills them
        if analyze:
            database.execute_sql("ANALYZE")
        fix_sequences(database.obj)  # ids were given explicitly
    finally:
        database.close()
    return counts


def main(*, db, incidents, sources, seed, analyze):
    """`python -m bench generate`: a fresh catalogue at `db`, timed."""
    started = time.perf_counter()
    counts = generate(db, incidents, sources, seed, analyze)
    print(f"generated {counts} in {time.perf_counter() - started:.1f} s at {db}")
