"""Bulk import speed: sources from CSV through `evidence import` against the plainest
possible insert of the same rows, side by side in one run.

SQLite: the CLI against `sqlite3` executemany in one transaction. PostgreSQL: the
CLI against COPY. Both baselines read the same CSV and map incident external ids
to ids, and insert into the same table with the same indexes, but check nothing.
The CLI runs as a child process so that its peak RSS can be read (memory must
stay flat: it is reported for each size).

    python -m bench imports                     # 30,000 and 300,000 rows, both databases
    python -m bench imports --rows 30000 --no-postgres
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
SOURCES_PER_INCIDENT = 100
KINDS = ["bodycam"] * 6 + ["dashcam", "bystander", "surveillance", "officer_phone"]


def write_files(directory, rows, seed=1):
    """An incidents CSV and a sources CSV of `rows` rows (deterministic)."""
    rng = random.Random(seed)
    incidents = max(1, rows // SOURCES_PER_INCIDENT)
    incidents_path = os.path.join(directory, f"incidents-{rows}.csv")
    sources_path = os.path.join(directory, f"sources-{rows}.csv")
    with open(incidents_path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            ["external_id", "title", "kind", "started_at", "location_city", "location_state"]
        )
        for i in range(incidents):
            out.writerow(
                [
                    f"bench-i-{i}",
                    f"Bench incident {i}",
                    "use_of_force",
                    f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00-05:00",
                    "Springfield",
                    "IL",
                ]
            )
    with open(sources_path, "w", newline="") as f:
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
                    f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{minute:02d}:00-05:00",
                    f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{minute + 9:02d}:30-05:00",
                    rng.choice(["0", "0", "-2.5", "3600"]),
                    f"{rng.getrandbits(256):064x}",
                    rng.randrange(10**6, 10**10),
                    f"s3://evidence/bench/{n}.mp4",
                    rng.choice(["agency_upload", "subpoena", "public_submission"]),
                    "" if n % 3 else "synthetic benchmark row",
                ]
            )
    return incidents_path, sources_path


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


# The columns of the source table the CSV's columns fill, in the CSV's order: the same but
# for the incident, whose external id the baselines turn into its id.
GIVEN_COLUMNS = tuple(
    "incident_id" if column == "incident_external_id" else column for column in SOURCE_COLUMNS
)


def _defaults():
    """The columns a row needs beyond the CSV's (NOT NULL with a default: custody_status,
    created_at...), with their defaults, read from the model so the baseline keeps up."""
    from service.storage.models import Source

    defaults = {}
    for field in Source._meta.sorted_fields:
        if field.name == "id" or field.column_name in GIVEN_COLUMNS or field.null:
            continue
        defaults[field.column_name] = (
            field.default() if callable(field.default) else (field.default)
        )
    return defaults


def _baseline_rows(sources_path, incident_ids, defaults):
    """The CSV's rows as the baseline inserts them: text as given, the incident id looked up."""
    extra = tuple(defaults.values())
    with open(sources_path, newline="") as f:
        for r in csv.DictReader(f):
            yield (
                r["external_id"],
                incident_ids[r["incident_external_id"]],
                r["kind"],
                r["device_id"],
                r["recording_started_at"],
                r["recording_ended_at"],
                float(r["clock_offset_seconds"]),
                r["sha256"],
                int(r["size_bytes"]),
                r["storage_uri"],
                r["obtained_via"],
                r["notes"] or None,
                *extra,
            )


def _baseline_columns(defaults):
    return ", ".join((*GIVEN_COLUMNS, *defaults))


def sqlite_baseline(path, sources_path):
    defaults = _defaults()
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    incident_ids = dict(connection.execute("SELECT external_id, id FROM incident"))
    placeholders = ", ".join("?" * (len(GIVEN_COLUMNS) + len(defaults)))
    with connection:  # one transaction
        connection.executemany(
            f"INSERT INTO source ({_baseline_columns(defaults)}) VALUES ({placeholders})",
            _baseline_rows(sources_path, incident_ids, defaults),
        )
    connection.close()
    return time.perf_counter() - started


def postgres_baseline(url, sources_path):
    import psycopg

    defaults = _defaults()
    started = time.perf_counter()
    with psycopg.connect(url) as connection:
        incident_ids = dict(connection.execute("SELECT external_id, id FROM incident").fetchall())
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY source ({_baseline_columns(defaults)}) FROM STDIN") as copy:
                for row in _baseline_rows(sources_path, incident_ids, defaults):
                    copy.write_row(row)
    return time.perf_counter() - started


def _prepared_database(url, incidents_path):
    evidence(url, "init-db")
    evidence(url, "import", "incidents", incidents_path)


def measure_once(rows, files, make_url, baseline):
    """(CLI seconds, CLI peak RSS MB, CLI start-up seconds, baseline seconds), each run on a
    fresh database holding the incidents."""
    incidents_path, sources_path = files
    url = make_url("cli")
    _prepared_database(url, incidents_path)
    # What any command costs before the first row (Python, Flask, the schemas): part of the
    # CLI's time, reported so that small imports can be read fairly.
    header_only = os.path.join(os.path.dirname(sources_path), "header-only.csv")
    with open(header_only, "w") as f:
        f.write(",".join(SOURCE_COLUMNS) + "\n")
    startup_seconds = evidence(url, "import", "sources", header_only, measure=True)[0]
    cli_seconds, rss_mb, summary = evidence(url, "import", "sources", sources_path, measure=True)
    if f"{rows:,} created" not in summary:
        raise RuntimeError(f"unexpected import result: {summary}")
    url = make_url("baseline")
    _prepared_database(url, incidents_path)
    return cli_seconds, rss_mb, startup_seconds, baseline(url, sources_path)


def measure(backend, rows, files, make_url, baseline, repeat=1):
    """One size on one database, the best of `repeat` runs of each side (the machine is
    shared: the fastest run is the one least disturbed)."""
    runs = [measure_once(rows, files, make_url, baseline) for _ in range(repeat)]
    cli_seconds = min(r[0] for r in runs)
    rss_mb = max(r[1] for r in runs)
    startup_seconds = min(r[2] for r in runs)
    base_seconds = min(r[3] for r in runs)
    result = {
        "database": backend,
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
        f"{backend:10} {rows:>8,} rows  CLI {cli_seconds:7.1f} s "
        f"({result['cli_rows_per_second']:>6,} rows/s, peak RSS {rss_mb:5.0f} MB, "
        f"start-up {startup_seconds:.1f} s)  "
        f"{result['baseline']:28} {base_seconds:6.1f} s "
        f"({result['baseline_rows_per_second']:>7,} rows/s)  ratio {result['ratio']}x",
        flush=True,
    )
    return result


def _with_dbname(url, name):
    return urlunparse(urlparse(url)._replace(path="/" + name))


def main(*, sizes, repeat, no_postgres, write_docs):
    """`python -m bench imports`: each of `sizes` (numbers of rows) on SQLite and, unless
    `no_postgres`, on PostgreSQL, the best of `repeat` runs; writes bench/results/imports.json
    (and the figures into `write_docs`)."""
    admin_url = os.environ.get("EVIDENCE_BENCH_POSTGRES_URL") or os.environ.get(
        "EVIDENCE_TEST_POSTGRES_URL"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as directory:
        for rows in sizes:
            files = write_files(directory, rows)

            def sqlite_url(label, rows=rows):
                path = os.path.join(directory, f"{label}-{rows}.db")
                for suffix in ("", "-wal", "-shm"):  # a fresh database for each run
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
                return f"sqlite:///{path}"

            results.append(
                measure(
                    "sqlite",
                    rows,
                    files,
                    sqlite_url,
                    lambda url, path: sqlite_baseline(url[len("sqlite:///") :], path),
                    repeat,
                )
            )
            if no_postgres or not admin_url:
                continue
            results.append(_postgres_run(admin_url, rows, files, repeat))
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


def docs_section(report):
    """The figures of a run as the section of docs/performance.md."""
    lines = [
        "## Bulk import",
        "",
        f"Measured {report['when'][:10]} with `python -m bench imports`: sources from one CSV "
        f"(12 columns, {SOURCES_PER_INCIDENT} sources per incident, rows of different "
        f"incidents interleaved) into a database holding the incidents; Python "
        f"{report['python']}, SQLite {report['sqlite']}, {report['cpus']} CPU cores shared "
        "with other work. Each side runs on a fresh database; with several runs the fastest "
        "is reported. The CLI's time includes its start-up (Python, Flask, the schemas).",
        "",
        "| database | rows | `evidence import` | rows/s | peak RSS | baseline | baseline "
        "rows/s | ratio | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        met = "<= 10x: met" if r["ratio"] <= 10 else "<= 10x: not met"
        lines.append(
            f"| {r['database']} | {r['rows']:,} | {r['cli_seconds']:.1f} s | "
            f"{r['cli_rows_per_second']:,} | {r['cli_peak_rss_mb']:.0f} MB | "
            f"{r['baseline']}: {r['baseline_seconds']:.1f} s | "
            f"{r['baseline_rows_per_second']:,} | {r['ratio']}x | {met} |"
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


def _postgres_run(admin_url, rows, files, repeat):
    import psycopg

    created = []

    def postgres_url(label):
        name = f"bench_imports_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _with_dbname(admin_url, name)

    try:
        return measure("postgresql", rows, files, postgres_url, postgres_baseline, repeat)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            for name in created:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
