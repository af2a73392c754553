"""Bulk import speed: incidents and sources from CSV through `evidence import` against the
floor, the plainest correct load of the same rows, side by side in one run.

The floor (what a script that checks nothing would do): the CSV parsed with the `csv`
module, timestamps made UTC, references mapped to ids through a dict, the rows inserted
into the service's own tables with their indexes (the records, an incident's agencies, the
full-text index): `executemany` in one transaction on SQLite, COPY on PostgreSQL. The CLI
does all that plus every rule of the API, the counters and the answer's counts. It runs as
a child process so that its peak RSS can be read (memory must stay flat).

    python -m bench imports                     # 100,000 incidents; 30,000 and 300,000 sources
    python -m bench imports --rows 30000 --incidents 10000 --no-postgres
    EVIDENCE_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        python -m bench imports

Results are printed and written to bench/results/imports.json (and with
`--write-docs docs/performance.md`, into that page's imports section).
"""

import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlparse, urlunparse

RESULTS = os.path.join(os.path.dirname(__file__), "results")
SOURCE_COLUMNS = [
    "external_id",
    "incident_external_id",
    "kind",
    "device_id",
    "recording_started_at",
    "recording_ended_at",
    "clock_offset_seconds",
    "sha256",
    "size_bytes",
    "storage_uri",
    "obtained_via",
    "notes",
]
INCIDENT_COLUMNS = [
    "external_id",
    "title",
    "kind",
    "started_at",
    "location_city",
    "location_state",
    "agencies",
    "description",
]
AGENCIES = [("MPD", "municipal"), ("FBI", "federal"), ("ICE", "federal"), ("HCSO", "county")]
SOURCES_PER_INCIDENT = 100
KINDS = ["bodycam"] * 6 + ["dashcam", "bystander", "surveillance", "officer_phone"]


def _day(i):
    return f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"


def write_agencies(directory):
    path = os.path.join(directory, "agencies.csv")
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["code", "name", "jurisdiction"])
        for code, jurisdiction in AGENCIES:
            out.writerow([code, f"{code} (benchmark)", jurisdiction])
    return path


def write_incidents(directory, count, seed=1):
    """An incidents CSV of `count` rows (deterministic): one to three agencies each."""
    rng = random.Random(seed)
    path = os.path.join(directory, f"incidents-{count}.csv")
    codes = [code for code, _ in AGENCIES]
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(INCIDENT_COLUMNS)
        for i in range(count):
            out.writerow(
                [
                    f"bench-i-{i}",
                    f"Bench incident {i}",
                    rng.choice(["use_of_force", "arrest", "pursuit", "other"]),
                    f"{_day(i)}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00-05:00",
                    "Springfield",
                    rng.choice(["IL", "MN", "CA"]),
                    ";".join(rng.sample(codes, rng.randrange(1, 4))),
                    "" if i % 2 else f"Synthetic benchmark incident number {i}",
                ]
            )
    return path


def write_sources(directory, rows, seed=1):
    """A sources CSV of `rows` rows (deterministic) for the incidents of
    `write_incidents(rows // SOURCES_PER_INCIDENT)`, rows of different incidents
    interleaved."""
    rng = random.Random(seed)
    incidents = incidents_for(rows)
    path = os.path.join(directory, f"sources-{rows}.csv")
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(SOURCE_COLUMNS)
        for n in range(rows):
            i = n % incidents
            minute = rng.randrange(0, 50)
            out.writerow(
                [
                    f"bench-s-{n}",
                    f"bench-i-{i}",
                    rng.choice(KINDS),
                    f"DEV-{rng.randrange(5000)}",
                    f"{_day(i)}T10:{minute:02d}:00-05:00",
                    f"{_day(i)}T10:{minute + 9:02d}:30-05:00",
                    rng.choice(["0", "0", "-2.5", "3600"]),
                    f"{rng.getrandbits(256):064x}",
                    rng.randrange(10**6, 10**10),
                    f"s3://evidence/bench/{n}.mp4",
                    rng.choice(["agency_upload", "subpoena", "public_submission"]),
                    "" if n % 3 else "synthetic benchmark row",
                ]
            )
    return path


def incidents_for(source_rows):
    return max(1, source_rows // SOURCES_PER_INCIDENT)


def evidence(database_url, *args, measure=False):
    """Run the CLI in a child process; (seconds, peak RSS in MB) when measuring."""
    env = {**os.environ, "EVIDENCE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "service.cli", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait4, not wait: it gives this child's own resource usage (peak RSS).
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    process.stdout.close()
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"evidence {' '.join(args)} failed:\n{out}\n{err}")
    if measure:
        return elapsed, usage.ru_maxrss / 1024, out.strip()
    return None


# ---------------------------------------------------------------- the floor


def utc(text):
    """An RFC 3339 timestamp as naive UTC, the way the tables keep times."""
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def _defaults(model, given):
    """The columns a row needs beyond the CSV's (NOT NULL with a default: custody_status,
    created_at...), with their defaults, read from the model so the floor keeps up."""
    defaults = {}
    for field in model._meta.sorted_fields:
        if field.name == "id" or field.column_name in given or field.null:
            continue
        defaults[field.column_name] = field.default() if callable(field.default) else field.default
    return defaults


class Floor:
    """The plainest correct load of one kind's CSV: `tables(rows)` gives, table by table,
    (table, columns, rows) to insert; a table's rows may need the ids of the previous
    ones, asked through `ids(sql)`."""

    def __init__(self, connection, postgres):
        self.connection = connection
        self.postgres = postgres

    def ids(self, sql):
        return dict(self.connection.execute(sql).fetchall())

    def insert(self, table, columns, rows):
        names = ", ".join(columns)
        if self.postgres:
            with self.connection.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            self.connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def search_index(self, table, record_table, text):
        """The full-text rows of the records just inserted, in one statement."""
        if self.postgres:
            self.connection.execute(
                f"INSERT INTO {table} (rowid, document) SELECT id, "
                f"to_tsvector('simple', lower({text})) FROM {record_table}"
            )
        else:
            self.connection.execute(
                f"INSERT INTO {table} (rowid, document) SELECT id, lower({text}) "
                f"FROM {record_table}"
            )


def incidents_floor(floor, path):
    from service.storage.models import Incident

    given = ("external_id", "title", "kind", "started_at", "city", "state", "description")
    defaults = _defaults(Incident, given)
    agency_ids = floor.ids("SELECT code, id FROM agency")
    links = []
    with open(path, newline="") as f:
        rows = []
        for r in csv.DictReader(f):
            rows.append(
                (
                    r["external_id"],
                    r["title"],
                    r["kind"],
                    utc(r["started_at"]),
                    r["location_city"],
                    r["location_state"],
                    r["description"] or None,
                    *defaults.values(),
                )
            )
            links.append((r["external_id"], r["agencies"].split(";")))
    floor.insert("incident", (*given, *defaults), rows)
    incident_ids = floor.ids("SELECT external_id, id FROM incident")
    floor.insert(
        "incident_agency",
        ("incident_id", "agency_id"),
        ((incident_ids[e], agency_ids[code]) for e, codes in links for code in codes),
    )
    floor.search_index("incident_search", "incident", "title || ' ' || coalesce(description, '')")


def sources_floor(floor, path):
    from service.storage.models import Source

    given = tuple(
        "incident_id" if column == "incident_external_id" else column for column in SOURCE_COLUMNS
    ) + ("corrected_started_at", "corrected_ended_at")
    defaults = _defaults(Source, given)
    incident_ids = floor.ids("SELECT external_id, id FROM incident")

    def rows():
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                started, ended = utc(r["recording_started_at"]), utc(r["recording_ended_at"])
                yield (
                    r["external_id"],
                    incident_ids[r["incident_external_id"]],
                    r["kind"],
                    r["device_id"],
                    started,
                    ended,
                    float(r["clock_offset_seconds"]),
                    r["sha256"],
                    int(r["size_bytes"]),
                    r["storage_uri"],
                    r["obtained_via"],
                    r["notes"] or None,
                    started,  # (the offset applied by the service; a script copies)
                    ended,
                    *defaults.values(),
                )

    floor.insert("source", (*given, *defaults), rows())
    floor.search_index("source_search", "source", "coalesce(notes, '')")


FLOORS = {"incidents": incidents_floor, "sources": sources_floor}


def sqlite_floor(kind, url, path):
    started = time.perf_counter()
    connection = sqlite3.connect(url[len("sqlite:///") :])
    with connection:  # one transaction
        FLOORS[kind](Floor(connection, postgres=False), path)
    connection.close()
    return time.perf_counter() - started


def postgres_floor(kind, url, path):
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url) as connection:  # one transaction
        FLOORS[kind](Floor(connection, postgres=True), path)
    return time.perf_counter() - started


# ---------------------------------------------------------------- measuring


def _prepared_database(url, prerequisites):
    evidence(url, "init-db")
    for kind, path in prerequisites:
        evidence(url, "import", kind, path)


def measure_once(case, make_url, floor):
    """(CLI seconds, CLI peak RSS MB, CLI start-up seconds, floor seconds), each run on a
    fresh database holding what the rows refer to."""
    url = make_url("cli")
    _prepared_database(url, case["prerequisites"])
    # What any command costs before the first row (Python, Flask, the schemas): part of the
    # CLI's time, reported so that small imports can be read fairly.
    header_only = case["path"] + ".header-only.csv"
    with open(case["path"]) as source, open(header_only, "w") as f:
        f.write(source.readline())
    startup_seconds = evidence(url, "import", case["kind"], header_only, measure=True)[0]
    cli_seconds, rss_mb, summary = evidence(url, "import", case["kind"], case["path"], measure=True)
    if f"{case['rows']:,} created" not in summary:
        raise RuntimeError(f"unexpected import result: {summary}")
    url = make_url("floor")
    _prepared_database(url, case["prerequisites"])
    return cli_seconds, rss_mb, startup_seconds, floor(case["kind"], url, case["path"])


def measure(backend, case, make_url, floor, repeat=1):
    """One case on one database, the best of `repeat` runs of each side (the machine is
    shared: the fastest run is the one least disturbed)."""
    runs = [measure_once(case, make_url, floor) for _ in range(repeat)]
    cli_seconds = min(r[0] for r in runs)
    rss_mb = max(r[1] for r in runs)
    startup_seconds = min(r[2] for r in runs)
    base_seconds = min(r[3] for r in runs)
    rows = case["rows"]
    result = {
        "database": backend,
        "kind": case["kind"],
        "rows": rows,
        "cli_seconds": round(cli_seconds, 2),
        "cli_rows_per_second": round(rows / cli_seconds),
        "cli_peak_rss_mb": round(rss_mb, 1),
        "cli_startup_seconds": round(startup_seconds, 2),
        "baseline": "executemany, one transaction" if backend == "sqlite" else "COPY",
        "baseline_seconds": round(base_seconds, 2),
        "baseline_rows_per_second": round(rows / base_seconds),
        "ratio": round(cli_seconds / base_seconds, 1),
        "runs": repeat,
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
    }
    print(
        f"{backend:10} {case['kind']:9} {rows:>8,} rows  CLI {cli_seconds:7.1f} s "
        f"({result['cli_rows_per_second']:>6,} rows/s, peak RSS {rss_mb:5.0f} MB, "
        f"start-up {startup_seconds:.1f} s)  "
        f"floor {base_seconds:6.1f} s "
        f"({result['baseline_rows_per_second']:>7,} rows/s)  ratio {result['ratio']}x",
        flush=True,
    )
    return result


def cases(directory, incident_sizes, source_sizes):
    agencies = ("agencies", write_agencies(directory))
    for count in incident_sizes:
        yield {
            "kind": "incidents",
            "rows": count,
            "path": write_incidents(directory, count),
            "prerequisites": [agencies],
        }
    for rows in source_sizes:
        incidents = write_incidents(directory, incidents_for(rows))
        yield {
            "kind": "sources",
            "rows": rows,
            "path": write_sources(directory, rows),
            "prerequisites": [agencies, ("incidents", incidents)],
        }


def _with_dbname(url, name):
    return urlunparse(urlparse(url)._replace(path="/" + name))


def main(*, sizes, incident_sizes, repeat, no_postgres, write_docs):
    """`python -m bench imports`: incidents (`incident_sizes` rows) and sources (`sizes`
    rows) on SQLite and, unless `no_postgres`, on PostgreSQL, the best of `repeat` runs;
    writes bench/results/imports.json (and the figures into `write_docs`)."""
    admin_url = os.environ.get("EVIDENCE_BENCH_POSTGRES_URL") or os.environ.get(
        "EVIDENCE_TEST_POSTGRES_URL"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as directory:
        for case in cases(directory, incident_sizes, sizes):

            def sqlite_url(label, case=case):
                path = os.path.join(directory, f"{label}-{case['kind']}-{case['rows']}.db")
                for suffix in ("", "-wal", "-shm"):  # a fresh database for each run
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
                return f"sqlite:///{path}"

            results.append(measure("sqlite", case, sqlite_url, sqlite_floor, repeat))
            if no_postgres or not admin_url:
                continue
            results.append(_postgres_run(admin_url, case, repeat))
    if not no_postgres and not admin_url:
        print(
            "PostgreSQL skipped: set EVIDENCE_BENCH_POSTGRES_URL (a server where databases "
            "can be created)",
            file=sys.stderr,
        )
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "results": results,
    }
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "imports.json"), "w") as f:
        json.dump(report, f, indent=2)
    if write_docs:
        from bench.coverage import write_section

        write_section(write_docs, "imports", docs_section(report))
        print(f"written to {write_docs}")
    return 0


TARGET = 2.0


def docs_section(report):
    """The figures of a run as the section of docs/performance.md."""
    lines = [
        "## Bulk import",
        "",
        f"Measured {report['when'][:10]} with `python -m bench imports`: incidents (one to three "
        f"agencies each) and sources (12 columns, {SOURCES_PER_INCIDENT} sources per incident, "
        "rows of different incidents interleaved) from CSV, against the floor: the same CSV "
        "parsed, timestamps made UTC, references mapped through a dict and the rows inserted "
        "into the same tables and indexes (records, incident agencies, full-text index) with "
        f"no check at all. Python {report['python']}, SQLite {report['sqlite']}, "
        f"{report['cpus']} CPU cores shared with other work. Each side runs on a fresh "
        "database; with several runs the fastest is reported. The CLI's time includes its "
        "start-up (Python, Flask, the schemas).",
        "",
        "| database | kind | rows | `evidence import` | rows/s | peak RSS | floor | floor "
        "rows/s | ratio | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        met = "met" if r["ratio"] <= TARGET else "MISSED"
        lines.append(
            f"| {r['database']} | {r['kind']} | {r['rows']:,} | {r['cli_seconds']:.1f} s | "
            f"{r['cli_rows_per_second']:,} | {r['cli_peak_rss_mb']:.0f} MB | "
            f"{r['baseline']}: {r['baseline_seconds']:.1f} s | "
            f"{r['baseline_rows_per_second']:,} | {r['ratio']}x | <= {TARGET:g}x: {met} |"
        )
    loads = ", ".join(f"{r['load_average_after'][0]}" for r in report["results"])
    runs = sorted({r["runs"] for r in report["results"]})
    lines += [
        "",
        f"Runs per side: {', '.join(map(str, runs))}. Load average (1 min) after "
        f"each line: {loads}. CLI start-up alone (a header-only file): "
        + ", ".join(f"{r['cli_startup_seconds']:.1f} s" for r in report["results"])
        + ".",
    ]
    return "\n".join(lines)


def _postgres_run(admin_url, case, repeat):
    import psycopg

    created = []

    def postgres_url(label):
        name = f"bench_imports_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _with_dbname(admin_url, name)

    try:
        return measure("postgresql", case, postgres_url, postgres_floor, repeat)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            for name in created:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
