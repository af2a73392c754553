"""Coverage questions through the API versus the same questions in hand-written SQL.

    python -m bench coverage                      # 100,000 incidents, 1,000,000 sources
    python -m bench coverage --incidents 2000 --sources 20000 --runs 3
    python -m bench coverage --write-docs docs/performance.md
    python -m bench coverage --db postgresql://postgres@127.0.0.1:5432/bench_10m \
        --incidents 1000000 --sources 10000000 --runs 1 --write-docs docs/performance.md

Builds (or reuses, --reuse) a seeded catalogue (bench/generate.py), then times, on
the same database in the same run, alternating so that both sides see the same
machine load:
- `GET /coverage/incidents?lacking=bodycam` (first page of 50 with its total), and
- `GET /coverage/summary?group_by=state`, `=agency` and `=month`,
each answered by the service (Flask test client: auth, validation, peewee, JSON)
and by hand-written SQL producing the same facts. Both answers are compared
before anything is timed. Reports the median of --runs runs and the ratio; --write-docs
writes them into the section of that database and size (PostgreSQL: a database the
generator may empty and fill, e.g. one created for it with `createdb bench_10m`).
"""

import functools
import json
import os
import platform
import re
import sqlite3
import statistics
import sys
import time
import uuid
from datetime import date

from bench.generate import generate
from service.domain.auth import create_token
from service.domain.vocabulary import SOURCE_KINDS
from service.storage.db import backend_name, database
from service.web import create_app
from service.web.paging import EXACT_COUNT_LIMIT

PAGE_SIZE = 50
TARGET_RATIO = 0.3

COUNTED = "s.custody_status <> 'disposed'"
NO_BODYCAM = (
    f"NOT EXISTS (SELECT 1 FROM source s WHERE s.incident_id = i.id "
    f"AND s.kind = 'bodycam' AND {COUNTED})"
)

HAND_LACKING_TOTAL = f"SELECT COUNT(*) FROM incident i WHERE {NO_BODYCAM}"
HAND_LACKING_PAGE = (
    f"SELECT i.id, i.external_id, i.title, i.started_at FROM incident i "
    f"WHERE {NO_BODYCAM} ORDER BY i.started_at DESC, i.id DESC "
    f"LIMIT {PAGE_SIZE}"
)
HAND_AGENCIES = (
    "SELECT ia.incident_id, a.code FROM incident_agency ia "
    "JOIN agency a ON a.id = ia.agency_id WHERE ia.incident_id IN ({ids}) "
    "ORDER BY a.code"
)
HAND_SOURCE_COUNTS = (
    f"SELECT s.incident_id, s.kind, COUNT(*) FROM source s "
    f"WHERE s.incident_id IN ({{ids}}) AND {COUNTED} "
    f"GROUP BY s.incident_id, s.kind"
)
# Sources and involvements aggregated per incident in derived tables, then by the group's
# key: the way one writes it by hand (and a different formulation from the service's).
# {disposed}, {per_incident}: the disposed sources column and the sources per incident
# (HAND_SOURCES*).
HAND_SUMMARY = f"""
SELECT {{key}},
       COUNT(*),
       SUM(COALESCE(f.bodycam, 0)),
       SUM(COALESCE(f.sources, 0)),
       SUM(COALESCE(f.reviewed, 0)),
       SUM(COALESCE(o.expected, 0)),
       SUM(COALESCE(o.covered, 0)){{disposed}}
FROM incident i
{{joins}}
LEFT JOIN ({{per_incident}}) f ON f.incident_id = i.id
LEFT JOIN (
    SELECT v.incident_id,
           COUNT(*) AS expected,
           SUM(CASE WHEN EXISTS (SELECT 1 FROM source s WHERE s.incident_id = v.incident_id
                                 AND s.kind = 'bodycam' AND s.officer_id = v.officer_id
                                 AND {COUNTED}) THEN 1 ELSE 0 END) AS covered
    FROM involvement v WHERE v.camera_expected GROUP BY v.incident_id
) o ON o.incident_id = i.id
GROUP BY {{key}}
"""
HAND_DISPOSED = ",\n       SUM(COALESCE(f.disposed, 0))"
# Sources per incident: the counts the summary had before it gave disposed sources, as
# first written (counted sources only), and with the disposed ones counted beside them.
HAND_SOURCES = f"""
    SELECT s.incident_id,
           COUNT(*) AS sources,
           MAX(CASE WHEN s.kind = 'bodycam' THEN 1 ELSE 0 END) AS bodycam,
           SUM(CASE WHEN s.review_status IN ('reviewed', 'flagged', 'excluded')
               THEN 1 ELSE 0 END) AS reviewed
    FROM source s WHERE {COUNTED} GROUP BY s.incident_id
"""
HAND_SOURCES_AND_DISPOSED = f"""
    SELECT s.incident_id,
           SUM(CASE WHEN {COUNTED} THEN 1 ELSE 0 END) AS sources,
           MAX(CASE WHEN s.kind = 'bodycam' AND {COUNTED} THEN 1 ELSE 0 END) AS bodycam,
           SUM(CASE WHEN s.review_status IN ('reviewed', 'flagged', 'excluded') AND {COUNTED}
               THEN 1 ELSE 0 END) AS reviewed,
           SUM(CASE WHEN s.custody_status = 'disposed' THEN 1 ELSE 0 END) AS disposed
    FROM source s GROUP BY s.incident_id
"""
# The activation figures the summary rows carry since they gained them (docs/coverage.md,
# "Activation"): per expected involvement, whether one of the officer's own counted bodycams
# covered the incident's start and the seconds from the start to the earliest one; per group
# the share recording at the start and the median delay (window functions number the delays;
# the middle one, or the mean of the middle two). One statement: the per-involvement rows
# are a CTE that both halves read.
OWN_BODYCAM = (
    f"FROM source s WHERE s.incident_id = v.incident_id AND s.officer_id = v.officer_id "
    f"AND s.kind = 'bodycam' AND {COUNTED}"
)
SECONDS = {
    "sqlite": "ROUND((julianday({later}) - julianday({earlier})) * 86400.0, 3)",
    "postgresql": "ROUND(EXTRACT(EPOCH FROM {later} - {earlier})::numeric, 3)",
}
HAND_ACTIVATION = f"""
WITH act AS (
    SELECT {{key}} AS key,
           CASE WHEN EXISTS (SELECT 1 {OWN_BODYCAM}
                             AND s.corrected_started_at <= i.started_at
                             AND s.corrected_ended_at >= i.started_at) THEN 1 ELSE 0 END
               AS at_start,
           {{delay}} AS delay
    FROM involvement v JOIN incident i ON i.id = v.incident_id
    {{joins}}
    WHERE v.camera_expected
),
ranked AS (
    SELECT key, delay,
           ROW_NUMBER() OVER (PARTITION BY key ORDER BY delay) AS rn,
           COUNT(*) OVER (PARTITION BY key) AS n
    FROM act WHERE delay IS NOT NULL
)
SELECT key, 'rate', SUM(at_start), COUNT(*) FROM act GROUP BY key
UNION ALL
SELECT key, 'median', AVG(delay), NULL FROM ranked
WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY key
"""
# group_by: (the key, joins it needs). An incident of two agencies counts in both rows, one
# of none in the NULL row. Months are YYYY-MM of started_at in each database's dialect.
GROUPS = {
    "state": ("i.state", ""),
    "agency": (
        "a.code",
        "LEFT JOIN incident_agency ia ON ia.incident_id = i.id "
        "LEFT JOIN agency a ON a.id = ia.agency_id",
    ),
    "month": (
        {
            "sqlite": "strftime('%Y-%m', i.started_at)",
            "postgresql": "to_char(i.started_at, 'YYYY-MM')",
        },
        "",
    ),
}


def _rows(sql):
    return database.execute_sql(sql).fetchall()


def hand_lacking():
    """The first page of incidents without a counted bodycam, with the total, in plain SQL."""
    total = _rows(HAND_LACKING_TOTAL)[0][0]
    page = _rows(HAND_LACKING_PAGE)
    ids = ", ".join(str(row[0]) for row in page) or "NULL"
    agencies = {row[0]: [] for row in page}
    for incident_id, code in _rows(HAND_AGENCIES.format(ids=ids)):
        agencies[incident_id].append(code)
    counts = {row[0]: dict.fromkeys(SOURCE_KINDS, 0) for row in page}
    for incident_id, kind, n in _rows(HAND_SOURCE_COUNTS.format(ids=ids)):
        counts[incident_id][kind] = n
    items = [
        {
            "id": i,
            "external_id": e,
            "title": t,
            "started_at": s,
            "agencies": agencies[i],
            "source_counts": counts[i],
        }
        for i, e, t, s in page
    ]
    return total, items


def _key_and_joins(group_by):
    key, joins = GROUPS[group_by]
    return (key[backend_name()] if isinstance(key, dict) else key), joins


def hand_counts(group_by, disposed=False):
    """The summary's counts per `group_by` (a key of GROUPS) in plain SQL: (key, incidents,
    with_bodycam, sources, reviewed, officers_expected, officers_covered[, disposed]) rows."""
    key, joins = _key_and_joins(group_by)
    return _rows(
        HAND_SUMMARY.format(
            key=key,
            joins=joins,
            disposed=HAND_DISPOSED if disposed else "",
            per_incident=HAND_SOURCES_AND_DISPOSED if disposed else HAND_SOURCES,
        )
    )


def hand_summary(group_by):
    """Every figure of a summary row that is not about disclosure, in plain SQL: {key:
    (incidents, with_bodycam, sources, reviewed, officers_expected, officers_covered,
    disposed, recording at the start, median delay or None)}."""
    key, joins = _key_and_joins(group_by)
    rows = {row[0]: [*row[1:], 0, None] for row in hand_counts(group_by, disposed=True)}
    delay = SECONDS[backend_name()].format(
        later=f"(SELECT MIN(s.corrected_started_at) {OWN_BODYCAM})", earlier="i.started_at"
    )
    for k, figure, value, _ in _rows(HAND_ACTIVATION.format(key=key, joins=joins, delay=delay)):
        rows[k][7 if figure == "rate" else 8] = value
    return rows


class Service:
    """The service's answers, asked over HTTP through Flask's test client."""

    def __init__(self, app):
        self.client = app.test_client()
        with app.app_context():
            database.connect(reuse_if_open=True)
            with database.atomic():
                token = create_token(f"bench-coverage-{uuid.uuid4().hex[:8]}", "oversight")
            database.close()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url):
        response = self.client.get(url, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.get_data(as_text=True)}")
        return response

    def lacking(self):
        response = self.get(f"/api/v1/coverage/incidents?lacking=bodycam&page_size={PAGE_SIZE}")
        return json.loads(response.headers["X-Pagination"]), response.get_json()

    def summary(self, group_by):
        return self.get(f"/api/v1/coverage/summary?group_by={group_by}").get_json()


def check_same_answers(app, service):
    """Refuse to time two sides that do not answer the same question; returns the lacking
    total and {group_by: number of rows}."""
    pagination, items = service.lacking()
    with app.app_context():
        hand_total, hand_items = hand_lacking()
    total = pagination["total"]
    if pagination.get("total_estimated"):
        # Past the exact-count limit (service/web/paging.py) the service counts that many
        # entries and answers with the planner's estimate, saying so: both sides must agree
        # that the list is longer than the limit.
        limit = app.config.get("EXACT_COUNT_LIMIT", EXACT_COUNT_LIMIT)
        assert total > limit and hand_total > limit, (total, hand_total, limit)
        total = f"{hand_total:,} (the service estimated {total:,}, past its exact-count limit)"
    else:
        assert total == hand_total, (total, hand_total)
        total = f"{total:,}"
    assert [i["id"] for i in items] == [i["id"] for i in hand_items]
    for mine, theirs in zip(items, hand_items, strict=True):
        assert mine["agencies"] == theirs["agencies"], (mine, theirs)
        assert mine["source_counts"] == theirs["source_counts"], (mine, theirs)
    groups = {}
    for group_by in GROUPS:
        with app.app_context():
            hand_rows = hand_summary(group_by)
        by_key = {row["key"]: row for row in service.summary(group_by)}
        assert by_key.keys() == hand_rows.keys(), (group_by, len(by_key), len(hand_rows))
        for key, numbers in hand_rows.items():
            # PostgreSQL sums are Decimals
            *counts, at_start, median = numbers
            incidents, bodycam, sources, reviewed, expected, covered, disposed = (
                int(n) for n in counts
            )
            row = by_key[key]
            assert (
                row["incidents"],
                row["with_bodycam"],
                row["sources"],
                row["reviewed_rate"],
                row["officers_expected"],
                row["officers_covered"],
                row["disposed_sources"],
                row["activation_rate"],
                row["median_activation_delay_seconds"],
            ) == (
                incidents,
                bodycam,
                sources,
                round(reviewed / sources, 4) if sources else None,
                expected,
                covered,
                disposed,
                round(int(at_start) / expected, 4) if expected else None,
                float(median) if median is not None else None,
            ), (group_by, row, key)
        groups[group_by] = len(by_key)
    return total, groups


def timed(fn, app=None):
    started = time.perf_counter()
    if app is None:
        fn()
    else:
        with app.app_context():
            database.connect(reuse_if_open=True)
            fn()
            database.close()
    return time.perf_counter() - started


def measure(app, service, runs):
    """Median seconds per question for each side, runs interleaved. A summary is also timed
    against the hand-written counts alone (`narrow`: the figures a summary row had before
    it gained disposed sources and activation), for comparison with earlier runs."""
    questions = {"lacking=bodycam, page 1 + total": (service.lacking, hand_lacking, None)}
    for group_by in GROUPS:
        questions[f"summary?group_by={group_by}"] = (
            functools.partial(service.summary, group_by),
            functools.partial(hand_summary, group_by),
            functools.partial(hand_counts, group_by),
        )
    results = {}
    # No warm-up run: check_same_answers has just asked every question of both sides.
    for name, (by_service, by_hand, narrow) in questions.items():
        times = {"service": [], "hand": [], "narrow": []}
        for _ in range(runs):
            times["service"].append(timed(by_service))
            times["hand"].append(timed(by_hand, app))
            if narrow:
                times["narrow"].append(timed(narrow, app))
        result = {side: statistics.median(t) for side, t in times.items() if t}
        result.update({f"{side}_all": t for side, t in times.items()})
        result["ratio"] = result["service"] / result["hand"]
        results[name] = result
        print(
            f"{name}: service {result['service']:.3f} s, hand-written "
            f"{result['hand']:.3f} s (medians)",
            flush=True,
        )
    return results


def _environment(url, counts):
    size = ""
    if url.startswith("sqlite:///"):
        size = f", {os.path.getsize(url[len('sqlite:///') :]) / 1e6:.0f} MB file"
    if backend_name() == "sqlite":
        engine = f"SQLite {sqlite3.sqlite_version}"
    else:
        engine = "PostgreSQL " + _rows("SHOW server_version")[0][0]
    return (
        f"{counts['incidents']:,} incidents, {counts['sources']:,} sources, "
        f"{counts['involvements']:,} involvements{size}; {engine}, "
        f"Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores shared with other work (load average "
        f"{os.getloadavg()[0]:.1f} at the end)"
    )


def _table_counts():
    return {
        name: _rows(f"SELECT COUNT(*) FROM {name}")[0][0]
        for name in ("incident", "source", "involvement")
    }


def report(results, environment, runs, total, groups):
    lines = [
        f"Measured {date.today().isoformat()}: {environment}.",
        f"Median of {runs} interleaved runs after the answers were checked (which ran every "
        "question of both sides once, warming the cache); the service side is "
        "a full HTTP request through Flask's test client (token check, validation, peewee, "
        "JSON), the hand-written side the same facts straight from SQL (for a summary: "
        "every figure of its rows but the disclosure ones, activation included). "
        "'Counts only' is the hand-written summary without disposed sources and "
        "activation, the baseline of the runs before the summary gained them.",
        "",
        "| question | service (median) | hand-written SQL (median) | ratio | target "
        "| hand-written counts only | ratio to them |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        verdict = "met" if r["ratio"] <= TARGET_RATIO else "MISSED"
        narrow = (
            f"{r['narrow'] * 1000:.0f} ms | {r['service'] / r['narrow']:.2f}x"
            if "narrow" in r
            else "- | -"
        )
        lines.append(
            f"| `{name}` | {r['service'] * 1000:.0f} ms | {r['hand'] * 1000:.0f} ms "
            f"| {r['ratio']:.2f}x | <= {TARGET_RATIO:g}x: {verdict} | {narrow} |"
        )
    lines.append("")
    lines.append(
        f"The lacking=bodycam total was {total} incidents; the summaries had "
        + ", ".join(f"{n} {group_by} rows" for group_by, n in groups.items())
        + ". All runs (seconds):"
    )
    lines.append("")
    for name, r in results.items():
        service = ", ".join(f"{t:.3f}" for t in r["service_all"])
        hand = ", ".join(f"{t:.3f}" for t in r["hand_all"])
        narrow = ", ".join(f"{t:.3f}" for t in r["narrow_all"])
        narrow = f"; hand-written counts only {narrow}" if narrow else ""
        lines.append(f"- `{name}`: service {service}; hand-written {hand}{narrow}")
    return "\n".join(lines)


def write_section(path, name, body):
    """Replace (or append) the section between `<!-- name:begin -->` and `<!-- name:end -->`."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = open(path).read() if os.path.exists(path) else "# Performance\n"
    block = f"{begin}\n{body}\n{end}"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as handle:
        handle.write(text)


def main(*, db, incidents, sources, seed, runs, reuse, write_docs):
    """`python -m bench coverage`: generates (unless `reuse`) the catalogue at `db`, checks
    and times both sides `runs` times, prints the report (and writes it into `write_docs`)."""
    if not reuse:
        started = time.perf_counter()
        counts = generate(db, incidents, sources, seed)
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s", flush=True)
    app = create_app({"DATABASE_URL": db})
    with app.app_context():
        database.connect(reuse_if_open=True)
        table_counts = _table_counts()
        database.close()
    counts = {
        "incidents": table_counts["incident"],
        "sources": table_counts["source"],
        "involvements": table_counts["involvement"],
    }
    service = Service(app)
    total, groups = check_same_answers(app, service)
    print("the service and the hand-written SQL give the same answers", flush=True)
    results = measure(app, service, runs)
    with app.app_context():
        environment = _environment(db, counts)
    text = report(results, environment, runs, total, groups)
    print(text)
    if write_docs:
        # One section per database and size (the issue asks for both at two sizes).
        backend = "SQLite" if db.startswith("sqlite") else "PostgreSQL"
        write_section(
            write_docs,
            f"coverage-{backend.lower()}-{incidents}",  # the size asked for (with --reuse too)
            f"### Coverage queries: {backend}, {counts['incidents']:,} incidents / "
            f"{counts['sources']:,} sources\n\n{text}",
        )
        print(f"written to {write_docs}")
    missed = [name for name, r in results.items() if r["ratio"] > TARGET_RATIO]
    if missed:
        print(f"over {TARGET_RATIO}x: {', '.join(missed)}", file=sys.stderr)
