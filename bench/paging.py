"""Counting and paging a big list: the service against the plain SQL a script would write.

    python -m bench paging --db sqlite:///var/bench-coverage.db --reuse
    python -m bench paging --incidents 20000 --sources 200000 --write-docs docs/performance.md

On a seeded catalogue (bench/generate.py), interleaved runs of:
- the total of the whole source list: peewee's `query.count()` (it wraps the query as
  `SELECT COUNT(1) FROM (SELECT ...)`, which turns SQLite's fast count off), the service's
  `count_rows` (`COUNT(*)`), and the plain `SELECT COUNT(*) FROM source`;
- a page of 50 sources deep into the list (past row 100,000, or the middle of a smaller
  list): by `page=` (OFFSET) and by `after=` (keyset) through the HTTP API (Flask's test
  client), against plain `... WHERE id > ? ORDER BY id LIMIT 50`.
Reports medians and ratios to the plain SQL.
"""

import statistics
import time
import uuid

from bench.coverage import write_section
from bench.generate import generate
from service.domain.auth import create_token
from service.storage.db import count_rows, database
from service.storage.models import Source
from service.web import create_app


def _timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(*, db, incidents, sources, seed, runs, reuse, write_docs):
    """`python -m bench paging`."""
    if not reuse:
        generate(db, incidents, sources, seed)
    app = create_app({"DATABASE_URL": db, "AUDIT_SEAL_SECONDS": 0})
    client = app.test_client()
    with app.app_context():
        database.connect(reuse_if_open=True)
        with database.atomic():
            token = create_token(f"bench-{uuid.uuid4().hex[:8]}", "admin")
        total = Source.select().count()
        deep = min(100_000, total // 2)
        after = Source.select(Source.id).order_by(Source.id).offset(deep - 1).limit(1).scalar()
        database.close()
    auth = {"Authorization": f"Bearer {token}"}
    page = deep // 50 + 1

    def plain_count():
        database.execute_sql("SELECT COUNT(*) FROM source").fetchone()

    def plain_page():
        database.execute_sql(
            "SELECT * FROM source WHERE id > %s ORDER BY id LIMIT 50".replace(
                "%s", "%s" if "postgres" in db else "?"
            ),
            (after,),
        ).fetchall()

    cases = {
        "total of the source list: peewee count()": lambda: Source.select().count(),
        "total of the source list: service COUNT(*)": lambda: count_rows(Source.select()),
        "page of 50 at row ~100k by page= (HTTP)": lambda: client.get(
            f"/api/v1/sources?page={page}", headers=auth
        ),
        "page of 50 at row ~100k by after= (HTTP)": lambda: client.get(
            f"/api/v1/sources?after={after}", headers=auth
        ),
    }
    baseline = {
        "total of the source list: peewee count()": plain_count,
        "total of the source list: service COUNT(*)": plain_count,
        "page of 50 at row ~100k by page= (HTTP)": plain_page,
        "page of 50 at row ~100k by after= (HTTP)": plain_page,
    }
    times = {name: ([], []) for name in cases}
    with app.app_context():
        database.connect(reuse_if_open=True)
        for _ in range(runs + 1):  # the first run warms up
            for name, fn in cases.items():
                times[name][0].append(_timed(fn))
                times[name][1].append(_timed(baseline[name]))
        database.close()
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')}: {total:,} sources, {db.split(':')[0]}; "
        f"medians of {runs} interleaved runs after a warm-up run.",
        "",
        "| question | service | plain SQL | ratio |",
        "|---|---|---|---|",
    ]
    for name, (service, plain) in times.items():
        s, p = statistics.median(service[1:]), statistics.median(plain[1:])
        lines.append(f"| {name} | {s * 1000:.1f} ms | {p * 1000:.1f} ms | {s / p:.2f}x |")
    body = "## Counting and paging\n\n" + "\n".join(lines)
    print(body)
    if write_docs:
        write_section(write_docs, "paging", body)
