"""The database: one peewee proxy, bound to SQLite or PostgreSQL from a URL.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy
timeout; every transaction starts with BEGIN IMMEDIATE so that read-then-write
sequences (custody appends, updates checked against an ETag) never interleave.
PostgreSQL goes through psycopg 3 and peewee's connection pool; rows that a write
reads first are locked with SELECT ... FOR UPDATE (see `for_update`).
"""

import os
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlparse

from peewee import (
    SQL,
    DatabaseError,
    DatabaseProxy,
    PostgresqlDatabase,
    Select,
    SqliteDatabase,
    __exception_wrapper__,
    fn,
)
from playhouse.pool import PooledPostgresqlDatabase

database = DatabaseProxy()


def utcnow():
    """The current time as a naive UTC datetime, the form stored in the database (looked up
    at call time, so freezegun can move it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def make_database(url, pool_size=8, busy_timeout_ms=15000):
    """A peewee database for `url` (sqlite:///relative.db, sqlite:////abs.db, postgresql://...)."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"SQLite URL needs a file path: {url!r}")
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return SqliteDatabase(
            path,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": busy_timeout_ms,
                "synchronous": "normal",
            },
            timeout=busy_timeout_ms / 1000,
            lock_type="IMMEDIATE",
        )
    if parsed.scheme in ("postgres", "postgresql"):
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        params = {
            "host": parsed.hostname or None,
            "port": parsed.port or None,
            "user": unquote(parsed.username) if parsed.username else None,
            "password": unquote(parsed.password) if parsed.password else None,
            "connect_timeout": int(options.pop("connect_timeout", 5)),
            **options,
        }
        params = {k: v for k, v in params.items() if v is not None}
        name = unquote(parsed.path.lstrip("/")) or "postgres"
        return PooledPostgresqlDatabase(
            name, max_connections=pool_size, stale_timeout=300, timeout=10, **params
        )
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")


def bulk_insert(model, fields, rows, db=None):
    """Insert `rows` (sequences of database values, in the order of `fields`) into `model`'s
    table in one go: COPY on PostgreSQL, one prepared statement (executemany) on SQLite.
    Building a many-row INSERT through the ORM costs more than the insert itself. Runs on
    `db` (default: the connected database), inside whatever transaction is open there."""
    db = db if db is not None else database.obj
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    with __exception_wrapper__:  # driver errors as peewee's
        if isinstance(db, PostgresqlDatabase):
            with db.cursor().copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(fields))
            db.cursor().executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)


def count_rows(query, exact_up_to=None):
    """(number of rows of `query`, estimated?) with `COUNT(*)`, not peewee's
    `SELECT COUNT(1) FROM (SELECT ...)` wrapper (which turns SQLite's fast count off).

    A plain list of one table without conditions is counted exactly (SQLite counts a
    b-tree's entries without reading rows). Otherwise, with `exact_up_to`, at most that
    many rows are counted: a list longer than that is answered with an estimate, the
    planner's (PostgreSQL) or the number of rows counted (a lower bound), never less than
    `exact_up_to + 1`.
    """
    simple = not (
        query._group_by or query._having or query._distinct or query._limit or query._offset
    )
    if simple and not getattr(query, "_joins", None) and query._where is None:
        return query.select(fn.COUNT(SQL("*"))).order_by().scalar() or 0, False
    if not simple:
        return query.count(), False
    if exact_up_to is None:
        return query.select(fn.COUNT(SQL("*"))).order_by().scalar() or 0, False
    capped = query.select(SQL("1")).order_by().limit(exact_up_to + 1)
    counted = Select([capped.alias("capped")], [fn.COUNT(SQL("*"))]).scalar(database) or 0
    if counted <= exact_up_to:
        return counted, False
    return max(counted, _planner_estimate(query)), True


def _planner_estimate(query):
    """PostgreSQL's estimate of the rows of `query` (0 elsewhere, or when it has none)."""
    if not is_postgresql():
        return 0
    sql, params = query.order_by().sql()
    try:
        plan = database.execute_sql("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()[0]
        return int(plan[0]["Plan"]["Plan Rows"])
    except (DatabaseError, KeyError, IndexError, TypeError, ValueError):
        return 0


def grouped(keys, query):
    """{key: [value, ...]} from a query of (key, value) rows, every key of `keys` present (an
    empty list where the query has none), values in the query's order: many records' lists
    (an incident's agencies, a hold's sources) in one query."""
    found = {key: [] for key in keys}
    if found:
        for key, value in query.tuples():
            found[key].append(value)
    return found


def attach(records, attribute, lookup):
    """The records, each given `attribute` from `lookup(ids)` ({id: value}, one query for
    all of them): a page of records with the lists they show (see `grouped`)."""
    records = list(records)
    found = lookup([record.id for record in records])
    for record in records:
        setattr(record, attribute, found[record.id])
    return records


def backend_name():
    """'sqlite' or 'postgresql', as /health reports it."""
    return "postgresql" if is_postgresql() else "sqlite"


def is_postgresql():
    return isinstance(database.obj, PostgresqlDatabase)


def for_update(query):
    """Lock the rows a write is about to read-then-change (PostgreSQL).

    On SQLite the whole write transaction already holds the write lock (BEGIN
    IMMEDIATE), so no row lock is needed.
    """
    return query.for_update() if is_postgresql() else query


class RequestTransaction:
    """One transaction around a whole write request, committed only on success.

    Views and domain functions stay free of transaction bookkeeping; nested
    `database.atomic()` blocks inside them become savepoints.
    """

    class _Rollback(Exception):
        pass

    def __init__(self):
        self._ctx = database.atomic()
        self._ctx.__enter__()
        self.open = True

    def commit(self):
        if self.open:
            self.open = False
            self._ctx.__exit__(None, None, None)

    def rollback(self):
        if self.open:
            self.open = False
            self._ctx.__exit__(self._Rollback, self._Rollback(), None)
