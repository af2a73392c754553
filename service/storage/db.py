"""The database: one peewee proxy, bound to SQLite or PostgreSQL from a URL.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy
timeout; every transaction starts with BEGIN IMMEDIATE so that read-then-write
sequences (custody appends, updates checked against an ETag) never interleave.
PostgreSQL goes through psycopg 3 and peewee's connection pool; rows that a write
reads first are locked with SELECT ... FOR UPDATE (see `for_update`).
"""

import json
import os
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, unquote, urlparse

import peewee
from peewee import (
    SQL,
    DatabaseError,
    DatabaseProxy,
    InterfaceError,
    NodeList,
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
    return without_zone(datetime.now(UTC))


def without_zone(value):
    """The date and time of an aware datetime, naive: `value.replace(tzinfo=None)` in a
    quarter of the time (replace parses its keyword arguments; an import does this a few
    times for every row)."""
    return datetime.combine(value.date(), value.time())


# SQLite's per-connection page cache (KiB) and memory-mapped reads (bytes): a warm
# connection keeps both from one request to the next.
SQLITE_CACHE_KIB = 64 * 1024
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
# WAL pages after which a commit checkpoints (SQLite's own default is 1000).
SQLITE_WAL_AUTOCHECKPOINT = 1000
# Seconds between the scheduled PASSIVE checkpoints (see `release_connection`).
SQLITE_CHECKPOINT_SECONDS = 30


# A pooled connection given back this recently is handed out again without asking the server
# whether it is still there (HikariCP's "alive bypass window" is the same idea, 500 ms).
ALIVE_WITHOUT_CHECK_SECONDS = 0.5


class PostgresqlPool(PooledPostgresqlDatabase):
    """peewee's pool, which checks every connection it hands out with a `SELECT 1`: a round
    trip on every request. Here a connection given back less than ALIVE_WITHOUT_CHECK_SECONDS
    ago is handed out on the strength of its own state (open, no transaction under way); an
    older one is checked as before. A connection that died within that half second is found
    by the request's first statement instead: that request answers 503 (as for a database
    lost mid-request) and the connection is thrown away."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._given_back = weakref.WeakKeyDictionary()  # {connection: monotonic time}

    def _close(self, conn, close_conn=False):
        with self._pool_lock:  # (the pool's own lock, held by the methods calling these)
            super()._close(conn, close_conn)
            if not close_conn:
                self._given_back[conn] = time.monotonic()

    def _is_closed(self, conn):
        with self._pool_lock:
            given_back = self._given_back.pop(conn, None)
        if (
            given_back is not None
            and time.monotonic() - given_back < ALIVE_WITHOUT_CHECK_SECONDS
            and not conn.closed
            and self._adapter.txn_status(conn) == self._adapter.txn_idle
        ):
            return False
        return super()._is_closed(conn)


def make_database(
    url,
    pool_size=8,
    busy_timeout_ms=15000,
    cache_kib=SQLITE_CACHE_KIB,
    mmap_bytes=SQLITE_MMAP_BYTES,
    wal_autocheckpoint=SQLITE_WAL_AUTOCHECKPOINT,
):
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
                "cache_size": -int(cache_kib),
                "mmap_size": int(mmap_bytes),
                "wal_autocheckpoint": int(wal_autocheckpoint),
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
        return PostgresqlPool(
            name, max_connections=pool_size, stale_timeout=300, timeout=10, **params
        )
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")


# ---------------------------------------------------------------- warm connections
#
# A web request does not open a connection of its own. On SQLite each worker thread keeps
# one connection open from request to request (its page cache and memory map stay warm,
# and closing the last connection no longer forces a checkpoint of the whole WAL); on
# PostgreSQL a request borrows one of the pool's open connections and gives it back.
# After a database error the connection is thrown away, so the next request starts
# afresh; a SQLite file replaced, moved or made read-only underneath is noticed before
# each request (one stat) and the connection reopened.

_checkpoints = {"last": 0.0, "lock": threading.Lock()}


def _file_fingerprint(db):
    path = db.database
    if path == ":memory:":
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, os.access(path, os.W_OK))


def open_connection():
    """The calling thread's connection, ready for a request (reused while it is sound)."""
    db = database.obj
    if isinstance(db, SqliteDatabase) and not db.is_closed():
        if getattr(db._state, "fingerprint", None) != _file_fingerprint(db):
            db.close()
    if db.is_closed():
        db.connect()
        if isinstance(db, SqliteDatabase):
            db._state.fingerprint = _file_fingerprint(db)


def release_connection(failed=False):
    """After a request: SQLite keeps the thread's connection open (a scheduled PASSIVE
    checkpoint at most every SQLITE_CHECKPOINT_SECONDS); PostgreSQL's goes back to the pool.
    A connection that saw a database error is closed (and left out of the pool)."""
    db = database.obj
    if db is None or db.is_closed():
        return
    if db.in_transaction():
        # Something left a transaction open: never keep (or pool) a connection holding
        # locks or an old snapshot into the next request. Roll back and throw it away.
        try:
            db.rollback()
        except (DatabaseError, InterfaceError):
            pass
        del db._state.transactions[:]
        failed = True
    if failed:
        discard = getattr(db, "manual_close", None)
        try:
            discard() if discard else db.close()
        except (DatabaseError, InterfaceError):
            db._state.reset()
        return
    if isinstance(db, SqliteDatabase):
        checkpoint_if_due(db)
    else:
        db.close()


def checkpoint_if_due(db, every=SQLITE_CHECKPOINT_SECONDS):
    """PRAGMA wal_checkpoint(PASSIVE) when `every` seconds have passed since the last one in
    this process: copies what no reader still needs from the WAL into the database file
    without waiting for anyone (wal_autocheckpoint does the same after big writes)."""
    now = time.monotonic()
    if 0 <= now - _checkpoints["last"] < every or not _checkpoints["lock"].acquire(blocking=False):
        return False
    try:
        _checkpoints["last"] = now
        db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
        return True
    except DatabaseError:
        return False
    finally:
        _checkpoints["lock"].release()


class Prepared:
    """A read of fixed shape whose SQL is composed once per kind of database, then run with
    new values: peewee composes a query's SQL anew on every run, which costs more than
    running a short indexed read (the token of each request, a record by its id).

    `build(*values)` makes the query; `sample` are values to build it with once, each
    distinct, sent as a parameter and found exactly once among the composed query's
    parameters (checked); the query's other parameters are constants. `rows(*values)` runs
    it and gives its rows as the query would; `first(*values)` the first row or None.
    """

    def __init__(self, build, *sample):
        self._build = build
        self._sample = list(sample)
        self._composed = {}

    def _compose(self, db):
        query = self._build(*self._sample)
        sql, params = query.sql()
        params = list(params)
        places = []
        for value in self._sample:
            found = [i for i, p in enumerate(params) if type(p) is type(value) and p == value]
            if len(found) != 1:
                raise ValueError(f"the query does not take {value!r} once as a parameter: {sql}")
            places.append(found[0])
        composed = self._composed[type(db)] = (query, sql, params, places, row_maker(query))
        return composed

    def rows(self, *values):
        db = database.obj
        query, sql, params, places, make = self._composed.get(type(db)) or self._compose(db)
        params = list(params)
        for place, value in zip(places, values, strict=True):
            params[place] = value
        cursor = db.execute_sql(sql, params)
        if make is not None:
            return make(cursor.fetchall())
        return query._get_cursor_wrapper(cursor)

    def first(self, *values):
        found = list(self.rows(*values))  # read to the end: no statement left open
        return found[0] if found else None


def row_maker(query):
    """For a query giving records of its model's own fields, or tuples or dicts of fields
    (joined ones too): a function making its rows from the driver's as peewee's cursor
    wrapper would (each run of a Prepared read otherwise sets up that wrapper anew,
    resolving every column); else None."""
    row_type = query._row_type
    if row_type in (peewee.ROW.TUPLE, peewee.ROW.DICT):
        selected = _selected_fields(query)
        if selected is None:
            return None
        reading = _reading([field for _, field in selected])
        if row_type == peewee.ROW.TUPLE:
            return lambda fetched: _read(fetched, reading)
        names = [name for name, _ in selected]
        return lambda fetched: [
            dict(zip(names, row, strict=True)) for row in _read(fetched, reading)
        ]
    fields = _own_fields(query)
    if fields is None or row_type not in (None, peewee.ROW.MODEL):
        return None
    model, names, reading = query.model, [f.name for f in fields], _reading(fields)

    def records(fetched):
        made = []
        for row in _read(fetched, reading):
            record = model(__no_default__=1, **dict(zip(names, row, strict=True)))
            record._dirty.clear()
            made.append(record)
        return made

    return records


def _selected_fields(query):
    """[(name, field)] for a query selecting fields only (of its model or of joined ones),
    each named as peewee names it in a dict row (its alias, else its name); None when it
    selects anything else, or two columns of one name."""
    selected = []
    for node in getattr(query, "_returning", None) or ():
        field = node.unwrap() if isinstance(node, peewee.ColumnBase) else None
        if not isinstance(field, peewee.Field) or not node._coerce:
            return None
        selected.append((node._alias if node.is_alias() else field.name, field))
    names = {name for name, _ in selected}
    return selected if selected and len(names) == len(selected) else None


def insert_row(model, fields, values):
    """Insert one row (database values, in the order of `fields`) into `model`'s table with
    a statement written directly, not composed by the ORM; no id is read back."""
    db = database.obj
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join([db.param] * len(fields))
    db.execute_sql(f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})', values)


class _Beside:
    """What `beside()` yields: `submit(fn, *args)` runs `fn(*args)` on the second thread."""

    def __init__(self, db):
        self._db = db
        self._conn = db.connection()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="beside")
        self._last = None

    def submit(self, fn, *args):
        """Run `fn(*args)` on the second thread once the function before it has ended (its
        exception, if it raised one, is raised here instead)."""
        self.wait()
        self._last = self._executor.submit(self._on_connection, fn, args)

    def wait(self):
        """Wait for the function under way; raise its exception."""
        last, self._last = self._last, None
        if last is not None:
            last.result()

    def _on_connection(self, fn, args):
        # (in the second thread) peewee keeps a connection per thread: this one is given the
        # caller's, with a transaction marked open so that an `atomic()` makes a savepoint
        # in the caller's transaction, never a BEGIN or COMMIT of its own.
        state = self._db._state
        state.set_connection(self._conn)
        state.transactions.append(_SHARED_TRANSACTION)
        try:
            return fn(*args)
        finally:
            state.reset()  # (forgets the connection; closes nothing)

    def close(self):
        self._executor.shutdown(wait=True)


class AtOnce:
    """`beside()`'s interface with no second thread (where the connection cannot be shared,
    or a caller writes at once): `submit` runs the function at once; its exception is kept
    and raised by the next `submit` or by `wait`, as `beside()`'s are."""

    def __init__(self):
        self._error = None

    def submit(self, fn, *args):
        self.wait()
        try:
            fn(*args)
        except BaseException as exc:
            self._error = exc

    def wait(self):
        error, self._error = self._error, None
        if error is not None:
            raise error

    def close(self):
        pass


_SHARED_TRANSACTION = object()


@contextmanager
def beside():
    """A second thread running functions on this thread's connection, inside its
    transaction, one after another, while this thread goes on with work that needs no
    answer from the database: the server's time on one chunk's writes spent while Python
    checks the next (an import's batch). Yields an object with `submit(fn, *args)` (waits
    for the function before, then starts `fn`) and `wait()`.

    On leaving, the last function is waited for; if one raised, its exception is raised
    here (also when the block itself raised: a statement of the block fails once the
    transaction is aborted by the other thread's error, which is the cause to report).

    PostgreSQL only: psycopg serialises a connection's statements between threads (a
    statement of this thread waits for the other's to end), so both may use it, as long as
    neither begins, commits or rolls back anything while the other works. The functions run
    with a transaction marked open (an `atomic()` in them is a savepoint). SQLite's
    connections belong to their thread: there, `submit` runs each function at once
    (AtOnce). Outside a transaction it refuses (RuntimeError): the functions' savepoints
    need one."""
    db = database.obj
    if not db.in_transaction():
        raise RuntimeError("beside() runs inside the caller's transaction: open one first")
    work = _Beside(db) if isinstance(db, PostgresqlDatabase) else AtOnce()
    try:
        try:
            yield work
        except BaseException:
            work.wait()  # (raises the other thread's error, if any, in place of this one)
            raise
        work.wait()
    finally:
        work.close()


def bulk_insert(model, fields, rows, db=None):
    """Insert `rows` (sequences of database values, in the order of `fields`) into `model`'s
    table in one go: COPY on PostgreSQL, one prepared statement (executemany) on SQLite.
    Building a many-row INSERT through the ORM costs more than the insert itself. Runs on
    `db` (default: the connected database), inside whatever transaction is open there."""
    db = db if db is not None else database.obj
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    if not isinstance(db, PostgresqlDatabase):
        marks = ", ".join("?" * len(fields))
        execute_many(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows, db)
        return
    with __exception_wrapper__:  # driver errors as peewee's
        cursor = db.cursor()
        types = _binary_copy_types(cursor, db, table, [f.column_name for f in fields])
        binary = " (FORMAT BINARY)" if types else ""
        with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN{binary}') as copy:
            if types:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)


# PostgreSQL column types (their fixed OIDs: boolean, bigint, smallint, integer, text,
# double precision, character varying, date, timestamp without time zone) whose binary COPY
# psycopg writes in C from the values `db_rows` gives (bool, int, float, str, date, naive
# datetime). Formatted as text in Python, 300,000 source rows cost the client 3.4-4.2 s of
# CPU; in binary form 0.6-0.7 s (docs/performance.md).
_BINARY_COPY_OIDS = frozenset({16, 20, 21, 23, 25, 701, 1043, 1082, 1114})


def _binary_copy_types(cursor, db, table, column_names):
    """The type OIDs of `table`'s `column_names`, in their order, or None when a column's type
    is not one whose binary form is written from these values (then the COPY goes as text).
    Read from the catalog once per database, table and columns (a read per COPY cost a
    300,000-source import 3 s waiting on the connection); `forget_column_types()` (after a
    migration) reads them again."""
    where = db.connect_params
    key = (where.get("host"), where.get("port"), db.database, table, tuple(column_names))
    if key not in _COPY_TYPES:
        cursor.execute(
            "SELECT attname, atttypid::int FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (f'"{table}"',),
        )
        found = dict(cursor.fetchall())
        types = [found.get(name) for name in column_names]
        _COPY_TYPES[key] = types if all(t in _BINARY_COPY_OIDS for t in types) else None
    return _COPY_TYPES[key]


# {(host, port, database, table, columns): their type OIDs or None} (_binary_copy_types)
_COPY_TYPES = {}


def forget_column_types():
    """Read the columns' types from the catalog again at the next COPY (the schema changed)."""
    _COPY_TYPES.clear()


# What peewee's own fields' `adapt` gives back unchanged: values of exactly this type.
_ADAPTED_AS_IS = {
    peewee._StringField.adapt: str,
    peewee.IntegerField.adapt: int,
    peewee.FloatField.adapt: float,
    peewee.BooleanField.adapt: bool,
    peewee.DateTimeField.adapt: datetime,
    peewee.DateField.adapt: date,
}


def stored_as_is(field):
    """The type whose values `field.db_value` returns unchanged (so a bulk insert need not
    call it for them), or None: a field of peewee's own that converts only through `adapt`,
    or a foreign key to one (given its id)."""
    kind = type(field)
    if kind.db_value is peewee.ForeignKeyField.db_value:
        return stored_as_is(field.rel_field)  # (a record would not be of a plain type)
    if kind.db_value is not peewee.Field.db_value:
        return None
    return _ADAPTED_AS_IS.get(kind.adapt)


def db_rows(fields, rows, defaults=None):
    """The database values of `fields` for each of `rows` (dicts by field name; a missing
    value is its entry in `defaults`, or None): each field's db_value, not called for a null
    nor for a value the field stores as it is (`stored_as_is`), most of a bulk insert's."""
    defaults = defaults or {}
    converters = [(f.name, f.db_value, stored_as_is(f), defaults.get(f.name)) for f in fields]
    return [
        [
            value
            if (value := row.get(name, default)) is None or type(value) is same
            else convert(value)
            for name, convert, same, default in converters
        ]
        for row in rows
    ]


# What peewee's own fields' `python_value` gives back unchanged: values of exactly this type
# (a field class with a python_value of its own registers it here: storage.models).
READ_AS_IS = {}


def read_as_is(field):
    """The type whose values `field.python_value` returns unchanged (what the driver gives
    for most columns), or None: `stored_as_is`'s counterpart for reading."""
    kind = type(field)
    if kind.python_value is peewee.ForeignKeyField.python_value:
        return read_as_is(field.rel_field)  # (a record of the related model is not read)
    if kind.python_value is not peewee.Field.python_value:
        return READ_AS_IS.get(kind.python_value)
    return _ADAPTED_AS_IS.get(kind.adapt)


def _own_fields(query):
    """The fields `query` selects when they are its model's own, read from its table alone
    (no joins, no expressions), else None."""
    model = getattr(query, "model", None)
    returning = getattr(query, "_returning", None)
    if (
        model is None
        or getattr(query, "_joins", None)
        or getattr(query, "_from_list", None) != [model]
        or not returning
        or not all(isinstance(f, peewee.Field) and f.model is model for f in returning)
    ):
        return None
    return returning


def _reading(fields):
    """[(python_value, the type it gives back unchanged)] for each of `fields`."""
    return [(f.python_value, read_as_is(f)) for f in fields]


def _read(fetched, reading):
    """The driver's rows `fetched` as tuples of what the fields' records hold: each value
    through its field's `python_value` only when the driver did not already give it as the
    field would (`read_as_is`)."""
    if not fetched:
        return []
    columns = list(zip(*fetched, strict=True))
    for i, (python_value, same) in enumerate(reading):
        values = columns[i]
        if same is None:  # (a field whose reading is unknown sees every value, null included)
            columns[i] = [python_value(v) for v in values]
        elif any(v is not None and type(v) is not same for v in values):
            columns[i] = [v if v is None or type(v) is same else python_value(v) for v in values]
    return list(zip(*columns, strict=True))


# {(database kind, model, field names): (the select list's SQL, attribute names, reading)}
_PLAIN_SELECTIONS = {}


def plain_rows(query):
    """The rows of `query` as dicts {attribute: value} holding what its records would hold
    (a foreign key under its `_id` name), without making records, or None when `query` is
    not a select of its model's own fields from its table alone (no joins, no expressions).

    A page of a list spends most of its time making records and composing the select list
    (peewee renders each column anew for every query): here the list is composed once per
    model and fields, each value is read as `_read` reads it, and a row becomes a dict in
    one step."""
    fields = _own_fields(query)
    if fields is None:
        return None
    db = database.obj
    key = (type(db), query.model, tuple(f.name for f in fields))
    selection = _PLAIN_SELECTIONS.get(key)
    if selection is None:
        sql, _ = db.get_sql_context().sql(peewee.CommaNodeList(fields)).query()
        names = [getattr(f, "object_id_name", f.name) for f in fields]
        selection = _PLAIN_SELECTIONS[key] = (SQL(sql), names, _reading(fields))
    columns, names, reading = selection
    sql, params = query.select(columns).sql()
    fetched = db.execute_sql(sql, params).fetchall()
    return [dict(zip(names, row, strict=True)) for row in _read(fetched, reading)]


def one_of(column, values):
    """`column IN values`, the values bound as one parameter (an array on PostgreSQL, a JSON
    array on SQLite) instead of one each: composing a long IN list through the ORM costs
    more than running the query (a thousand ids: about 20 ms).

    PostgreSQL, a text column: `IN (SELECT unnest(array))`, which it answers by searching
    the column's index for each value; for `= ANY(array)` it estimates a thousand searches
    of a text index dearer than reading the whole table, up to some 100,000 rows (a batch
    of an import read every source to look up its 1,000 external ids: 19 ms, by the index
    3.7 ms)."""
    values = list(values)
    if is_postgresql():
        if values and getattr(column, "field_type", None) in _TEXT_FIELD_TYPES:
            return NodeList(
                (column, SQL("IN (SELECT unnest(%s::text[]))", [pg_array("text", values)]))
            )
        return NodeList((column, SQL("= ANY(%s)", [values])))
    return NodeList((column, SQL("IN (SELECT value FROM json_each(?))", [json.dumps(values)])))


_TEXT_FIELD_TYPES = {"VARCHAR", "TEXT", "CHAR"}


def unnest(types, rows):
    """PostgreSQL: `unnest(%s::T1[], %s::T2[], ...)` and its parameters, one array per column
    of `rows` (pg_array): many rows in one statement and one round trip (executemany makes
    one per row)."""
    columns = list(zip(*rows, strict=True)) or [() for _ in types]
    params = [pg_array(t, column) for t, column in zip(types, columns, strict=True)]
    return f"unnest({', '.join(f'%s::{t}[]' for t in types)})", params


def pg_array(element_type, values):
    """A PostgreSQL array parameter of `values`, for SQL that casts it (`%s::text[]`): text
    arrays written as the array's literal here, other types as a list for the driver.

    psycopg writes a list of strings element by element, checking each against a pattern
    to decide on quoting: 1.3 ms for 1,000 short keys and 7.7 ms for 1,000 search documents,
    against 0.5 and 1.0 ms for the literal, whose every element is quoted with its
    backslashes and double quotes escaped (PostgreSQL's array syntax), None as NULL."""
    if element_type not in ("text", "varchar"):
        return list(values)
    return "{" + ",".join(_ARRAY_NULL if v is None else _quoted(v) for v in values) + "}"


_ARRAY_NULL = "NULL"


def _quoted(value):
    text = value if type(value) is str else str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def execute_many(sql, rows, db=None):
    """One statement (its parameters written `database.param`) run for each of `rows`, as
    one prepared statement, inside whatever transaction is open."""
    db = db if db is not None else database.obj
    with __exception_wrapper__:  # driver errors as peewee's
        db.cursor().executemany(sql, list(rows))


def count_rows(query, exact_up_to=None):
    """(number of rows of `query`, estimated?) with `COUNT(*)`, not peewee's
    `SELECT COUNT(1) FROM (SELECT ...)` wrapper (which turns SQLite's fast count off).

    On SQLite a plain list of one table without conditions is counted exactly (SQLite counts
    a b-tree's entries without reading rows; PostgreSQL would read every row). Otherwise,
    with `exact_up_to`, at most that many rows are counted: a longer list is answered with
    an estimate, the planner's (PostgreSQL) or the number of rows counted (a lower bound),
    never less than `exact_up_to + 1`. On PostgreSQL a whole table that its catalogue
    already sizes past `exact_up_to` is not counted at all: that size is the estimate.
    """
    simple = not (
        query._group_by or query._having or query._distinct or query._limit or query._offset
    )
    whole_table = simple and not getattr(query, "_joins", None) and query._where is None
    if whole_table and not is_postgresql():
        return query.select(fn.COUNT(SQL("*"))).order_by().scalar() or 0, False
    if whole_table and exact_up_to is not None:
        # PostgreSQL keeps a table's size (as of its last VACUUM or ANALYZE: rows are added
        # since, seldom removed) in its catalogue: past the limit, no need to read the
        # limit's worth of rows on every page to find that the total is an estimate.
        estimate = _table_estimate(query.model)
        if estimate > exact_up_to:
            return estimate, True
    if not simple:
        return query.count(), False
    if exact_up_to is None:
        return query.select(fn.COUNT(SQL("*"))).order_by().scalar() or 0, False
    capped = query.select(SQL("1")).order_by().limit(exact_up_to + 1)
    counted = Select([capped.alias("capped")], [fn.COUNT(SQL("*"))]).scalar(database) or 0
    if counted <= exact_up_to:
        return counted, False
    return max(counted, _planner_estimate(query)), True


def _table_estimate(model):
    """PostgreSQL's figure for the rows of `model`'s table (-1 when it has none yet)."""
    row = database.execute_sql(
        "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
        [f'"{model._meta.table_name}"'],
    ).fetchone()
    return int(row[0]) if row else -1


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
